"""`kfp-tf run` stopped by Ctrl-C, and a workdir it cannot write: a short message, a
summary that says so, nothing left running, no traceback."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO_ROOT

# Beside the interpreter in a venv; in the component image the package's scripts are in
# /opt/package/bin (installed with --target), on PATH.
KFP_TF = os.path.join(os.path.dirname(sys.executable), "kfp-tf")
if not os.path.exists(KFP_TF):
    KFP_TF = shutil.which("kfp-tf") or KFP_TF


def _session_processes(session_id):
    """Processes (not zombies) of a session, from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":  # fields: state, ppid, pgrp, session
            found.append(int(name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_ctrl_c_stops_the_run_with_a_short_message_and_an_interrupted_summary(tmp_path, mode):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "summary.json").write_text(json.dumps({"pipeline": "training", "status": "succeeded"}))  # an older run's
    output = open(tmp_path / "console.txt", "w+")
    command = [KFP_TF, "run", "training", "--workdir", str(workdir)] + (["--cold"] if mode == "cold" else [])
    # Its own session, as a terminal's foreground job: Ctrl-C goes to every process in it.
    # Ctrl-C's default disposition restored first: a pytest-xdist worker ignores SIGINT,
    # and an ignored signal stays ignored across exec (as for a shell's background job).
    run = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 300
        while "fingerprint-inputs: running" not in open(tmp_path / "console.txt").read():
            assert run.poll() is None and time.monotonic() < deadline, open(tmp_path / "console.txt").read()
            time.sleep(0.2)
        assert json.loads((workdir / "summary.json").read_text())["status"] == "running"  # the old one is gone
        time.sleep(1.0)  # the task is under way
        os.killpg(run.pid, signal.SIGINT)
        code = run.wait(timeout=120)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    console = open(tmp_path / "console.txt").read()
    assert code == 130, console
    assert "Traceback" not in console and "KeyboardInterrupt" not in console, console
    assert len(console.splitlines()) < 15, console
    summary = json.loads((workdir / "summary.json").read_text())
    # The task under way a second after fingerprint-inputs started: itself on a loaded
    # machine, ingest on a quiet one (fingerprint-inputs takes 0.2 s there).
    task = summary["interrupted_task"]
    assert summary["status"] == "interrupted" and task in ("fingerprint-inputs", "ingest"), summary
    assert "INTERRUPTED" in console and f"stopped by Ctrl-C during {task}" in console, console
    assert os.path.exists(summary["log"])
    deadline = time.monotonic() + 10
    while _session_processes(run.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_processes(run.pid) == []  # no worker, task or launcher left behind
    assert os.listdir(workdir / "tmp") == []  # the run's temp folder removed


def _cli(*args, wrap=()):
    return subprocess.run([*wrap, KFP_TF, *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)


def test_a_workdir_that_cannot_be_created_is_named_in_one_line(tmp_path):
    (tmp_path / "a-file").write_text("")
    done = _cli("run", "training", "--workdir", str(tmp_path / "a-file" / "work"))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr  # one line
    assert f"Cannot write to the workdir {tmp_path / 'a-file' / 'work'} (Not a directory" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def _read_only_wrapper(folder):
    """How to run a command that sees ``folder`` read-only: root writes anywhere, so
    through a read-only bind mount in a user namespace (``unshare``); others by mode."""
    if os.getuid() != 0:
        os.chmod(folder, 0o555)
        return ()
    unshare = shutil.which("unshare")
    probe = unshare and subprocess.run([unshare, "-Urm", "true"], capture_output=True)
    if not probe or probe.returncode != 0:
        pytest.skip("running as root without user namespaces: no way to make a folder read-only for this test")
    return (unshare, "-Urm", "sh", "-c", f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && exec "$0" "$@"')


def test_a_read_only_workdir_is_named_in_one_line(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    done = _cli("run", "training", "--workdir", str(workdir), wrap=_read_only_wrapper(workdir))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert f"Cannot write to the workdir {workdir} (Read-only file system" in done.stderr \
        or f"Cannot write to the workdir {workdir} (Permission denied" in done.stderr, done.stderr
    assert "choose a folder you can write with --workdir" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
