"""The local runner on a shared machine: private staging, no symlink followed, nothing
staged before the Docker check, no code imported from the working folder, no worker
or temp files left behind."""
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from kfp import dsl

from conftest import PENGUINS, REPO_ROOT
from pipelines import container_run
from pipelines.local import run_locally


def _plant_predictable_symlink(root, source, victim):
    """Where the runner used to copy ``source`` (inputs/<sha256[:12]>/<name>): a symlink to ``victim``."""
    folder = root / "inputs" / hashlib.sha256(source.encode()).hexdigest()[:12]
    folder.mkdir(parents=True)
    os.symlink(victim, folder / os.path.basename(source))


def test_staging_is_private_unpredictable_and_follows_no_symlink(tmp_path):
    root = tmp_path / "pipeline_root"
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file")
    data = tmp_path / "data"
    data.mkdir()
    (data / "part-1.csv").write_text(open(PENGUINS).read())
    os.symlink(victim, data / "part-2.csv")  # planted in the data folder
    _plant_predictable_symlink(root, str(data), str(victim))

    container_run.prepare_pipeline_root(str(root))
    status = os.stat(root)
    mode, handed_over = container_run.pipeline_root_mode()
    assert stat.S_IMODE(status.st_mode) == mode and mode in (0o700, 0o1777)
    assert status.st_uid == (container_run.CONTAINER_UID if handed_over else os.getuid())

    first = container_run.stage_arguments({"data_path": str(data)}, str(root))["data_path"]
    second = container_run.stage_arguments({"data_path": str(data)}, str(root))["data_path"]
    assert victim.read_text() == "the user's own file"
    assert os.path.dirname(first) != os.path.dirname(second)  # a fresh folder each time
    assert os.path.basename(os.path.dirname(first)).startswith("input-")
    assert not os.path.samefile(os.path.dirname(first), root / "inputs" / hashlib.sha256(str(data).encode()).hexdigest()[:12])
    assert open(os.path.join(first, "part-1.csv")).read() == open(PENGUINS).read()
    assert os.path.islink(os.path.join(first, "part-2.csv"))  # copied as a link, not followed
    assert not (stat.S_IMODE(os.stat(os.path.dirname(first)).st_mode) & 0o022)  # nobody else writes there

    container_run.unstage({"data_path": str(data)}, {"data_path": first}, str(root))
    assert not os.path.exists(os.path.dirname(first)) and os.path.exists(os.path.dirname(second))


def test_a_planted_inputs_symlink_is_refused(tmp_path):
    root = tmp_path / "pipeline_root"
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    container_run.prepare_pipeline_root(str(root))
    os.symlink(elsewhere, root / "inputs")
    with pytest.raises(container_run.ContainerRunError, match="not a folder of yours"):
        container_run.stage_arguments({"data_path": PENGUINS}, str(root))
    assert os.listdir(elsewhere) == []


def test_nothing_is_staged_before_the_docker_daemon_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    from pipelines import training

    with pytest.raises(container_run.ContainerRunError, match="No Docker daemon"):
        run_locally(training, {"data_path": PENGUINS, "label": "species"}, str(tmp_path / "work"), runner="docker")
    assert not (tmp_path / "work" / "pipeline_root").exists()


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def where_am_i() -> str:
    """Which ``components`` package a task imports, and its temp folder."""
    import json
    import tempfile

    import components

    return json.dumps({"components": components.__file__, "tmpdir": tempfile.gettempdir()})


@dsl.pipeline(name="probe")
def probe() -> str:
    return where_am_i().output


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_task_imports_nothing_from_the_working_folder_and_leaves_no_temp_files(tmp_path, monkeypatch, warm):
    workdir = tmp_path / "work"
    shadow = tmp_path / "project" / "components"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(f"open({str(tmp_path / 'SHADOWED')!r}, 'w').close()\n")
    monkeypatch.chdir(shadow.parent)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = workdir / "tmp" / f"run-{int(gone.stdout)}-killed01"  # left by a run killed with -9
    running = workdir / "tmp" / f"run-{os.getpid()}-running1"  # a run still going on
    for folder in (orphan, running):
        (folder / "tft-vocabulary").mkdir(parents=True)
    summary = run_locally(probe, {}, str(workdir), warm=warm)
    assert summary["status"] == "succeeded", summary
    with open(os.path.join(summary["run_dir"], "where-am-i", "executor_output.json")) as handle:
        seen = json.loads(json.load(handle)["parameterValues"]["Output"])
    assert not (tmp_path / "SHADOWED").exists()
    assert seen["components"] == os.path.join(REPO_ROOT, "components", "__init__.py")
    # The task's TMPDIR (where kfp's `mktemp -d` wrote the component's source) was the
    # run's own folder under the workdir, and it is gone.
    assert seen["tmpdir"].startswith(str(workdir / "tmp" / "run-"))
    assert not os.path.exists(seen["tmpdir"]) and os.listdir(workdir / "tmp") == [running.name]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:  # a zombie is not running
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:  # reaped between the two looks
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_warm_worker_exits_when_kfp_tf_is_killed_with_sigkill(tmp_path):
    script = (
        "import sys, time\n"
        "from pipelines.warm_worker import WarmWorker\n"
        f"with WarmWorker({str(tmp_path / 'worker.log')!r}) as worker:\n"
        "    print(worker._process.pid, worker.socket_path, flush=True)\n"
        "    time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    worker_pid, socket_path = parent.stdout.readline().split()
    worker_pid = int(worker_pid)
    deadline = time.monotonic() + 240
    while not os.path.exists(socket_path) and time.monotonic() < deadline:  # serving, TensorFlow loaded
        time.sleep(0.5)
    assert os.path.exists(socket_path), open(tmp_path / "worker.log").read()
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker_pid)
    assert not os.path.exists(os.path.dirname(socket_path))  # its socket folder removed too


@pytest.mark.skipif(os.getuid() != 0, reason="runs as other users through setuid")
@pytest.mark.parametrize("uid, mode", [(container_run.CONTAINER_UID, 0o700), (4242, 0o1777)])
def test_the_pipeline_root_of_other_users_is_private_or_sticky(uid, mode):
    """The container user's own root stays private; anyone else's is sticky, so nobody
    can rename or delete what another user's run put there."""
    import pathlib
    import shutil
    import tempfile
    import traceback

    shared = pathlib.Path(tempfile.mkdtemp(prefix="kfp-tf-test-"))  # pytest's tmp_path is root's only
    os.chmod(shared, 0o755)
    home = shared / f"user-{uid}"
    home.mkdir()
    os.chown(home, uid, uid)
    pid = os.fork()
    if pid == 0:  # the child becomes that user and prepares its pipeline root
        code = 1
        try:
            os.setgid(uid)
            os.setuid(uid)
            container_run.prepare_pipeline_root(str(home / "pipeline_root"))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    try:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        status = os.stat(home / "pipeline_root")
        assert (status.st_uid, stat.S_IMODE(status.st_mode)) == (uid, mode)
    finally:
        shutil.rmtree(shared)
