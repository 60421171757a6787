"""push: only blessed models, atomic, never overwriting a version."""
import os

import pytest

from components.common.errors import ConfigurationError
from components.push.runtime import existing_versions, push_model


@pytest.fixture
def fake_model(tmp_path):
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.index").write_bytes(b"index")
    return str(model)


def test_not_blessed_pushes_nothing(tmp_path, fake_model):
    serving = tmp_path / "serving"
    result = push_model(fake_model, str(serving), blessed=False)
    assert result["pushed"] is False and result["pushed_destination"] == ""
    assert not serving.exists()


def test_blessed_model_gets_a_new_version_and_old_ones_stay(tmp_path, fake_model):
    serving = tmp_path / "serving"
    (serving / "99999999999").mkdir(parents=True)  # a version from the future
    (serving / "99999999999" / "saved_model.pb").write_bytes(b"old")
    first = push_model(fake_model, str(serving), blessed=True)
    second = push_model(fake_model, str(serving), blessed=True)
    assert first["pushed_version"] == 100000000000 and second["pushed_version"] == 100000000001
    assert existing_versions(str(serving)) == [99999999999, 100000000000, 100000000001]
    assert (serving / "99999999999" / "saved_model.pb").read_bytes() == b"old"
    assert open(os.path.join(second["pushed_destination"], "saved_model.pb"), "rb").read() == b"graph"
    assert not [n for n in os.listdir(serving) if n.startswith(".staging")]


def test_push_needs_a_destination_and_a_saved_model(tmp_path, fake_model):
    with pytest.raises(ConfigurationError, match="serving_model_dir"):
        push_model(fake_model, "", blessed=True)
    with pytest.raises(ConfigurationError, match="saved_model.pb"):
        push_model(str(tmp_path), str(tmp_path / "serving"), blessed=True)
