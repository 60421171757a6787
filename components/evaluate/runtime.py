"""Evaluate: TFMA on the eval split, sliced, with value thresholds deciding the blessing."""
import json
import logging
import os
from typing import Dict, List, Optional, Sequence, Tuple

from components.common import layout
from components.common.beam_options import pipeline_options
from components.evaluate.config import MAX_SLICE_VALUES, build_eval_config, default_thresholds

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


def _metric_value(value) -> Optional[float]:
    for key in ("doubleValue", "double_value"):
        if isinstance(value, dict) and key in value:
            return float(value[key])
    return None


def _slice_name(slice_key) -> str:
    if not slice_key:
        return "Overall"
    return ", ".join(f"{k}={v.decode() if isinstance(v, bytes) else v}" for k, v in slice_key)


def flatten_metrics(metrics_by_output: Dict) -> Dict[str, float]:
    """{'': {'': {'accuracy': {...}}, 'classId:1': {...}}} -> {'accuracy': x, 'auc': y}."""
    flat = {}
    for sub_keys in metrics_by_output.values():
        for sub_key, metrics in sub_keys.items():
            for name, value in metrics.items():
                number = _metric_value(value)
                if number is not None:
                    flat[name] = number
    return flat


def _overall_plot(plots, plot_name: str) -> List[Dict]:
    """The matrices of one plot on the overall slice (empty when absent)."""
    for slice_key, plot in plots:
        if slice_key:
            continue
        for sub_keys in plot.values():
            for data in sub_keys.values():
                matrices = data.get(plot_name, {}).get("matrices", [])
                if matrices:
                    return matrices
    return []


def confusion_matrix(plots, classes: Sequence[str]) -> Optional[List[List[float]]]:
    """The overall multi-class confusion matrix (rows: actual, columns: predicted)."""
    matrices = _overall_plot(plots, "multiClassConfusionMatrixAtThresholds")
    if not matrices:
        return None
    size = len(classes)
    matrix = [[0.0] * size for _ in range(size)]
    for entry in matrices[0].get("entries", []):
        actual = int(entry.get("actualClassId", 0))
        predicted = int(entry.get("predictedClassId", 0))
        if 0 <= actual < size and 0 <= predicted < size:
            matrix[actual][predicted] = float(entry.get("numWeightedExamples", 0.0))
    return matrix


def roc_curve(plots) -> Optional[Tuple[List[float], List[float], List[float]]]:
    """(fpr, tpr, thresholds) of the positive class, for binary classifiers."""
    matrices = _overall_plot(plots, "confusionMatrixAtThresholds")
    if not matrices:
        return None
    fpr, tpr, thresholds = [], [], []
    for m in matrices:
        tp, fp = m.get("truePositives", 0.0), m.get("falsePositives", 0.0)
        tn, fn = m.get("trueNegatives", 0.0), m.get("falseNegatives", 0.0)
        fpr.append(fp / (fp + tn) if fp + tn else 0.0)
        tpr.append(tp / (tp + fn) if tp + fn else 0.0)
        thresholds.append(float(m.get("threshold", 0.0)))
    return fpr, tpr, thresholds


def failure_reasons(validation_result) -> List[str]:
    """Readable reasons from a TFMA ValidationResult."""
    reasons = []
    for per_slice in validation_result.metric_validations_per_slice:
        where = _slice_name(
            tuple((s.column, s.bytes_value or s.int64_value or s.float_value) for s in per_slice.slice_key.single_slice_keys)
        )
        for failure in per_slice.failures:
            reasons.append(f"{where}: {failure.metric_key.name} = {failure.metric_value.double_value.value:.4g} fails {failure.message or 'its threshold'}")
    if validation_result.missing_thresholds:
        reasons.append("a configured threshold could not be checked because its metric is missing")
    return reasons


