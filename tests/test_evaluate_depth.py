"""evaluate: slices from a parameter, metric sets per task, per-class metrics, the report."""
import json

import pytest

from components.common.errors import ConfigurationError
from components.evaluate.results import per_class_metrics
from components.evaluate.runtime import evaluate


def test_slices_parameter_with_a_cross(tmp_path, penguin_run):
    run = penguin_run
    result = evaluate(
        run.model, run.examples, run.schema, run.statistics, run.transform_graph,
        str(tmp_path / "evaluation"), str(tmp_path / "blessing"), slices=["sex", "island,sex"],
        report_path=str(tmp_path / "report.md"),
    )
    names = list(result["slices"])
    assert names[0] == "Overall" and "sex=female" in names and "island=Biscoe, sex=female" in names
    assert not any(n.startswith("island=") and "sex=" not in n for n in names)  # island alone was not asked for
    crossed = [m["example_count"] for n, m in result["slices"].items() if n.startswith("island=")]
    assert sum(crossed) <= result["overall"]["example_count"]  # rows without sex are in no cross
    report = open(tmp_path / "report.md").read()
    assert "## Per slice (candidate)" in report and "| island=Biscoe, sex=female |" in report


def test_unknown_slice_feature_is_a_clear_error(tmp_path, penguin_run):
    run = penguin_run
    with pytest.raises(ConfigurationError, match=r"\[.wingspan.\] that are not in the schema; features: bill_depth_mm, .*island, sex, species"):
        evaluate(
            run.model, run.examples, run.schema, run.statistics, run.transform_graph,
            str(tmp_path / "evaluation"), str(tmp_path / "blessing"), slices=["island,wingspan"],
        )


def test_three_classes_get_per_class_and_macro_metrics(penguin_run):
    evaluation = penguin_run.evaluation
    overall, classes, matrix = evaluation["overall"], evaluation["classes"], evaluation["confusion_matrix"]
    assert sorted(classes) == ["Adelie", "Chinstrap", "Gentoo"]
    for index, name in enumerate(classes):
        assert overall[f"recall[{name}]"] == pytest.approx(matrix[index][index] / sum(matrix[index]))
    recalls = [overall[f"recall[{c}]"] for c in classes]
    assert overall["macro_recall"] == pytest.approx(sum(recalls) / 3)
    assert 0.9 <= overall["macro_f1_score"] <= 1.0
    assert "auc" not in overall  # a binary metric
    report = open(f"{penguin_run.root}/evaluation.md").read()
    assert "## Per class (overall slice)" in report and "## Confusion matrix" in report
    assert f"| {classes[0]} |" in report


def test_per_class_metrics_from_a_confusion_matrix():
    # rows: actual a, b, c; columns: predicted. c is never predicted.
    metrics = per_class_metrics([[8, 2, 0], [1, 9, 0], [3, 1, 0]], ["a", "b", "c"])
    assert metrics["precision[a]"] == pytest.approx(8 / 12) and metrics["recall[a]"] == pytest.approx(0.8)
    assert metrics["f1_score[b]"] == pytest.approx(2 * 0.75 * 0.9 / 1.65)
    assert "precision[c]" not in metrics and metrics["recall[c]"] == 0.0
    assert metrics["macro_precision"] == pytest.approx((8 / 12 + 0.75 + 0) / 3)


def test_binary_labels_get_the_positive_class_metric_set():
    from components.evaluate.config import build_eval_config, check_thresholds, threshold_metric_names

    task_info = {"task": "classification", "label_key": "sex_xf", "classes": ["male", "female"], "positive_class": "female"}
    config = build_eval_config(task_info, ["island", ["island", "year"]], with_baseline=True)
    binary = config.metrics_specs[1]
    names = [json.loads(m.config)["name"] for m in binary.metrics]
    assert {"auc", "auc_precision_recall", "precision", "recall", "f1_score", "calibration"} <= set(names)
    assert list(binary.binarize.class_ids.values) == [1]  # "female"
    assert [list(s.feature_keys) for s in config.slicing_specs] == [[], ["island"], ["island", "year"]]
    assert [m.name for m in config.model_specs] == ["candidate", "baseline"] and config.model_specs[1].is_baseline
    # TFMA computes; the blessing is judged from intervals (judge.py), not by TFMA thresholds.
    assert not any(m.per_slice_thresholds for spec in config.metrics_specs for m in spec.metrics)
    assert "calibration" in threshold_metric_names(task_info)
    check_thresholds(task_info, {"auc": {"lower_bound": 0.6}}, {"f1_score": {"max_drop": 0.02}})
    with pytest.raises(ConfigurationError, match="calibration.*neither"):
        check_thresholds(task_info, {}, {"calibration": {"max_drop": 0.1}})


def test_the_roc_curve_keeps_distinct_points_only():
    from components.evaluate.results import roc_curve

    def matrix(threshold, tp, fp, tn, fn):
        return {"threshold": threshold, "truePositives": tp, "falsePositives": fp, "trueNegatives": tn, "falseNegatives": fn}

    steps = [matrix(t / 1000, 10, 5, 5, 0) for t in range(0, 400)] + [matrix(t / 1000, 8, 1, 9, 2) for t in range(400, 1001)]
    plots = [((), {"": {"": {"confusionMatrixAtThresholds": {"matrices": steps}}}})]
    fpr, tpr, thresholds = roc_curve(plots)
    assert list(zip(fpr, tpr)) == [(0.5, 1.0), (0.1, 0.8)] and thresholds == [0.0, 0.4]
