"""push: only blessed models, atomic, never overwriting a version."""
import os

import pytest

from components.common.errors import ConfigurationError
from components.common.serving_folder import PUBLISHED, versions
from components.push.runtime import push_model


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
    assert versions(str(serving)) == [99999999999, 100000000000, 100000000001]
    assert (serving / "99999999999" / "saved_model.pb").read_bytes() == b"old"
    assert open(os.path.join(second["pushed_destination"], "saved_model.pb"), "rb").read() == b"graph"
    assert os.path.exists(os.path.join(second["pushed_destination"], PUBLISHED))
    assert not [n for n in os.listdir(serving) if n.startswith(".staging")]


def test_push_needs_a_destination_and_a_saved_model(tmp_path, fake_model):
    with pytest.raises(ConfigurationError, match="serving_model_dir"):
        push_model(fake_model, "", blessed=True)
    with pytest.raises(ConfigurationError, match="saved_model.pb"):
        push_model(str(tmp_path), str(tmp_path / "serving"), blessed=True)


def _blessings(tmp_path, evaluate_ok, infra_ok):
    from components.common.blessing import write_blessing
    from components.infra_validate.runtime import write_infra_blessing

    blessing, infra = str(tmp_path / "blessing"), str(tmp_path / "infra")
    write_blessing(blessing, evaluate_ok, ["passes"] if evaluate_ok else ["Overall: accuracy = 0.3 is below its threshold (>= 0.45)"])
    write_infra_blessing(infra, {"blessed": infra_ok, "reasons": ["ok"] if infra_ok else ["probabilities are NaN"]})
    return blessing, infra


@pytest.mark.parametrize(
    "evaluate_ok, infra_ok, expected",
    [
        (True, True, []),
        (False, True, ["not blessed by evaluate: Overall: accuracy = 0.3 is below its threshold (>= 0.45)"]),
        (True, False, ["infra validation failed: probabilities are NaN"]),
    ],
)
def test_push_needs_both_blessings_and_says_which_failed(tmp_path, fake_model, evaluate_ok, infra_ok, expected):
    from components.common.blessing import push_decision

    blessing, infra = _blessings(tmp_path, evaluate_ok, infra_ok)
    ok, reasons = push_decision(blessing, infra)
    assert ok is (not expected) and reasons == expected
    serving = tmp_path / "serving"
    result = push_model(fake_model, str(serving), ok, reasons)
    assert result["pushed"] is ok
    if not ok:
        assert result["reason"] == expected[0] and not serving.exists()
    else:
        assert versions(str(serving)) == [result["pushed_version"]]
