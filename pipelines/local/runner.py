"""Run a pipeline with kfp's local runner (kfp.local) and summarize what happened.

Each task runs in its own subprocess (``kfp.local.SubprocessRunner``) in this Python
environment, exactly the component code that runs in the cloud, forked from a warm
worker that imported TensorFlow once (``pipelines.warm_worker``) unless ``warm`` is
false; or, with ``runner="docker"``, in a container of the component image.
``pipelines.local.console`` decides what the terminal shows and what the run log
keeps; ``pipelines.local.summary`` writes ``summary.json`` and the closing lines.

Ctrl-C stops the run cleanly: every process the run started is ended, the run log is
kept, ``summary.json`` says ``interrupted`` (and names the task that was running), and
no traceback is printed.
"""
import contextlib
import datetime
import os
import signal
import sys
import threading
import time
from typing import Dict, Optional

from pipelines.local.console import Console, RunLog
from pipelines.local.summary import SUMMARY, build_summary, running_summary, write_summary
from pipelines.local_cache import cache_arguments
from pipelines.task_env import TaskEnvironment, descendants, stop_processes
from pipelines.warm_worker import WarmWorker

RUN_LOG = "run.log"


class LocalRunError(RuntimeError):
    """The run cannot start (an unwritable workdir): the message says why, in one line."""


