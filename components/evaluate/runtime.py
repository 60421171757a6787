"""Evaluate: TFMA's metrics on the eval split, sliced, against value thresholds and a baseline.

Without a baseline the candidate alone is evaluated and judged on value
thresholds. With one (the model ``components.baseline`` found in the serving
folder), both predict the same examples in one pass, each through its own serving
signature on raw examples (so a baseline trained with a different transform is
read correctly), and change thresholds compare them. The metrics of every slice
are computed from those predictions (``metric_values``, to TFMA's definitions) and
written in TFMA's output format (``tfma_files``); ``tfma.load_eval_result`` reads
them back for the report.
"""
import json
import logging
import os
from typing import Dict, List, Optional, Sequence

from components.common import layout
from components.common import model_record, signatures
from components.common.blessing import write_blessing
from components.common.views.evaluation_view import evaluation_page
from components.common.views.page import write_page
from components.evaluate import results
from components.evaluate.calibration import reliability_bins
from components.evaluate.compare import CLASS_ORDER_FREE, check_baseline, comparable_change_thresholds
from components.evaluate.config import (
    BASELINE, CANDIDATE, MAX_SLICE_VALUES, build_eval_config, check_thresholds, default_change_thresholds, default_thresholds,
    parse_slices,
)
from components.evaluate.judge import judge
from components.evaluate.metric_values import model_values
from components.evaluate.predictions import eval_predictions
from components.evaluate.report import markdown_report, side_by_side
from components.evaluate.settings import check_slices
from components.evaluate.slicing import slice_rows
from components.evaluate.tfma_files import write_eval_result

logger = logging.getLogger(__name__)

EVALUATION_FILE = "evaluation.json"


def categorical_slice_features(schema, statistics, label: str) -> List[str]:
    """String features (not the label) with few enough values to slice on."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    unique = {}
    for feature in statistics.datasets[0].features:
        if feature.HasField("string_stats"):
            unique[feature.path.step[0]] = feature.string_stats.unique
    return [
        f.name
        for f in schema.feature
        if f.type == schema_pb2.BYTES and f.name != label and 0 < unique.get(f.name, 0) <= MAX_SLICE_VALUES
    ]


def _feature_types(schema, names) -> Dict[str, object]:
    """{feature: tf.DType} of the schema's features in ``names`` (the slice features)."""
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import schema_pb2

    types = {schema_pb2.BYTES: tf.string, schema_pb2.INT: tf.int64, schema_pb2.FLOAT: tf.float32}
    return {f.name: types[f.type] for f in schema.feature if f.name in names}


def _per_class(eval_result, classes) -> Dict[str, float]:
    """Per-class and macro metrics from the overall confusion matrix (three or more classes)."""
    if not classes or len(classes) < 3:
        return {}
    matrix = results.confusion_matrix(eval_result.plots, classes)
    return results.per_class_metrics(matrix, classes) if matrix else {}


def _prediction_distribution(task_info: Dict[str, object], predictions) -> Dict[str, object]:
    """The candidate's predictions on the eval split, as the record keeps them (the
    baseline ``monitor`` compares served predictions with)."""
    if predictions.classification:
        import numpy as np

        return model_record.prediction_distribution(
            classes=list(task_info.get("classes") or []), class_ids=np.argmax(predictions.probabilities, axis=1)
        )
    return model_record.prediction_distribution(values=predictions.predictions)


