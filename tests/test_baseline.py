"""baseline: the newest complete version in the serving folder, found by listing it."""
import os

from components.baseline.runtime import latest_pushed_model
from components.common.baseline_model import NO_BASELINE_FILE, has_baseline, resolve_baseline, write_no_baseline
from components.common.serving_folder import PUBLISHED


def _version(serving, name, complete=True):
    """A version folder; a complete one holds the marker push writes last."""
    folder = serving / name
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"graph " + name.encode())
    if complete:
        (folder / PUBLISHED).write_text("{}")
    return folder


def _listing(root):
    return sorted((os.path.relpath(d, root), sorted(f)) for d, _, f in os.walk(root))


def test_no_folder_or_no_version_means_no_baseline(tmp_path):
    assert latest_pushed_model(str(tmp_path / "missing")) is None
    assert latest_pushed_model("") is None
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README").write_text("not a version")
    assert latest_pushed_model(str(tmp_path / "empty")) is None

    marker = tmp_path / "artifact"
    write_no_baseline(str(marker), str(tmp_path / "empty"))
    assert os.listdir(marker) == [NO_BASELINE_FILE]
    assert "empty" in (marker / NO_BASELINE_FILE).read_text()
    assert has_baseline(str(marker)) is False and has_baseline("") is False


def test_newest_complete_version_wins_and_nothing_is_touched(tmp_path):
    serving = tmp_path / "serving"
    _version(serving, "100")
    newest_complete = _version(serving, "250")
    _version(serving, "99")  # older, though listed later
    _version(serving, "300", complete=False)  # being copied, or its push died: skipped
    _version(serving, "latest")  # not an integer version: ignored
    (serving / ".staging-400-abc").mkdir()  # push's hidden copy in progress
    before = _listing(serving)

    found = latest_pushed_model(str(serving))

    assert found == {"version": 250, "uri": str(newest_complete)}
    assert has_baseline(found["uri"]) is True
    assert _listing(serving) == before


def test_the_model_is_read_from_the_artifact_or_else_from_its_recorded_uri(tmp_path):
    version = _version(tmp_path / "serving", "7")
    # The backend honoured the URI: the artifact is the version folder.
    assert resolve_baseline(str(version), {"found": True, "uri": str(version)}) == str(version)
    # It did not: the artifact is an empty folder, the metadata still says where the model is.
    empty = tmp_path / "artifact"
    empty.mkdir()
    assert resolve_baseline(str(empty), {"found": True, "uri": str(version)}) == str(version)
    # No baseline, or a recorded folder that no longer holds a model.
    write_no_baseline(str(tmp_path / "none"), str(tmp_path / "serving"))
    assert resolve_baseline(str(tmp_path / "none"), {"found": False, "uri": ""}) == ""
    assert resolve_baseline(str(empty), {"found": True, "uri": str(tmp_path / "gone")}) == ""
