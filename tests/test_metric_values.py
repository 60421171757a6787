"""Evaluate's numpy metrics equal TFMA's, run on the same examples.

``components.evaluate.metric_values`` replaces ``tfma.run_model_analysis`` in
evaluate for speed; these tests run TFMA itself (model-agnostic: labels and
predictions are features of the examples) with the metric sets evaluate configures
(``components.evaluate.config``), and compare every metric of every slice, and the
plots, with ours written in TFMA's format and read back by ``tfma.load_eval_result``.
Scores sit on bucket edges, thresholds, 0 and 1 on purpose.
"""
import numpy as np
import pytest

from components.evaluate import results
from components.evaluate.config import binary_metric_configs, build_eval_config, metric_configs
from components.evaluate.metric_values import model_values
from components.evaluate.significance import Predictions
from components.evaluate.slicing import slice_rows
from components.evaluate.tfma_files import write_eval_result

ROWS = 3000
SLICES = [["city"], ["hour"], ["city", "hour"]]
EDGE_SCORES = [0.0, 1.0, 0.5, 0.4999, 0.5001, 0.0001, 0.9999, 1e-9, 1 - 1e-9, 0.12345, 0.25, 0.75]


def _examples(labels, outputs, city, hour):
    import tensorflow as tf

    for i in range(len(labels)):
        feature = {
            "label": tf.train.Feature(float_list=tf.train.FloatList(value=[labels[i]])),
            "output": tf.train.Feature(float_list=tf.train.FloatList(value=np.atleast_1d(outputs[i]).tolist())),
            "hour": tf.train.Feature(int64_list=tf.train.Int64List(value=[hour[i]])),
        }
        if city[i] is not None:  # a row without the slice feature belongs to none of its slices
            feature["city"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[city[i]]))
        yield tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _tfma_config(task_info):
    """evaluate's EvalConfig, reading labels and predictions from features (no model)."""
    config = build_eval_config(task_info, SLICES)
    del config.model_specs[:]
    config.model_specs.add(label_key="label", prediction_key="output")
    return config


def _ours(tmp_path, task_info, predictions, city, hour):
    rows_with_city = np.array([i for i, c in enumerate(city) if c is not None])
    values = {
        "city": (rows_with_city, np.array([city[i] for i in rows_with_city], dtype=object)),
        "hour": (np.arange(len(hour)), np.asarray(hour, dtype=np.int64)),
    }
    binary = task_info["task"] == "classification" and len(task_info["classes"]) == 2
    sliced = [(key, {"": model_values(predictions, rows, binary)}) for key, rows in slice_rows(len(hour), SLICES, values)]
    out = str(tmp_path / "ours")
    write_eval_result(out, _tfma_config(task_info), "", {"": ""}, sliced, predictions.positive_id, "", None)
    return out


def _theirs(tmp_path, task_info, labels, outputs, city, hour):
    import tensorflow as tf
    import tensorflow_model_analysis as tfma

    data = str(tmp_path / "examples.tfrecord")
    with tf.io.TFRecordWriter(data) as writer:
        for record in _examples(labels, outputs, city, hour):
            writer.write(record)
    out = str(tmp_path / "tfma")
    tfma.run_model_analysis(eval_config=_tfma_config(task_info), data_location=data, file_format="tfrecords",
                            output_path=out)
    return out


def _compare(ours_path, theirs_path, classes=None):
    import tensorflow_model_analysis as tfma

    ours, theirs = tfma.load_eval_result(ours_path), tfma.load_eval_result(theirs_path)
    ours_metrics, theirs_metrics = results.sliced_metrics(ours, classes), results.sliced_metrics(theirs, classes)
    assert list(ours_metrics) == list(theirs_metrics)
    assert len(ours_metrics) > 10  # overall, the cities, the hours and their crosses
    for name, metrics in theirs_metrics.items():
        assert set(ours_metrics[name]) == set(metrics), name
        for metric, value in metrics.items():
            # Keras computes accuracy and loss in float32 inside TFMA: equal to its precision.
            assert ours_metrics[name][metric] == pytest.approx(value, rel=2e-6, abs=1e-7), (name, metric)
    return ours, theirs


def _data(seed):
    rng = np.random.default_rng(seed)
    city = [None if i % 37 == 0 else [b"Oslo", b"Lima", b"Pune"][i % 3] for i in range(ROWS)]
    hour = [int(h) for h in rng.integers(0, 4, ROWS)]
    return rng, city, hour


