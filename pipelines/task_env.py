"""What locally run tasks start in: a private temp folder per run, a safe interpreter.

kfp's SubprocessRunner starts each task as ``sh -c '... python3 -m
kfp.dsl.executor_main ...'`` in the current working folder, ``python3`` replaced
by ``sys.executable``. Two things follow, both unsafe on a shared machine:

* ``python -m`` puts the working folder first on ``sys.path``: a ``./components/``
  package there would be imported instead of ours. ``sys.executable`` is set to
  a launcher (``pipelines.warm_client``) that hands the task to the warm worker
  or starts the real interpreter without the working folder on ``sys.path``.
* kfp writes each component's source into ``mktemp -d``; TFT (``tft-*``
  folders holding vocabularies of the user's data), autograph and Beam write
  temp files too: all into TMPDIR, and none removes them. TMPDIR (and TMP, TEMP)
  is set to ``<workdir>/tmp/run-*`` (mode 0700) for the run and the folder is
  removed when it ends. A killed run leaves it under the workdir, not in /tmp,
  and the next run in that workdir removes it (its ``run-<pid>-`` process is gone).

A run stopped by Ctrl-C leaves nothing running: kfp's runner, interrupted, returns
without waiting for the task's process (and a cold task is not the warm worker's
child, which the kernel would kill with it). ``descendants`` lists this process's
descendants from ``/proc`` and ``stop_processes`` ends those the run started.
"""
import os
import shutil
import signal
import sys
import tempfile
import time
from typing import Dict, Iterable, List, Optional, Set

from pipelines import warm_client

TEMP_VARIABLES = ("TMPDIR", "TMP", "TEMP")


def set_environment(values: Dict[str, str]) -> Dict[str, Optional[str]]:
    """Set environment variables; return what they were (None: unset), for restore_environment."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    return saved


def restore_environment(saved: Dict[str, Optional[str]]) -> None:
    """Put back the variables set_environment changed (unsetting those that were unset)."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def _parents() -> Dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                # "pid (command) state ppid ...": the command may hold spaces and parentheses.
                parents[int(name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):  # gone while listed
            continue
    return parents


def descendants(pid: int) -> List[int]:
    """The processes below ``pid`` (children, their children, ...); [] without /proc."""
    if not os.path.isdir("/proc"):
        return []
    children: Dict[int, List[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, queue = [], list(children.get(pid, []))
    while queue:
        child = queue.pop()
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def stop_processes(pids: Iterable[int], grace_seconds: float = 5.0) -> None:
    """SIGTERM each of ``pids``, then SIGKILL those still there after ``grace_seconds``.
    Zombies (ended, not yet reaped by their parent) count as ended."""
    pids = set(pids)
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        pids = {pid for pid in pids if _alive(pid)}
        if not pids:
            return
        time.sleep(0.1)
    _signal_all(pids, signal.SIGKILL)


def _signal_all(pids: Set[int], signal_number: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal_number)
        except ProcessLookupError:
            continue


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def remove_orphans(root: str) -> None:
    """Remove ``run-<pid>-*`` folders under ``root`` whose process no longer runs."""
    for name in os.listdir(root):
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "run" and parts[1].isdigit() and not _running(int(parts[1])):
            shutil.rmtree(os.path.join(root, name))


class TaskEnvironment:
    """Context manager around a local run: sets TMPDIR and the launcher, restores both.

    ``executable`` is what to put in ``sys.executable`` while kfp starts the tasks
    (the warm worker's launcher replaces it in a warm run). ``tmpdir`` is the
    run's temp folder. Leaves ``os.environ``, ``tempfile.tempdir`` and the
    filesystem as it found them.
    """

    def __init__(self, workdir: str):
        self._root = os.path.join(os.path.abspath(workdir), "tmp")
        self.tmpdir: Optional[str] = None
        self.executable: Optional[str] = None
        self._launcher_folder: Optional[str] = None
        self._saved: Dict[str, Optional[str]] = {}
        self._saved_tempdir: Optional[str] = None

    def __enter__(self) -> "TaskEnvironment":
        # The launcher's path goes unquoted into kfp's shell command: keep it in the
        # system temp folder (no spaces), private to the user.
        self._launcher_folder = tempfile.mkdtemp(prefix="kfp-tf-launcher-")
        self.executable = warm_client.write_launcher(self._launcher_folder)
        os.makedirs(self._root, mode=0o700, exist_ok=True)
        remove_orphans(self._root)
        self.tmpdir = tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=self._root)
        self._saved = set_environment({**{n: self.tmpdir for n in TEMP_VARIABLES}, warm_client.REAL_PYTHON_ENV: sys.executable})
        self._saved_tempdir, tempfile.tempdir = tempfile.tempdir, None
        return self

    def __exit__(self, *exc_info) -> None:
        restore_environment(self._saved)
        tempfile.tempdir = self._saved_tempdir
        shutil.rmtree(self.tmpdir)
        shutil.rmtree(self._launcher_folder)