def prepare_workdir(workdir: str, pipeline_root: bool = True) -> str:
    """Create ``workdir`` (and its ``pipeline_root`` unless told not to) and check it
    can be written; the absolute path. Raises LocalRunError naming the folder and the
    reason."""
    workdir = os.path.abspath(workdir)
    try:
        os.makedirs(os.path.join(workdir, "pipeline_root") if pipeline_root else workdir, exist_ok=True)
        probe = os.path.join(workdir, f".kfp-tf-write-check-{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:  # read-only, not ours, a file in the way, a full disk
        reason = error.strerror or str(error)
        raise LocalRunError(
            f"Cannot write to the workdir {workdir} ({reason}{': ' + error.filename if error.filename else ''}); "
            "choose a folder you can write with --workdir."
        ) from error
    return workdir


def _newest_run_dir(pipeline_root: str, pipeline_name: str, since: float) -> Optional[str]:
    if not os.path.isdir(pipeline_root):
        return None
    candidates = [
        os.path.join(pipeline_root, d)
        for d in os.listdir(pipeline_root)
        if d.startswith(pipeline_name + "-") and os.path.getmtime(os.path.join(pipeline_root, d)) >= since - 1
    ]
    return max(candidates, key=os.path.getmtime) if candidates else None


@contextlib.contextmanager
def _heartbeat(console: Console, every_seconds: float = 5.0):
    """Call ``console.heartbeat()`` every few seconds from a daemon thread while inside."""
    stop = threading.Event()

    def beat():
        while not stop.wait(every_seconds):
            console.heartbeat()

    thread = threading.Thread(target=beat, name="kfp-tf-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextlib.contextmanager
def _ctrl_c_ignored():
    """Ignore a second Ctrl-C while the run cleans up (main thread only: elsewhere
    Python cannot change signal handlers, and Ctrl-C goes to the main thread anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_locally(
    pipeline, arguments: Dict[str, object], workdir: str, verbose: bool = False, warm: bool = True,
    runner: str = "subprocess",
) -> Dict:
    """Run ``pipeline(**arguments)`` with kfp.local under ``workdir`` and return the summary.

    Writes ``<workdir>/summary.json`` (``running`` at once, replacing an older one, then
    the outcome) and a copy plus ``run.log`` in the run folder. Never raises for a
    failed task: the summary says which task failed and why. Ctrl-C ends the run's
    processes and returns a summary with status ``interrupted``.
    With ``warm`` (the default) tasks are forked from a worker that imported
    TensorFlow once (``pipelines.warm_worker``); without it each task is a cold
    ``python3`` process, exactly as kfp's SubprocessRunner makes it.
    ``runner="docker"`` runs every task in a container of the component image
    with kfp's DockerRunner instead (``pipelines.container_run``: local inputs are
    copied under the pipeline root, the only folder mounted; no warm worker).

    Raises:
      LocalRunError: ``workdir`` cannot be written.
      pipelines.container_run.ContainerRunError: no Docker daemon or image (docker only).
    """
    import warnings

    from kfp import local

    # The local runner warns that the tasks' image is not used; that is the point here.
    warnings.filterwarnings("ignore", message="You may be attemping to run a task that uses custom")

    workdir = os.path.abspath(workdir)
    pipeline_root = os.path.join(workdir, "pipeline_root")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::FutureWarning,ignore::UserWarning")
    given = arguments
    if runner == "docker":
        from pipelines import container_run

        task_runner, warm = container_run.docker_runner(), False  # the daemon first, then the host
        prepare_workdir(workdir, pipeline_root=False)
        container_run.prepare_pipeline_root(pipeline_root)
        arguments = container_run.stage_arguments(arguments, pipeline_root)
    else:
        prepare_workdir(workdir)
        task_runner = local.SubprocessRunner(use_venv=False)
    # kfp's own task cache where kfp has one (>= 2.17), keyed by the input fingerprints.
    local.init(runner=task_runner, pipeline_root=pipeline_root, raise_on_error=False, **cache_arguments(workdir))

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = os.path.join(workdir, f"{pipeline.name}-{stamp}.log")
    write_summary(os.path.join(workdir, SUMMARY), running_summary(pipeline.name, given, log_path))
    started_wall, started = time.time(), time.monotonic()
    already_there = set(descendants(os.getpid()))  # a notebook kernel's own children stay
    console = Console(sys.stdout, RunLog(open(log_path, "w", encoding="utf-8")), verbose)
    interrupted = False
    real_stdout, real_executable = sys.stdout, sys.executable
    try:
        worker = WarmWorker(os.path.join(workdir, "warm_worker.log")) if warm else contextlib.nullcontext()
        # A private TMPDIR for the run, removed at its end, and a launcher that never
        # imports from the working folder (pipelines/task_env.py).
        with TaskEnvironment(workdir) as task_env, worker, _heartbeat(console):
            sys.stdout = console
            # kfp's SubprocessRunner starts tasks with sys.executable: the launcher.
            sys.executable = worker.executable if warm else task_env.executable
            try:
                pipeline(**arguments)
            except KeyboardInterrupt:
                interrupted = True
            except Exception as error:  # an invalid argument, before any task ran
                console.lines.append(f"{type(error).__name__}: {error}")
                console.task_status.setdefault("(pipeline)", "FAILURE")
            finally:
                sys.executable = real_executable
                if interrupted:
                    console.interrupt()
                    with _ctrl_c_ignored():
                        console.say(f"[kfp-tf] interrupted (Ctrl-C) during {console.running or 'start-up'}; stopping")
                        stop_processes(set(descendants(os.getpid())) - already_there)
                console.finish()
                sys.stdout = real_stdout
    except KeyboardInterrupt:  # while the worker or the temp folder was being set up or removed
        interrupted = True
        sys.stdout, sys.executable = real_stdout, real_executable
        console.interrupt()
        with _ctrl_c_ignored():
            stop_processes(set(descendants(os.getpid())) - already_there)
    with _ctrl_c_ignored() if interrupted else contextlib.nullcontext():
        if runner == "docker":
            container_run.unstage(given, arguments, pipeline_root)
        run_dir = _newest_run_dir(pipeline_root, pipeline.name, started_wall)
        summary = build_summary(pipeline.name, run_dir, console, given, time.monotonic() - started, interrupted)
        console.close_log()
        if run_dir:
            os.replace(log_path, os.path.join(run_dir, RUN_LOG))
            summary["log"] = os.path.join(run_dir, RUN_LOG)
            write_summary(os.path.join(run_dir, SUMMARY), summary)
        else:
            summary["log"] = log_path
        write_summary(os.path.join(workdir, SUMMARY), summary)
    return summary
