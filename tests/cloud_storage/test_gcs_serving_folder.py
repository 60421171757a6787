"""The serving folder on Cloud Storage (the fake-gcs-server emulator): push publishes
with the _PUBLISHED marker last, baseline and predict read only complete versions,
and a push killed (SIGKILL) in the middle of its copy is never picked up."""
import os
import signal
import subprocess
import sys

from components.baseline.runtime import latest_pushed_model
from components.common.baseline_model import has_baseline
from components.common import serving_folder
from components.common.serving_folder import PUBLISHED
from components.predict.model import resolve_model_dir
from components.push.runtime import push_model

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_FILES = ["assets/vocab.txt", "fingerprint.pb", "saved_model.pb", "variables/variables.data-00000-of-00001", "variables/variables.index"]


def _model(root):
    """A SavedModel-shaped folder (files only; nothing here loads it)."""
    for name in MODEL_FILES:
        path = root / "model" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode() + b"\x1f\x8b binary")
    return str(root / "model")


def test_push_to_gs_publishes_every_file_then_the_marker(gcs_emulator, gcs_bucket, tmp_path):
    serving = f"{gcs_bucket}/serving"
    first = push_model(_model(tmp_path), serving, blessed=True)
    second = push_model(_model(tmp_path), serving, blessed=True)

    assert second["pushed_version"] > first["pushed_version"]
    assert gcs_emulator.object_names(first["pushed_destination"]) == sorted(MODEL_FILES + [PUBLISHED])
    blob = gcs_emulator.client.bucket(gcs_bucket[5:]).blob(f"serving/{first['pushed_version']}/variables/variables.index")
    assert blob.download_as_bytes() == b"variables/variables.index\x1f\x8b binary"  # byte for byte
    assert serving_folder.published_versions(serving) == [first["pushed_version"], second["pushed_version"]]
    assert latest_pushed_model(serving) == {"version": second["pushed_version"], "uri": second["pushed_destination"]}
    assert has_baseline(second["pushed_destination"]) is True
    assert resolve_model_dir(serving) == (second["pushed_destination"], second["pushed_version"])
    assert resolve_model_dir(first["pushed_destination"]) == (first["pushed_destination"], first["pushed_version"])


def test_no_serving_folder_on_gs_means_no_baseline(gcs_emulator, gcs_bucket):
    assert latest_pushed_model(f"{gcs_bucket}/nothing/here") is None
    assert has_baseline(f"{gcs_bucket}/nothing/here/1") is False


def _push_in_a_child(model, serving):
    child = (
        "from tests.cloud_storage.conftest import anonymous_beam_credentials\n"
        "anonymous_beam_credentials()\n"
        "from components.push.runtime import push_model\n"
        f"push_model({model!r}, {serving!r}, blessed=True)\n"
    )
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    return subprocess.Popen([sys.executable, "-c", child], cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE)


def test_a_push_killed_half_way_is_never_the_baseline(gcs_emulator, gcs_bucket, tmp_path):
    serving = f"{gcs_bucket}/serving"
    previous = push_model(_model(tmp_path / "old"), serving, blessed=True)
    # The variables file of the new model is a named pipe: the child's copy blocks
    # on it after the files before it are uploaded, and is killed there.
    model = _model(tmp_path / "new")
    pipe = os.path.join(model, "variables", "variables.data-00000-of-00001")
    os.remove(pipe)
    os.mkfifo(pipe)
    child = _push_in_a_child(model, serving)
    with open(pipe, "wb") as writer:  # returns once the child opened it for its copy
        writer.write(b"half of the weights")
        writer.flush()
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL, child.stderr.read().decode()[-2000:]

    versions = serving_folder.versions(serving)
    assert len(versions) == 2 and versions[0] == previous["pushed_version"]
    killed = versions[1]
    written = gcs_emulator.object_names(f"{serving}/{killed}")
    assert written and PUBLISHED not in written and "saved_model.pb" not in written
    assert latest_pushed_model(serving) == {"version": previous["pushed_version"], "uri": previous["pushed_destination"]}
    assert resolve_model_dir(serving) == (previous["pushed_destination"], previous["pushed_version"])

    after = push_model(_model(tmp_path / "again"), serving, blessed=True)
    assert after["pushed_version"] > killed  # the dead push's name is never reused
    assert latest_pushed_model(serving)["version"] == after["pushed_version"]