def evaluate(
    model_uri: str,
    examples_uri: str,
    schema_uri: str,
    statistics_uri: str,
    transform_graph_uri: str,
    output_uri: str,
    blessing_uri: str,
    thresholds: Optional[Dict[str, Dict[str, float]]] = None,
    slices: Optional[Sequence[str]] = None,
    report_path: Optional[str] = None,
    view_path: Optional[str] = None,
    baseline_model_uri: Optional[str] = None,
    change_thresholds: Optional[Dict[str, Dict[str, float]]] = None,
    baseline_info: Optional[Dict[str, object]] = None,
    allow_small_eval_split: bool = False,
    accept_champion_collapse: bool = False,
) -> Dict[str, object]:
    """Compute TFMA's metrics on the eval split and decide the blessing.

    Args:
      model_uri: the candidate SavedModel from ``train``.
      examples_uri: raw examples; the eval split is evaluated.
      schema_uri, statistics_uri, transform_graph_uri: upstream artifacts.
      output_uri: the TFMA output folder (``tfma.load_eval_result`` reads it, with
        ``model_name="candidate"`` when there was a baseline), plus ``evaluation.json``.
      blessing_uri: gets ``BLESSED`` or ``NOT_BLESSED`` and ``blessing.json``.
      thresholds: ``{metric: {"lower_bound": x, "upper_bound": y}}``; empty or None
        means the task's defaults (``config.default_thresholds``).
      slices: feature names to slice on, ``"a,b"`` for a cross; empty or None means
        one slice per categorical feature with at most 50 values.
      baseline_model_uri: the model to beat (a SavedModel folder), or None/a folder
        without ``saved_model.pb`` for none: then only value thresholds apply.
      change_thresholds: ``{metric: {"max_drop": x}}`` (or ``max_increase``,
        ``max_relative_drop``, ``max_relative_increase``) against the baseline; empty
        or None means ``config.default_change_thresholds``.
      baseline_info: what is known of the baseline (version, uri), for the report.
      report_path: where to write the Markdown report (``report.markdown_report``).
      view_path: where to write the HTML view (``components.common.views.evaluation_view``).
      allow_small_eval_split: judge an eval split too small to decide anything on
        its values alone (recorded in the blessing) instead of refusing to bless.
      accept_champion_collapse: bless even when the champion collapsed on this eval
        split (recorded in the blessing).

    The decision is ``components.evaluate.judge``'s, from per-example predictions of
    both models on the eval split, from which the reported metrics and slices are
    computed too.

    Returns:
      ``{"task", "blessed", "reasons", "checks", "thresholds", "change_thresholds",
      "overall", "intervals", "baseline", "baseline_overall", "baseline_intervals",
      "comparison", "slices", "classes", "positive_class", "confusion_matrix", "roc",
      "precision_recall", "calibration", "record"}`` (the class keys for classifiers;
      the curves for binary labels: ``(x, y, thresholds)`` lists).

    Raises:
      ConfigurationError: a threshold names an unknown metric or bound, a change
        threshold goes against its metric's direction, a slice names an unknown
        feature, or the baseline answers for another label or task.
    """
    import tensorflow_model_analysis as tfma
    from components.common.baseline_model import has_baseline

    from components.common.metadata import load_schema, load_statistics
    from components.common.task import read_task_info

    task_info = read_task_info(transform_graph_uri)
    classes = task_info.get("classes") if task_info["task"] == "classification" else None
    schema = load_schema(layout.schema_path(schema_uri))
    slice_list = parse_slices(slices)
    if slice_list is None:
        statistics = load_statistics(statistics_uri, layout.TRAIN)
        slice_list = [[f] for f in categorical_slice_features(schema, statistics, task_info["label"])]
    check_slices(slice_list, [f.name for f in schema.feature])
    user_thresholds = bool(thresholds)
    thresholds = dict(thresholds or default_thresholds(task_info))
    with_baseline = bool(baseline_model_uri) and has_baseline(baseline_model_uri)
    baseline = {"uri": baseline_model_uri if with_baseline else "", **(baseline_info or {}), "found": with_baseline}
    change = dict(change_thresholds or default_change_thresholds(task_info))
    check_thresholds(task_info, thresholds, change)  # a mistake is reported on the first run too
    notes = []
    baseline_signature = signatures.EXAMPLES
    if with_baseline:
        known = check_baseline(baseline_model_uri, task_info)
        baseline_classes, baseline_signature = known["classes"], known["examples_signature"]
        judged = comparable_change_thresholds(change, task_info, baseline_classes)
        if judged != change:
            notes.append(
                f"the baseline's classes {baseline_classes} differ from the candidate's {classes} (or their order): "
                f"only {sorted(CLASS_ORDER_FREE)} are compared"
            )
        change = judged
    eval_config = build_eval_config(task_info, slice_list, with_baseline=with_baseline, baseline_signature=baseline_signature)
    predictions, feature_values = eval_predictions(
        examples_uri, task_info, model_uri, baseline_model_uri if with_baseline else None,
        slice_features=_feature_types(schema, {name for spec in slice_list for name in spec}),
    )
    model_names = {"candidate": CANDIDATE if with_baseline else "", "baseline": BASELINE}
    binary = bool(classes) and len(classes) == 2
    sliced_values = [
        (key, {model_names[role]: model_values(found, rows, binary) for role, found in predictions.items()})
        for key, rows in slice_rows(predictions["candidate"].count, slice_list, feature_values)
    ]
    write_eval_result(
        output_uri, eval_config, layout.examples_pattern(examples_uri, layout.EVAL),
        {model_names[role]: uri for role, uri in (("candidate", model_uri), ("baseline", baseline_model_uri)) if role in predictions},
        sliced_values, predictions["candidate"].positive_id, model_names["candidate"], BASELINE if with_baseline else None,
    )
    result = tfma.load_eval_result(output_uri, model_name=CANDIDATE if with_baseline else None)
    slices_metrics = results.sliced_metrics(result, classes)
    overall = slices_metrics.get("Overall", {})
    overall.update(_per_class(result, classes))
    baseline_overall = None
    if with_baseline:
        baseline_result = tfma.load_eval_result(output_uri, model_name=BASELINE)
        baseline_overall = results.sliced_metrics(baseline_result, classes).get("Overall", {})
        baseline_overall.update(_per_class(baseline_result, classes))
        if notes:  # class-id metrics of the baseline would be read with the wrong class names
            baseline_overall = {k: v for k, v in baseline_overall.items() if k in CLASS_ORDER_FREE}
    verdict = judge(
        task_info,
        predictions["candidate"],
        overall,
        thresholds,
        user_thresholds,
        change if with_baseline else {},
        baseline=predictions.get("baseline"),
        baseline_point_metrics=baseline_overall,
        champion_record=model_record.read_record(baseline_model_uri) if with_baseline else None,
        baseline_version=baseline.get("version"),
        allow_small_eval_split=allow_small_eval_split,
        accept_champion_collapse=accept_champion_collapse,
    )
    blessed, reasons = verdict["blessed"], verdict["reasons"] + notes
    evaluation = {
        "task": task_info["task"],
        "blessed": blessed,
        "reasons": reasons,
        "checks": verdict["checks"],
        "small_eval_split": verdict["small_eval_split"],
        "judged_on_values": verdict["judged_on_values"],
        "thresholds": thresholds,
        "change_thresholds": change if with_baseline else {},
        "overall": overall,
        "intervals": verdict["intervals"],
        "baseline": baseline,
        "baseline_overall": baseline_overall,
        "baseline_intervals": verdict["baseline_intervals"] if with_baseline else None,
        "comparison": side_by_side(overall, baseline_overall) if with_baseline else None,
        "slices": slices_metrics,
        "record": model_record.make_record(
            task_info["task"], overall, verdict["intervals"], _prediction_distribution(task_info, predictions["candidate"])
        ),
    }
    if classes:
        evaluation["classes"] = classes
        evaluation["positive_class"] = task_info.get("positive_class")
        evaluation["confusion_matrix"] = results.confusion_matrix(result.plots, classes)
        evaluation["roc"] = results.roc_curve(result.plots) if len(classes) == 2 else None
        evaluation["precision_recall"] = results.precision_recall_curve(result.plots) if len(classes) == 2 else None
        evaluation["calibration"] = reliability_bins(predictions["candidate"], classes)
    with open(os.path.join(output_uri, EVALUATION_FILE), "w") as handle:
        json.dump(evaluation, handle, indent=2)
    write_blessing(blessing_uri, blessed, reasons, {
        k: evaluation[k] for k in (
            "overall", "intervals", "baseline", "baseline_overall", "thresholds", "change_thresholds", "checks",
            "judged_on_values", "record",
        )
    })
    if report_path:
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(markdown_report(evaluation))
    if view_path:
        write_page(view_path, evaluation_page(evaluation))
    logger.info("Evaluation: blessed=%s overall=%s baseline=%s reasons=%s", blessed, overall, baseline_overall, reasons)
    return evaluation
