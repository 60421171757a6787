"""Reading TFMA's output: flat metric names per slice, plots, and readable failure reasons.

Metric names follow ``components.evaluate.config``: a metric of the whole output or
of a binary label's positive class keeps its name (``accuracy``, ``auc``); for
three or more classes, ``per_class_metrics`` adds ``precision[<class>]`` and the
macro means (``macro_precision``) from the confusion matrix. TFMA's ``*_diff`` entries (candidate minus baseline) are
left out: the comparison is rebuilt from both models' own values.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

_MACRO_PREFIX = "macro_average: true\n_"


def metric_value(value) -> Optional[float]:
    """The float in a TFMA metric entry ({"doubleValue": x}), or None (NaN, plots, ...)."""
    if not isinstance(value, dict):
        return None
    for key in ("doubleValue", "double_value"):
        if key in value:
            number = float(value[key])
            return None if math.isnan(number) else number
    return None


def metric_name(name: str, sub_key: str, classes: Optional[Sequence[str]], per_class: bool) -> Optional[str]:
    """Our name of one TFMA metric entry; None for entries we do not report."""
    if name.endswith("_diff"):
        return None
    if name.startswith(_MACRO_PREFIX):
        return "macro_" + name[len(_MACRO_PREFIX):]
    if sub_key.startswith("classId:") and per_class:
        class_id = int(sub_key.split(":", 1)[1])
        label = classes[class_id] if classes and 0 <= class_id < len(classes) else str(class_id)
        return f"{name}[{label}]"
    return name


def flatten_metrics(metrics_by_output: Dict, classes: Optional[Sequence[str]] = None) -> Dict[str, float]:
    """{'': {'': {'accuracy': {...}}, 'classId:1': {...}}} -> {'accuracy': x, 'auc': y}.

    With ``classes`` of three or more, class sub-keys become ``name[<class>]``;
    with two (or none), the positive class's metrics keep their plain names.
    """
    per_class = bool(classes) and len(classes) > 2
    flat = {}
    for sub_keys in metrics_by_output.values():
        for sub_key, metrics in sub_keys.items():
            for name, value in metrics.items():
                number = metric_value(value)
                ours = metric_name(name, sub_key, classes, per_class)
                if number is not None and ours:
                    flat[ours] = number
    if "mean_squared_error" in flat:
        flat["root_mean_squared_error"] = math.sqrt(max(flat["mean_squared_error"], 0.0))
    return flat


def slice_name(slice_key) -> str:
    """() -> 'Overall'; (('island', b'Dream'), ('sex', 'male')) -> 'island=Dream, sex=male'."""
    if not slice_key:
        return "Overall"
    return ", ".join(f"{k}={v.decode() if isinstance(v, bytes) else v}" for k, v in slice_key)


def sliced_metrics(eval_result, classes: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, float]]:
    """{slice name: {metric: value}}, the overall slice first, then by depth and name."""
    ordered = sorted(eval_result.slicing_metrics, key=lambda item: (len(item[0]), str(item[0])))
    return {slice_name(key): flatten_metrics(metrics, classes) for key, metrics in ordered}


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
    """(fpr, tpr, thresholds) of the positive class, for binary classifiers.

    TFMA computes the confusion matrix at about a thousand thresholds, most of which
    give the same point on a small eval split; only distinct points are kept (each
    with the first threshold that reaches it), so the curve stays far below Vertex's
    metadata limit per artifact.
    """
    matrices = _overall_plot(plots, "confusionMatrixAtThresholds")
    if not matrices:
        return None
    fpr, tpr, thresholds = [], [], []
    for m in matrices:
        tp, fp = m.get("truePositives", 0.0), m.get("falsePositives", 0.0)
        tn, fn = m.get("trueNegatives", 0.0), m.get("falseNegatives", 0.0)
        point = (fp / (fp + tn) if fp + tn else 0.0, tp / (tp + fn) if tp + fn else 0.0)
        if fpr and (fpr[-1], tpr[-1]) == point:
            continue
        fpr.append(point[0])
        tpr.append(point[1])
        thresholds.append(float(m.get("threshold", 0.0)))
    return fpr, tpr, thresholds


def precision_recall_curve(plots) -> Optional[Tuple[List[float], List[float], List[float]]]:
    """(recall, precision, thresholds) of the positive class, for binary classifiers: the
    distinct points of TFMA's confusion matrices at thresholds (as ``roc_curve``), leaving
    out thresholds where nothing is predicted positive (precision undefined)."""
    matrices = _overall_plot(plots, "confusionMatrixAtThresholds")
    if not matrices:
        return None
    recall, precision, thresholds = [], [], []
    for m in matrices:
        tp, fp, fn = m.get("truePositives", 0.0), m.get("falsePositives", 0.0), m.get("falseNegatives", 0.0)
        if not tp + fp:
            continue
        point = (tp / (tp + fn) if tp + fn else 0.0, tp / (tp + fp))
        if recall and (recall[-1], precision[-1]) == point:
            continue
        recall.append(point[0])
        precision.append(point[1])
        thresholds.append(float(m.get("threshold", 0.0)))
    return recall, precision, thresholds


def per_class_metrics(matrix: List[List[float]], classes: Sequence[str]) -> Dict[str, float]:
    """Precision, recall and F1 of each class from a confusion matrix, and their macro means.

    Rows are actual classes, columns predicted (the arg-max). A class never
    predicted has no precision (and counts as 0 in the macro mean, as scikit-learn does).
    """
    metrics, sums = {}, {"precision": 0.0, "recall": 0.0, "f1_score": 0.0}
    for index, name in enumerate(classes):
        true_positives = matrix[index][index]
        predicted = sum(row[index] for row in matrix)
        actual = sum(matrix[index])
        precision = true_positives / predicted if predicted else None
        recall = true_positives / actual if actual else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if predicted and actual else None)
        for metric, value in (("precision", precision), ("recall", recall), ("f1_score", f1)):
            if value is not None:
                metrics[f"{metric}[{name}]"] = value
            sums[metric] += value or 0.0
    for metric, total in sums.items():
        metrics["macro_" + metric] = total / len(classes)
    return metrics
