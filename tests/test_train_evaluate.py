"""train and evaluate: a SavedModel that answers raw tf.Examples, and TFMA's verdict."""
import json
import os

import numpy as np
import pytest

from components.common.errors import ConfigurationError
from components.common.blessing import is_blessed
from components.evaluate.runtime import evaluate
from components.train.runtime import train
from conftest import PENGUINS, read_csv_rows, serialized_examples


def _serve(model_dir, rows, skip):
    import tensorflow as tf

    model = tf.saved_model.load(model_dir)
    return model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip=skip)))


def test_classifier_answers_raw_examples(penguin_run):
    rows = read_csv_rows(PENGUINS)
    outputs = _serve(penguin_run.model, rows, skip={"species"})  # serving data has no label
    probabilities = outputs["probabilities"].numpy()
    assert probabilities.shape == (344, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    predicted = [c.decode() for c in outputs["classes"].numpy()]
    accuracy = np.mean([p == r["species"] for p, r in zip(predicted, rows)])
    assert accuracy >= 0.9


def test_regressor_predicts_in_grams(regression_run):
    rows = read_csv_rows(PENGUINS)
    rows = [r for r in rows if r["body_mass_g"]]
    predictions = _serve(regression_run.model, rows, skip={"body_mass_g"})["predictions"].numpy()
    truth = np.array([float(r["body_mass_g"]) for r in rows])
    assert predictions.shape == truth.shape
    mae = np.abs(predictions - truth).mean()
    assert mae < 0.5 * np.abs(truth - truth.mean()).mean()  # clearly better than the mean


def test_classifier_evaluation_is_blessed_with_confusion_matrix(penguin_run):
    evaluation = penguin_run.evaluation
    assert evaluation["blessed"] and is_blessed(penguin_run.blessing)
    assert evaluation["overall"]["accuracy"] >= 0.9
    eval_rows = penguin_run.ingest_result["split_row_counts"]["eval"]
    assert evaluation["overall"]["example_count"] == eval_rows
    assert sum(map(sum, evaluation["confusion_matrix"])) == eval_rows
    assert any(name.startswith("island=") for name in evaluation["slices"])
    saved = json.load(open(os.path.join(penguin_run.evaluation_dir, "evaluation.json")))
    assert saved["blessed"] is True
    report = open(os.path.join(penguin_run.root, "evaluation.md")).read()
    assert "BLESSED" in report and "| Overall |" in report


def test_regression_metrics(regression_run):
    overall = regression_run.evaluation["overall"]
    assert {"mean_squared_error", "mean_absolute_error", "squared_pearson_correlation"} <= set(overall)
    assert overall["squared_pearson_correlation"] > 0.5
    assert overall["root_mean_squared_error"] == pytest.approx(overall["mean_squared_error"] ** 0.5)
    assert 3500 < overall["mean_label"] < 5000


def test_default_value_thresholds_beside_the_trivial_predictor_test():
    from components.evaluate.config import default_thresholds

    # "Better than the most frequent class" is a paired test (judge.py), not a value threshold.
    imbalanced = {"task": "classification", "classes": ["no", "yes"], "class_counts": {"no": 900, "yes": 100}}
    assert default_thresholds(imbalanced) == {"auc": {"lower_bound": 0.6}}
    three = {"task": "classification", "classes": ["a", "b", "c"], "class_counts": {"a": 50, "b": 30, "c": 20}}
    assert default_thresholds(three) == {}
    assert default_thresholds({"task": "regression"}) == {"squared_pearson_correlation": {"lower_bound": 0.1}}


def test_blessing_shows_intervals_and_the_trivial_test(penguin_run):
    from components.common.views.formatting import interval, number

    evaluation = penguin_run.evaluation
    low, high = evaluation["intervals"]["accuracy"]
    assert low <= evaluation["overall"]["accuracy"] <= high < 1.0 + 1e-9 and high - low > 0.01
    trivial = [c for c in evaluation["checks"] if c["check"] == "better_than_trivial"]
    assert trivial and trivial[0]["passed"] and trivial[0]["p_value"] < 0.025
    report = open(os.path.join(penguin_run.root, "evaluation.md")).read()
    assert "McNemar" in report and f"{number(evaluation['overall']['accuracy'])} {interval((low, high))}" in report


def test_unreachable_threshold_is_not_blessed(tmp_path, penguin_run):
    run = penguin_run
    result = evaluate(
        run.model, run.examples, run.schema, run.statistics, run.transform_graph,
        str(tmp_path / "eval"), str(tmp_path / "blessing"), thresholds={"accuracy": {"lower_bound": 1.01}},
    )
    assert result["blessed"] is False and not is_blessed(str(tmp_path / "blessing"))
    assert any("accuracy" in reason for reason in result["reasons"])


def test_threshold_on_unknown_metric_is_a_clear_error(tmp_path, penguin_run):
    run = penguin_run
    with pytest.raises(ConfigurationError, match="'auc'"):
        evaluate(
            run.model, run.examples, run.schema, run.statistics, run.transform_graph,
            str(tmp_path / "eval"), str(tmp_path / "blessing"), thresholds={"auc": {"lower_bound": 0.5}},
        )


def test_bad_hyperparameters_fail_before_training(tmp_path, penguin_run):
    with pytest.raises(ConfigurationError, match="epochs"):
        train(penguin_run.transform_graph, penguin_run.transformed_examples, str(tmp_path / "m"), epochs=0)
