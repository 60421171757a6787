"""Stand-in for ``python3`` in locally run tasks: hands the task to the warm worker.

kfp's SubprocessRunner starts each task as ``python3 -m kfp.dsl.executor_main ...``
with ``python3`` replaced by the runner's interpreter. During a warm local run
that interpreter is this script (through a two-line shell wrapper). It passes
its arguments, environment, working folder and its stdout/stderr file
descriptors to the warm worker (``pipelines.warm_worker``), which forks a child
with TensorFlow and friends already imported; the child runs the task writing
straight to this process's output, and the worker sends back the exit code.

Anything else, or no reachable worker, runs the real interpreter instead, so a
task never depends on the worker being there; a cold local run (``--cold``) uses
this script the same way, without a worker. The real interpreter never gets the
working folder on ``sys.path`` (``python -m`` would put it first, so a
``./components/`` package there would be imported instead of ours): it starts
with ``-c`` and a bootstrap that drops that entry before importing anything
(``-P`` does the same from Python 3.11; 3.10 must work too). This file imports
only the standard library: it is run as a script, for a fast start.
"""
import json
import os
import socket
import sys
import time

SOCKET_ENV = "KFP_TF_WARM_SOCKET"
WORKER_PID_ENV = "KFP_TF_WARM_PID"
REAL_PYTHON_ENV = "KFP_TF_REAL_PYTHON"
READY_TIMEOUT_SECONDS = 300


def _worker_alive() -> bool:
    try:
        os.kill(int(os.environ.get(WORKER_PID_ENV, "0")), 0)
        return True
    except (OSError, ValueError):
        return False


def _connect(path: str):
    """Connect to the worker, waiting while it is still importing its modules."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if not _worker_alive() or time.monotonic() > deadline:
                return None
            time.sleep(0.05)


def _run_in_worker(sock, argv) -> int:
    request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    sys.stdout.flush()
    sys.stderr.flush()
    socket.send_fds(sock, [len(request).to_bytes(8, "big")], [1, 2])
    sock.sendall(request)
    reply = b""
    while True:
        chunk = sock.recv(64)
        if not chunk:
            break
        reply += chunk
    return int(reply.decode() or "1")


# Runs ``-m MODULE ARGS`` as ``python -m`` would, but with the working folder
# (sys.path[0] == '' under -c) removed before the first import that searches it.
_BOOTSTRAP = (
    "import sys\n"
    "if sys.path and sys.path[0] == '': del sys.path[0]\n"
    "import runpy\n"
    "module, sys.argv = sys.argv[2], sys.argv[2:]\n"
    "runpy.run_module(module, run_name='__main__', alter_sys=True)\n"
)


def real_python_argv(real: str, argv) -> list:
    """The command that runs ``argv`` on the real interpreter, never importing from the
    working folder: ``-m MODULE ...`` through the bootstrap, anything else as given."""
    argv = list(argv)
    if argv[:1] == ["-m"] and len(argv) > 1:
        return [real, "-c", _BOOTSTRAP] + argv
    return [real] + argv


def write_launcher(folder: str) -> str:
    """Write ``<folder>/python3``, a shell wrapper running this script; return its path."""
    path = os.path.join(folder, "python3")
    with open(path, "w") as handle:
        handle.write(f'#!/bin/sh\nexec "{sys.executable}" "{os.path.abspath(__file__)}" "$@"\n')
    os.chmod(path, 0o700)
    return path


def main(argv) -> int:
    path = os.environ.get(SOCKET_ENV)
    if path and argv[:2] == ["-m", "kfp.dsl.executor_main"]:
        sock = _connect(path)
        if sock is not None:
            with sock:
                return _run_in_worker(sock, argv)
    real = os.environ.get(REAL_PYTHON_ENV) or "python3"
    command = real_python_argv(real, argv)
    os.execvp(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
