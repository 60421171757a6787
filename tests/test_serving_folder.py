"""The serving folder on a local disk: versions appear complete or not at all, a
killed push is never a baseline and its leftovers go, and a failed rename says why.
(The same on the Cloud Storage emulator: tests/cloud_storage/test_gcs_serving_folder.py.)"""
import os
import signal
import subprocess
import sys
import time

import pytest

from components.baseline.runtime import latest_pushed_model
from components.common import serving_folder
from components.common.errors import ConfigurationError
from components.common.serving_folder import PUBLISHED
from components.predict.model import resolve_model_dir
from components.push.runtime import push_model

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _model(root, size=0):
    """A SavedModel-shaped folder (files only; nothing here loads it)."""
    model = root / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.index").write_bytes(b"index")
    (model / "variables" / "variables.data-00000-of-00001").write_bytes(os.urandom(size) if size else b"data")
    return str(model)


def _listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def test_a_pushed_version_is_complete_and_holds_the_model_and_the_marker(tmp_path):
    model, serving = _model(tmp_path), str(tmp_path / "serving")
    result = push_model(model, serving, blessed=True)
    version = result["pushed_version"]
    assert serving_folder.published_versions(serving) == [version]
    assert serving_folder.newest_published(serving) == (version, os.path.join(serving, str(version)))
    assert _listing(result["pushed_destination"]) == sorted(_listing(model) + [PUBLISHED])
    assert os.listdir(serving) == [str(version)]  # nothing left aside


def test_readers_skip_a_version_without_the_marker(tmp_path):
    model, serving = _model(tmp_path), tmp_path / "serving"
    complete = push_model(model, str(serving), blessed=True)
    half = serving / str(complete["pushed_version"] + 5)  # a newer folder a push is still filling
    (half / "variables").mkdir(parents=True)
    (half / "saved_model.pb").write_bytes(b"graph")

    assert latest_pushed_model(str(serving)) == {"version": complete["pushed_version"], "uri": complete["pushed_destination"]}
    assert resolve_model_dir(str(serving)) == (complete["pushed_destination"], complete["pushed_version"])
    # The half-written name is never reused.
    assert push_model(model, str(serving), blessed=True)["pushed_version"] > int(half.name)


def _killed_push(model, serving, limit):
    """Run push_model in a child process that the kernel kills (SIGXFSZ, uncatchable
    once its default action is restored, like SIGKILL) when a write passes ``limit``
    bytes: the copy dies half-way, with no Python cleanup."""
    child = (
        "import resource, signal, sys\n"
        "from components.push.runtime import push_model\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
        "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        f"push_model({model!r}, {serving!r}, blessed=True)\n"
    )
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    return subprocess.run([sys.executable, "-c", child], cwd=REPO_ROOT, env=env, capture_output=True, timeout=120)


def test_a_push_killed_half_way_is_never_the_baseline_and_the_next_push_clears_it(tmp_path):
    serving = str(tmp_path / "serving")
    previous = push_model(_model(tmp_path / "old"), serving, blessed=True)

    killed = _killed_push(_model(tmp_path / "big", size=4 << 20), serving, limit=1 << 20)

    assert killed.returncode == -signal.SIGXFSZ, killed.stderr.decode()[-2000:]
    staging = [n for n in os.listdir(serving) if n.startswith(serving_folder.STAGING_PREFIX)]
    assert len(staging) == 1  # the dead copy, hidden from TF Serving and from readers
    left = os.path.join(serving, staging[0], "variables", "variables.data-00000-of-00001")
    assert 0 < os.path.getsize(left) < 4 << 20  # it died in the middle of the copy
    assert serving_folder.versions(serving) == [previous["pushed_version"]]
    assert latest_pushed_model(serving) == {"version": previous["pushed_version"], "uri": previous["pushed_destination"]}

    after = push_model(_model(tmp_path / "new"), serving, blessed=True)
    assert sorted(os.listdir(serving)) == sorted([str(previous["pushed_version"]), str(after["pushed_version"])])
    assert latest_pushed_model(serving)["version"] == after["pushed_version"]


def test_staging_of_a_running_push_stays_and_of_a_dead_or_stale_one_goes(tmp_path):
    import socket

    serving = tmp_path / "serving"
    host = socket.gethostname()
    running = serving / f".staging-{host}-{os.getpid()}-aaaaaaaa"  # this very process: alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = serving / f".staging-{host}-{dead.pid}-bbbbbbbb"
    elsewhere = serving / ".staging-otherhost-1-cccccccc"  # another machine's: kept until stale
    stale = serving / ".staging-otherhost-2-dddddddd"
    for folder in (running, gone, elsewhere, stale):
        folder.mkdir(parents=True)
    old = time.time() - serving_folder.STALE_STAGING_SECONDS - 60
    os.utime(stale, (old, old))

    removed = serving_folder.remove_dead_staging(str(serving))

    assert sorted(removed) == sorted([str(gone), str(stale)])
    assert sorted(os.listdir(serving)) == sorted([running.name, elsewhere.name])


def test_a_failed_rename_is_reported_with_its_cause_and_not_retried(tmp_path, monkeypatch):
    model, serving = _model(tmp_path), tmp_path / "serving"
    calls = []

    def refuse(source, destination):
        calls.append(destination)
        raise PermissionError(13, "Permission denied", destination)

    monkeypatch.setattr(os, "rename", refuse)  # the OS refusing, as on a read-only or foreign folder
    with pytest.raises(PermissionError, match="Permission denied"):
        push_model(model, str(serving), blessed=True)
    assert len(calls) == 1
    assert os.listdir(serving) == []  # the aside copy is removed


def test_a_name_taken_during_the_rename_moves_on_to_the_next_version(tmp_path, monkeypatch):
    model, serving = _model(tmp_path), tmp_path / "serving"
    rename = os.rename
    taken = []

    def another_push_first(source, destination):
        if not taken:  # a concurrent push renames its copy onto this name first
            os.makedirs(os.path.join(destination, "variables"))
            taken.append(destination)
        rename(source, destination)

    monkeypatch.setattr(os, "rename", another_push_first)
    result = push_model(model, str(serving), blessed=True)
    assert result["pushed_destination"] != taken[0]
    assert result["pushed_version"] > int(os.path.basename(taken[0]))
    assert os.listdir(taken[0]) == ["variables"]  # the other push's folder is untouched


def test_publish_refuses_a_folder_without_a_saved_model(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigurationError, match="saved_model.pb"):
        serving_folder.publish(str(tmp_path / "empty"), str(tmp_path / "serving"))
