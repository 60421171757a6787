"""Stand-in for ``python3`` in locally run tasks: hands the task to the warm worker.

kfp's SubprocessRunner starts each task as ``python3 -m kfp.dsl.executor_main ...``
with ``python3`` replaced by the runner's interpreter. During a warm local run
that interpreter is this script (through a two-line shell wrapper). It passes
its arguments, environment, working folder and its stdout/stderr file
descriptors to the warm worker (``pipelines.warm_worker``), which forks a child
with TensorFlow and friends already imported; the child runs the task writing
straight to this process's output, and the worker sends back the exit code.

Anything else, or no reachable worker, runs the real interpreter instead, so a
task never depends on the worker being there. This file imports only the
standard library: it is run as a script, for a fast start.
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


def main(argv) -> int:
    path = os.environ.get(SOCKET_ENV)
    if path and argv[:2] == ["-m", "kfp.dsl.executor_main"]:
        sock = _connect(path)
        if sock is not None:
            with sock:
                return _run_in_worker(sock, argv)
    real = os.environ.get(REAL_PYTHON_ENV) or "python3"
    os.execvp(real, [real] + list(argv))
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
