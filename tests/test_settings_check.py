"""check_settings: evaluation and push settings fail before any work (issue 13)."""
import os

import pytest

from components.common.errors import ConfigurationError
from components.evaluate.settings import check_settings
from conftest import PENGUINS


def _check(run, **kwargs):
    return check_settings(run.schema, run.statistics, kwargs.pop("label", "species"), **kwargs)


def test_good_settings_pass_and_name_the_task(penguin_run, tmp_path):
    found = _check(penguin_run, thresholds={"accuracy": {"lower_bound": 0.5}}, slices=["island", "island,sex"],
                   serving_model_dir=str(tmp_path / "new" / "serving"))
    assert found == {"task": "classification", "class_count": 3}
    assert not os.path.exists(tmp_path / "new")  # nothing created


def test_unknown_metric_slice_and_direction_are_named(penguin_run):
    with pytest.raises(ConfigurationError, match=r"\['auc'\].*not computed for a classification model with 3 classes"):
        _check(penguin_run, thresholds={"auc": {"lower_bound": 0.6}})
    with pytest.raises(ConfigurationError, match=r"\['beak'\].*not in the schema"):
        _check(penguin_run, slices=["island,beak"])
    with pytest.raises(ConfigurationError, match="lower is better"):
        _check(penguin_run, change_thresholds={"loss": {"max_drop": 0.1}})
    with pytest.raises(ConfigurationError, match=r"\['accuracy'\].*regression"):
        _check(penguin_run, label="body_mass_g", thresholds={"accuracy": {"lower_bound": 0.6}})


def test_a_serving_folder_that_cannot_be_created_is_named(penguin_run, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigurationError, match="a_file.*is a file, not a folder"):
        _check(penguin_run, serving_model_dir=str(blocker / "serving"))
    assert blocker.read_text() == "not a folder"


def test_the_pipeline_stops_before_transform(tmp_path):
    from pipelines import training
    from pipelines.local import run_locally

    arguments = {"data_path": PENGUINS, "label": "species", "serving_model_dir": str(tmp_path / "serving"),
                 "thresholds": {"auc": {"lower_bound": 0.6}}}
    summary = run_locally(training, arguments, str(tmp_path / "run"))
    assert summary["status"] == "failed" and summary["failed_task"] == "check-settings", summary
    assert summary["error"]["type"] == "ConfigurationError" and "'auc'" in summary["error"]["message"]
    assert "transform" not in summary["task_seconds"] and "train" not in summary["task_seconds"]
    assert not os.path.exists(tmp_path / "serving")
