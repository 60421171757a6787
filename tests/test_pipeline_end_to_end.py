"""The training pipeline run by kfp's local runner, each task in its own process."""
import json
import os

import numpy as np
import pytest

from conftest import PENGUINS, read_csv_rows, run_data_validation, run_training_pipeline, serialized_examples

pytestmark = pytest.mark.slow


_run = run_training_pipeline


def test_penguins_train_bless_push_and_serve(penguin_pipeline_run):
    import tensorflow as tf

    summary, tmp_path = penguin_pipeline_run  # shared with tests/test_views_browser.py
    assert summary["status"] == "succeeded", summary
    assert summary["rows"]["train"] + summary["rows"]["eval"] == 344
    assert summary["anomaly_count"] == 0 and summary["task"] == "classification"
    assert summary["metrics"]["accuracy"] >= 0.9 and summary["blessed"] is True
    assert set(summary["task_seconds"]) == {
        "fingerprint-inputs", "ingest", "statistics", "schema", "validate", "data-gate", "check-settings", "transform",
        "train", "baseline", "evaluate", "infra-validate", "push",
    }
    low, high = summary["metric_intervals"]["accuracy"]
    assert low <= summary["metrics"]["accuracy"] <= high
    assert summary["baseline"] is None and summary["infra_blessed"] is True  # the first model in this folder
    pushed = summary["pushed_model"]
    assert os.path.dirname(pushed) == os.path.join(tmp_path, "serving") and os.path.basename(pushed).isdigit()

    rows = read_csv_rows(PENGUINS)
    model = tf.saved_model.load(pushed)
    outputs = model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
    probabilities = outputs["probabilities"].numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    accuracy = np.mean([c.decode() == r["species"] for c, r in zip(outputs["classes"].numpy(), rows)])
    assert accuracy >= 0.9


def test_regression_target_on_the_same_pipeline(tmp_path):
    summary = _run(tmp_path, label="body_mass_g", epochs=40)
    assert summary["status"] == "succeeded", summary
    assert summary["task"] == "regression"
    metrics = summary["metrics"]
    assert metrics["squared_pearson_correlation"] > 0.5
    assert metrics["mean_absolute_error"] < 600  # grams; the label's spread is ~800
    assert summary["blessed"] is True and summary["pushed_model"]


@pytest.mark.parametrize("warm", [True, False], ids=["warm-worker", "cold-processes"])
def test_bad_label_stops_at_ingest_and_pushes_nothing(tmp_path, warm):
    before = open(PENGUINS, "rb").read()
    summary = _run(tmp_path, label="wingspan", warm=warm)
    assert summary["status"] == "failed" and summary["failed_task"] == "ingest"
    assert summary["error"]["type"] == "DataError"
    assert "wingspan" in summary["error"]["message"] and "penguins.csv" in summary["error"]["message"]
    assert summary["pushed_model"] is None and not os.path.exists(os.path.join(tmp_path, "serving"))
    assert open(PENGUINS, "rb").read() == before


def test_unreachable_threshold_trains_but_pushes_nothing(binary_pipeline_run):
    summary, _ = binary_pipeline_run  # shared with tests/test_views_browser.py
    assert summary["status"] == "succeeded", summary
    assert summary["task"] == "classification" and sorted(summary["classes"]) == ["female", "male"]
    assert summary["rows_without_label"] == 11 and sum(summary["rows"].values()) == 333
    assert "auc" in summary["metrics"]  # binary labels get the positive-class metrics
    assert summary["blessed"] is False and summary["pushed_model"] is None
    assert any("accuracy" in reason for reason in summary["blessing_reasons"])


def test_data_validation_stops_a_drifted_batch_and_passes_an_unchanged_one(tmp_path, drifted_validation_run):
    stopped, moved, before = drifted_validation_run  # shared with tests/test_views_browser.py
    assert stopped["status"] == "failed" and stopped["failed_task"] == "data-gate"
    assert stopped["error"]["type"] == "ValidationFailedError" and "bill_length_mm" in stopped["error"]["message"]
    # Measure, then decide: validate completed, and its executor output lists the evidence.
    executor_output = json.load(open(os.path.join(stopped["run_dir"], "validate", "executor_output.json")))
    assert {"anomalies", "anomalies_report", "comparison_view"} <= set(executor_output["artifacts"])
    report = open(executor_output["artifacts"]["anomalies_report"]["artifacts"][0]["uri"]).read()
    assert "bill_length_mm" in report
    drifted = {d["feature"] for d in stopped["drift"] if d["drifted"]}
    assert drifted == {"bill_length_mm"}
    assert open(moved, "rb").read() == before  # the input is left as it was

    passed = run_data_validation(tmp_path / "same_run", PENGUINS, baseline=PENGUINS)
    assert passed["status"] == "succeeded", passed
    assert passed["anomaly_count"] == 0 and passed["drift"] and not any(d["drifted"] for d in passed["drift"])