def markdown_report(evaluation: Dict[str, object]) -> str:
    """Per-slice metrics and the blessing decision, as Markdown for the UI."""
    lines = ["# Model evaluation", ""]
    verdict = "**BLESSED**" if evaluation["blessed"] else "**NOT BLESSED**"
    lines += [f"Blessing: {verdict}", ""]
    for reason in evaluation["reasons"]:
        lines.append(f"- {reason}")
    lines += ["", "Thresholds: " + json.dumps(evaluation["thresholds"]), ""]
    names = sorted({n for m in evaluation["slices"].values() for n in m})
    lines += ["| slice | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for slice_name, metrics in evaluation["slices"].items():
        cells = [f"{metrics[n]:.4g}" if n in metrics else "" for n in names]
        lines.append(f"| {slice_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def evaluate(
    model_uri: str,
    examples_uri: str,
    schema_uri: str,
    statistics_uri: str,
    transform_graph_uri: str,
    output_uri: str,
    blessing_uri: str,
    thresholds: Optional[Dict[str, Dict[str, float]]] = None,
    slice_features: Optional[Sequence[str]] = None,
    report_path: Optional[str] = None,
    beam_pipeline_args: Optional[Sequence[str]] = None,
) -> Dict[str, object]:
    """Run TFMA on the eval split and decide the blessing.

    Args:
      model_uri: the SavedModel from ``train``.
      examples_uri: raw examples; the eval split is evaluated.
      schema_uri, statistics_uri, transform_graph_uri: upstream artifacts.
      output_uri: the TFMA output folder (``tfma.load_eval_result`` reads it), plus
        ``evaluation.json``.
      blessing_uri: gets ``BLESSED`` or ``NOT_BLESSED`` and ``blessing.json``.
      thresholds: ``{metric: {"lower_bound": x, "upper_bound": y}}``; empty or None
        means the task's defaults (``config.default_thresholds``).
      slice_features: features to slice on; None means every categorical feature.

    Returns:
      ``{"task", "blessed", "reasons", "thresholds", "overall": {metric: value},
      "slices": {slice: {metric: value}}, "classes", "confusion_matrix", "roc"}``.

    Raises:
      ConfigurationError: a threshold names an unknown metric or a bad bound.
    """
    import tensorflow_model_analysis as tfma
    from components.schema.runtime import load_schema
    from components.statistics.runtime import load_statistics
    from components.transform.runtime import read_task_info

    task_info = read_task_info(transform_graph_uri)
    schema = load_schema(layout.schema_path(schema_uri))
    if slice_features is None:
        slice_features = categorical_slice_features(schema, load_statistics(statistics_uri, layout.TRAIN), task_info["label"])
    thresholds = dict(thresholds or default_thresholds(task_info))
    eval_config = build_eval_config(task_info, slice_features, thresholds)
    shared_model = tfma.default_eval_shared_model(eval_saved_model_path=model_uri, eval_config=eval_config)
    tfma.run_model_analysis(
        eval_shared_model=shared_model,
        eval_config=eval_config,
        data_location=layout.examples_pattern(examples_uri, layout.EVAL),
        file_format="tfrecords",
        output_path=output_uri,
        schema=schema,
        pipeline_options=pipeline_options(beam_pipeline_args),
    )
    result = tfma.load_eval_result(output_uri)
    validation = tfma.load_validation_result(output_uri)
    slices = {_slice_name(key): flatten_metrics(metrics) for key, metrics in sorted(result.slicing_metrics, key=lambda item: (len(item[0]), str(item[0])))}
    overall = slices.get("Overall", {})
    reasons = failure_reasons(validation)
    blessed = bool(validation.validation_ok)
    if blessed:
        reasons = [
            "passes every threshold: "
            + ", ".join(f"{name} {json.dumps(bounds)}" for name, bounds in thresholds.items())
        ]
    evaluation = {
        "task": task_info["task"],
        "blessed": blessed,
        "reasons": reasons,
        "thresholds": thresholds,
        "overall": overall,
        "slices": slices,
    }
    if task_info["task"] == "classification":
        evaluation["classes"] = task_info["classes"]
        evaluation["positive_class"] = task_info.get("positive_class")
        evaluation["confusion_matrix"] = confusion_matrix(result.plots, task_info["classes"])
        evaluation["roc"] = roc_curve(result.plots) if len(task_info["classes"]) == 2 else None
    with open(os.path.join(output_uri, EVALUATION_FILE), "w") as handle:
        json.dump(evaluation, handle, indent=2)
    write_blessing(blessing_uri, blessed, reasons)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(markdown_report(evaluation))
    logger.info("Evaluation: blessed=%s overall=%s reasons=%s", blessed, overall, reasons)
    return evaluation


def write_blessing(blessing_uri: str, blessed: bool, reasons: Sequence[str]) -> None:
    """TFX-style blessing folder: an empty BLESSED or NOT_BLESSED file, plus the reasons."""
    os.makedirs(blessing_uri, exist_ok=True)
    name = layout.BLESSED_FILE if blessed else layout.NOT_BLESSED_FILE
    open(os.path.join(blessing_uri, name), "w").close()
    with open(os.path.join(blessing_uri, "blessing.json"), "w") as handle:
        json.dump({"blessed": blessed, "reasons": list(reasons)}, handle, indent=2)


def is_blessed(blessing_uri: str) -> bool:
    """Whether a blessing folder says BLESSED (and not NOT_BLESSED)."""
    return os.path.exists(os.path.join(blessing_uri, layout.BLESSED_FILE)) and not os.path.exists(
        os.path.join(blessing_uri, layout.NOT_BLESSED_FILE)
    )