@pytest.mark.parametrize("seed", [1, 2])
def test_binary_metrics_and_plots_equal_tfma(tmp_path, seed):
    rng, city, hour = _data(seed)
    labels = rng.integers(0, 2, ROWS)
    scores = np.clip(rng.beta(2, 2, ROWS) * 0.6 + labels * 0.3, 0, 1).astype(np.float32)
    scores[: len(EDGE_SCORES)] = EDGE_SCORES
    scores[100:400] = np.round(scores[100:400], 3)  # many ties, on the plot's thresholds
    probabilities = np.stack([1 - scores, scores], axis=1).astype(np.float32)
    task_info = {"task": "classification", "classes": ["no", "yes"], "positive_class": "yes", "label_key": "label"}
    predictions = Predictions(labels, probabilities=probabilities.astype(np.float64), positive_id=1)
    ours, theirs = _compare(_ours(tmp_path, task_info, predictions, city, hour),
                            _theirs(tmp_path, task_info, labels, probabilities, city, hour), ["no", "yes"])
    assert {m["name"] for m in binary_metric_configs()} - {"confusion_matrix_plot"} <= set(
        results.sliced_metrics(ours, ["no", "yes"])["Overall"])
    assert results.roc_curve(ours.plots) == results.roc_curve(theirs.plots)
    assert results.precision_recall_curve(ours.plots) == results.precision_recall_curve(theirs.plots)
    assert results.confusion_matrix(ours.plots, ["no", "yes"]) == results.confusion_matrix(theirs.plots, ["no", "yes"])


def test_multiclass_metrics_and_confusion_matrix_equal_tfma(tmp_path):
    rng, city, hour = _data(3)
    classes = ["a", "b", "c", "d"]
    labels = rng.integers(0, 4, ROWS)
    logits = rng.normal(size=(ROWS, 4)) + np.eye(4)[labels] * 1.5
    probabilities = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    probabilities[0] = [1.0, 0.0, 0.0, 0.0]  # a certain (and maybe wrong) prediction: the loss clips it
    task_info = {"task": "classification", "classes": classes, "label_key": "label"}
    predictions = Predictions(labels, probabilities=probabilities.astype(np.float64))
    ours, theirs = _compare(_ours(tmp_path, task_info, predictions, city, hour),
                            _theirs(tmp_path, task_info, labels, probabilities, city, hour), classes)
    assert {m["name"] for m in metric_configs(task_info) if not m["name"].endswith("_plot")} <= set(
        results.sliced_metrics(ours, classes)["Overall"])
    assert results.confusion_matrix(ours.plots, classes) == results.confusion_matrix(theirs.plots, classes)


def test_regression_metrics_equal_tfma(tmp_path):
    rng, city, hour = _data(4)
    labels = rng.gamma(2.0, 3.0, ROWS).astype(np.float32)
    outputs = (labels * 0.8 + rng.normal(0, 1.5, ROWS)).astype(np.float32)
    task_info = {"task": "regression", "label_key": "label"}
    predictions = Predictions(labels.astype(np.float64), predictions=outputs.astype(np.float64))
    ours, _ = _compare(_ours(tmp_path, task_info, predictions, city, hour),
                       _theirs(tmp_path, task_info, labels, outputs, city, hour))
    assert {m["name"] for m in metric_configs(task_info)} <= set(results.sliced_metrics(ours)["Overall"])


def test_evaluate_equals_tfma_on_a_trained_model_and_its_champion(tmp_path, penguin_run):
    """The whole path: both models' predictions on the real eval split (the label read
    through the transform graph, slice values parsed from the raw examples, ``sex``
    missing in some), compared with ``tfma.run_model_analysis`` of both models."""
    import tensorflow_model_analysis as tfma

    from components.common import layout
    from components.common.metadata import load_schema
    from components.common.task import read_task_info
    from components.evaluate.config import BASELINE, CANDIDATE
    from components.evaluate.runtime import evaluate

    slices = ["island", "sex", "island,sex"]
    ours = str(tmp_path / "ours")
    evaluate(penguin_run.model, penguin_run.examples, penguin_run.schema, penguin_run.statistics,
             penguin_run.transform_graph, ours, str(tmp_path / "blessing"), slices=slices,
             baseline_model_uri=penguin_run.model)
    task_info = read_task_info(penguin_run.transform_graph)
    config = build_eval_config(task_info, [s.split(",") for s in slices], with_baseline=True)
    theirs = str(tmp_path / "tfma")
    tfma.run_model_analysis(
        eval_shared_model=[
            tfma.default_eval_shared_model(eval_saved_model_path=penguin_run.model, eval_config=config, model_name=name)
            for name in (CANDIDATE, BASELINE)
        ],
        eval_config=config, data_location=layout.examples_pattern(penguin_run.examples, layout.EVAL),
        file_format="tfrecords", output_path=theirs, schema=load_schema(layout.schema_path(penguin_run.schema)),
    )
    classes = task_info["classes"]
    for name in (CANDIDATE, BASELINE):
        mine = tfma.load_eval_result(ours, model_name=name)
        reference = tfma.load_eval_result(theirs, model_name=name)
        got, expected = results.sliced_metrics(mine, classes), results.sliced_metrics(reference, classes)
        assert list(got) == list(expected) and len(expected) > 6, (list(got), list(expected))
        for slice_name, metrics in expected.items():
            assert set(got[slice_name]) == set(metrics)
            for metric, value in metrics.items():
                assert got[slice_name][metric] == pytest.approx(value, rel=2e-6, abs=1e-7), (name, slice_name, metric)
        assert results.confusion_matrix(mine.plots, classes) == results.confusion_matrix(reference.plots, classes)
