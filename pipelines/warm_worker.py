"""The warm worker: TensorFlow imported once per local run, a fresh fork per task.

Importing TensorFlow, TFDV, TFT and TFMA costs 10-14 s of CPU on a small machine,
and every task of a KFP pipeline is a new process. For local runs, one worker
process imports them once and then forks a child per task: the child starts with
the libraries loaded but no state (nothing has run in the worker), runs the
task's ``kfp.dsl.executor_main`` exactly as the container would, and exits. A
failing or crashing task takes down only its child. In the cloud nothing
changes: each task is its own container.

The worker stays single-threaded and never runs a TensorFlow op, so forking it
is safe. Tasks are served one at a time, as kfp's local runner runs them.
``WarmWorker`` starts and stops it; ``pipelines.warm_client`` talks to it.

The worker never outlives the ``kfp-tf`` process that started it, however that
process ends (``kill -9`` included): on Linux the kernel sends it SIGTERM when its
parent dies (``PR_SET_PDEATHSIG``) and a task child SIGKILL when the worker
dies; everywhere, it exits when the pipe from its parent reaches end-of-file.
On SIGTERM it removes its socket folder before exiting. It ignores Ctrl-C (SIGINT,
which a terminal sends to the whole process group): the run that started it decides
when it stops. A task child takes Ctrl-C as a fresh Python process does.
"""
import ctypes
import json
import logging
import os
import runpy
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from typing import Dict, Optional

# What the tasks import; loading them here is the whole point.
PRELOAD = (
    "tensorflow",
    "keras",
    "apache_beam",
    "tensorflow_data_validation",
    "tensorflow_transform",
    "tensorflow_transform.beam",
    "tensorflow_model_analysis",
    "tfx_bsl.public.tfxio",
    "kfp.dsl.executor_main",
)


def _recv_exact(conn, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


_PR_SET_PDEATHSIG = 1


def die_with_parent(signal_number: int, parent_pid: int) -> None:
    """Ask the kernel (Linux) to send ``signal_number`` when the parent dies; exit now if
    it is already gone (re-parented). Elsewhere a no-op: the parent pipe covers it."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal_number, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:
        os._exit(1)


def _run_task(request: Dict, stdout_fd: int, stderr_fd: int, worker_pid: int) -> None:
    """In the forked child: become the task process, run it, exit with its code."""
    die_with_parent(signal.SIGKILL, worker_pid)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # TMPDIR is the run's (pipelines.task_env), not the worker's cached one
    os.chdir(request["cwd"])
    argv = request["argv"]  # ["-m", "kfp.dsl.executor_main", ...]
    sys.argv = [argv[1]] + argv[2:]
    code = 0
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    except SystemExit as exit_request:
        code = exit_request.code if isinstance(exit_request.code, int) else (0 if exit_request.code is None else 1)
    except BaseException:  # the task's own failure: print it as python would
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _exit_on_sigterm(socket_path: str) -> None:
    def handler(signum, frame):
        shutil.rmtree(os.path.dirname(socket_path), ignore_errors=True)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def serve(socket_path: str, parent_pid: int, parent_pipe: int) -> None:
    """Import the libraries, then fork one child per task request until told to stop
    or until the parent is gone (``parent_pipe`` at end-of-file, or SIGTERM)."""
    _exit_on_sigterm(socket_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(signal.SIGTERM, parent_pid)
    os.environ["_KFP_RUNTIME"] = "true"  # kfp's runtime mode, as in a task container
    for module in PRELOAD:
        __import__(module)
    # Importing TFMA installs a root log handler at WARNING; a task container starts
    # without one, and kfp's executor then logs at INFO. Start the children the same way.
    logging.root.handlers.clear()
    logging.root.setLevel(logging.WARNING)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path + ".tmp")
    os.rename(socket_path + ".tmp", socket_path)  # clients see the socket only when ready
    server.listen(8)
    print(f"warm worker ready on {socket_path}", flush=True)
    worker_pid = os.getpid()
    while True:
        readable, _, _ = select.select([server, parent_pipe], [], [])
        if parent_pipe in readable and not os.read(parent_pipe, 1):
            shutil.rmtree(os.path.dirname(socket_path), ignore_errors=True)
            return  # the parent is gone
        if server not in readable:
            continue
        conn, _ = server.accept()
        with conn:
            header, fds, _, _ = socket.recv_fds(conn, 8, 2)
            request = json.loads(_recv_exact(conn, int.from_bytes(header, "big")))
            if request.get("stop"):
                return
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                server.close()
                _run_task(request, fds[0], fds[1], worker_pid)
            for fd in fds:
                os.close(fd)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            conn.sendall(str(code if code >= 0 else 128 - code).encode())


class WarmWorker:
    """Starts the worker and points kfp's SubprocessRunner at the warm client.

    Use as a context manager around a local run. ``executable`` is what to put in
    ``sys.executable`` while kfp starts the tasks.
    """

    def __init__(self, log_path: str, folder: Optional[str] = None):
        self._folder = tempfile.mkdtemp(prefix="kfp-tf-warm-", dir=folder)
        self.socket_path = os.path.join(self._folder, "worker.sock")
        self.executable = os.path.join(self._folder, "python3")
        self._log_path = log_path
        self._process: Optional[subprocess.Popen] = None
        self._saved: Dict[str, Optional[str]] = {}

    def __enter__(self) -> "WarmWorker":
        from pipelines import warm_client
        from pipelines.task_env import set_environment

        warm_client.write_launcher(self._folder)
        log = open(self._log_path, "w")
        # The worker watches the read end: end-of-file once this process is gone.
        pipe_read, self._pipe_write = os.pipe()
        # Run as a script, not "-m pipelines.warm_worker", so that kfp is first
        # imported in runtime mode, as in a task container.
        self._process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), self.socket_path, str(os.getpid()), str(pipe_read)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, pass_fds=[pipe_read],
            env=dict(os.environ, _KFP_RUNTIME="true"),
        )
        os.close(pipe_read)
        log.close()
        self._saved = set_environment({
            warm_client.SOCKET_ENV: self.socket_path,
            warm_client.WORKER_PID_ENV: str(self._process.pid),
            warm_client.REAL_PYTHON_ENV: sys.executable,
        })
        return self

    def __exit__(self, *exc_info) -> None:
        from pipelines.task_env import restore_environment

        restore_environment(self._saved)
        os.close(self._pipe_write)
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if os.path.exists(self._folder):  # the worker removes it on SIGTERM
            shutil.rmtree(self._folder)


if __name__ == "__main__":
    sys.path.pop(0)  # this script's folder: its module names must not shadow others
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
