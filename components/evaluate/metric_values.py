"""TFMA's metrics of a task, computed with numpy from per-example predictions.

``tfma.run_model_analysis`` passes every example through every metric's combiner
once per slice it belongs to, in Python: at 200,000 eval rows that is most of the
evaluate step. Here the same quantities are computed as array operations over the
predictions the judge already holds (``components.evaluate.predictions``), with
TFMA's definitions (TFMA 0.47, the pinned stack), so the values equal what TFMA
reports; ``tests/test_metric_values.py`` runs TFMA itself on the same examples and
compares every metric and plot.

Definitions kept from TFMA (all examples weigh 1):

- ``accuracy``: the arg-max class is the label; ``loss``: Keras' sparse categorical
  cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7], renormalised, each
  example's term in float32 as Keras computes it).
- Binary labels, positive class ``p``: the label is ``label == p`` and the score the
  probability of ``p``. ``precision``, ``recall``, ``f1_score`` count a score above
  0.5 as positive (NaN when the denominator is 0). ``auc`` and
  ``auc_precision_recall`` come from confusion matrices at 10,000 thresholds, read off
  a histogram of the scores in 10,000 buckets (TFMA's calibration histogram), with
  trapezoids for the ROC curve and the interpolated precision of Davis & Goadrich
  for PR. ``calibration`` = sum of scores / number of positives. The
  ``confusion_matrix_plot`` is the same histogram read at thresholds -1e-6, 0,
  0.001, ..., 1.
- Regression: mean squared and absolute error, the squared Pearson correlation of
  labels and predictions, the means of both.
"""
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

HISTOGRAM_BUCKETS = 10_000  # TFMA's calibration histogram
AUC_THRESHOLDS = 10_000  # TFMA's default for AUC and AUCPrecisionRecall
PLOT_THRESHOLDS = 1_000  # TFMA's ConfusionMatrixPlot
DECISION_THRESHOLD = 0.5  # precision, recall, f1_score
EPSILON = 1e-7  # TFMA's fence posts around thresholds
KERAS_EPSILON = 1e-7  # Keras' clip of probabilities in the cross-entropy


class Matrices(NamedTuple):
    """Binary confusion counts at each threshold (a score above it is positive)."""

    thresholds: List[float]
    tp: np.ndarray
    tn: np.ndarray
    fp: np.ndarray
    fn: np.ndarray


def interpolated_thresholds(count: int) -> List[float]:
    """``count`` thresholds: -epsilon, (i + 1) / (count - 1) for i < count - 2, 1 + epsilon."""
    return [-EPSILON] + [(i + 1) * 1.0 / (count - 1) for i in range(count - 2)] + [1.0 + EPSILON]


def plot_thresholds(count: int = PLOT_THRESHOLDS) -> List[float]:
    """-1e-6, then 0, 1/count, ..., 1 (the thresholds of TFMA's confusion matrix plot)."""
    return [-1e-6] + [i * 1.0 / count for i in range(count + 1)]


def _histogram_bucket(scores: np.ndarray) -> np.ndarray:
    """Bucket of each score in a histogram of [0, 1] in HISTOGRAM_BUCKETS buckets, with
    bucket 0 below 0 and bucket HISTOGRAM_BUCKETS + 1 from 1 up (truncated, as TFMA)."""
    position = scores * HISTOGRAM_BUCKETS + 1
    clipped = np.clip(position, 0, HISTOGRAM_BUCKETS + 1)
    return np.where(position < 0, 0, np.trunc(clipped)).astype(np.int64)


def score_histogram(positive: np.ndarray, scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(positives, examples) in each of the HISTOGRAM_BUCKETS + 2 buckets of the scores."""
    buckets = _histogram_bucket(scores)
    positives = np.bincount(buckets, weights=positive.astype(np.float64), minlength=HISTOGRAM_BUCKETS + 2)
    return positives, np.bincount(buckets, minlength=HISTOGRAM_BUCKETS + 2).astype(np.float64)


def confusion_matrices(histogram: Tuple[np.ndarray, np.ndarray], thresholds: List[float]) -> Matrices:
    """Confusion counts at ``thresholds`` as TFMA derives them from its histogram
    (``score_histogram``).

    Each bucket counts at the threshold range its lower edge falls in (thresholds
    moved up by epsilon, 0 kept). So counts are those of the bucket edges, not of
    the exact scores: the same approximation TFMA makes, kept for equal values.
    """
    edges = np.arange(HISTOGRAM_BUCKETS + 2, dtype=np.float64)
    edges = np.where(edges == 0, -np.inf, (edges - 1) / HISTOGRAM_BUCKETS * (1.0 - 0.0) + 0.0)
    edges[-1] = np.inf
    moved = [t + EPSILON if t != 0 else t for t in thresholds]
    if thresholds[0] >= 0:
        moved = [-EPSILON] + moved
    if thresholds[-1] < 1.0:
        moved = moved + [1.0 + EPSILON]
    ranges = np.clip(np.searchsorted(np.asarray(moved), edges, side="right") - 1, 0, len(moved) - 1)
    bucket_positives, bucket_examples = histogram
    positives = np.bincount(ranges, weights=bucket_positives, minlength=len(moved))
    negatives = np.bincount(ranges, weights=bucket_examples, minlength=len(moved)) - positives
    tp = np.cumsum(positives[::-1])[::-1]
    fp = np.cumsum(negatives[::-1])[::-1]
    fn = np.concatenate([[0.0], np.cumsum(positives)[:-1]])
    tn = np.concatenate([[0.0], np.cumsum(negatives)[:-1]])
    offset = 1 if (thresholds[0] >= 0 or len(thresholds) == 1) and len(moved) > 1 else 0
    kept = slice(offset, offset + len(thresholds))
    tp, fp, fn, tn = tp[kept].copy(), fp[kept].copy(), fn[kept].copy(), tn[kept].copy()
    beyond = np.asarray(thresholds) >= 1.0 + EPSILON
    fn[beyond], tn[beyond] = tp[0], fp[0]
    tp[beyond], fp[beyond] = 0.0, 0.0
    return Matrices(list(thresholds), tp, tn, fp, fn)


def roc_auc(m: Matrices) -> float:
    """Area under the ROC curve by trapezoids over the thresholds."""
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = m.tp / (m.tp + m.fn)
        false_positive_rate = m.fp / (m.fp + m.tn)
    heights = (recall[:-1] + recall[1:]) / 2.0
    return float(np.nansum((false_positive_rate[:-1] - false_positive_rate[1:]) * heights))


def pr_auc(m: Matrices) -> float:
    """Area under the precision-recall curve, precision interpolated between thresholds
    as a function of the predicted positives (Davis & Goadrich)."""
    tp, p = m.tp, m.tp + m.fp
    with np.errstate(divide="ignore", invalid="ignore"):
        step_tp = tp[:-1] - tp[1:]
        step_p = p[:-1] - p[1:]
        slope = step_tp / np.maximum(step_p, 0)
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), p[:-1] / np.maximum(p[1:], 0), np.ones_like(p[1:]))
        increments = slope * (step_tp + intercept * np.log(ratio)) / np.maximum(tp[1:] + m.fn[1:], 0)
    return float(np.nansum(increments))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def binary_metrics(positive: np.ndarray, scores: np.ndarray) -> Tuple[Dict[str, float], Matrices]:
    """The positive class's metrics and the matrices of its confusion matrix plot."""
    predicted = scores > DECISION_THRESHOLD
    tp = float(np.sum(predicted & positive))
    fp = float(np.sum(predicted & ~positive))
    fn = float(np.sum(~predicted & positive))
    histogram = score_histogram(positive, scores)
    auc_matrices = confusion_matrices(histogram, interpolated_thresholds(AUC_THRESHOLDS))
    positives = float(np.sum(positive))
    metrics = {
        "auc": roc_auc(auc_matrices),
        "auc_precision_recall": pr_auc(auc_matrices),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1_score": _ratio(2 * tp, 2 * tp + fp + fn),
        "calibration": float("nan") if np.isclose(positives, 0.0) else float(np.sum(scores)) / positives,
    }
    return metrics, confusion_matrices(histogram, plot_thresholds())


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> Dict[str, float]:
    """``example_count``, ``accuracy`` and ``loss`` of class ids and class probabilities."""
    count = labels.shape[0]
    if count == 0:
        return {"example_count": 0.0}
    # In float32, as Keras computes each example's loss: near a probability of 1 the
    # log's rounding is most of a small loss.
    clipped = np.clip(probabilities.astype(np.float32), np.float32(KERAS_EPSILON), np.float32(1 - KERAS_EPSILON))
    chosen = clipped[np.arange(count), labels] / clipped.sum(axis=1)
    return {
        "example_count": float(count),
        "accuracy": float(np.mean(np.argmax(probabilities, axis=1) == labels)),
        "loss": float(np.mean(-np.log(chosen), dtype=np.float64)),
    }


def class_confusion(labels: np.ndarray, probabilities: np.ndarray) -> List[Tuple[int, int, float]]:
    """(actual class id, arg-max class id, examples) for every pair that occurs."""
    if labels.shape[0] == 0:
        return []
    pairs, counts = np.unique(np.stack([labels, np.argmax(probabilities, axis=1)], axis=1), axis=0, return_counts=True)
    return [(int(a), int(p), float(c)) for (a, p), c in zip(pairs, counts)]


def regression_metrics(labels: np.ndarray, predictions: np.ndarray) -> Dict[str, float]:
    """Example count, mean squared and absolute error, squared Pearson correlation, means."""
    count = float(labels.shape[0])
    if count == 0:
        return {"example_count": 0.0}
    error = labels - predictions
    sum_label, sum_prediction = float(np.sum(labels)), float(np.sum(predictions))
    covariance = float(np.sum(labels * predictions)) - sum_label * sum_prediction / count
    variance_label = float(np.sum(labels * labels)) - sum_label ** 2 / count
    variance_prediction = float(np.sum(predictions * predictions)) - sum_prediction ** 2 / count
    denominator = variance_label * variance_prediction
    return {
        "example_count": count,
        "mean_squared_error": float(np.mean(error * error)),
        "mean_absolute_error": float(np.mean(np.abs(error))),
        "squared_pearson_correlation": covariance ** 2 / denominator if denominator > 0 else float("nan"),
        "mean_label": sum_label / count,
        "mean_prediction": sum_prediction / count,
    }


class ModelValues(NamedTuple):
    """One model's values on one slice: metrics by name, of the whole output or (for a
    binary label) of the positive class; the plots of each."""

    metrics: Dict[str, float]
    positive_metrics: Dict[str, float]
    class_confusion: Optional[List[Tuple[int, int, float]]]
    positive_matrices: Optional[Matrices]


def model_values(predictions, rows: np.ndarray, binary: bool) -> ModelValues:
    """The metrics of ``predictions`` (``significance.Predictions``) on the examples ``rows``."""
    labels = predictions.labels[rows]
    if not predictions.classification:
        return ModelValues(regression_metrics(labels, predictions.predictions[rows]), {}, None, None)
    probabilities = predictions.probabilities[rows]
    metrics = classification_metrics(labels, probabilities)
    positive_metrics, matrices = {}, None
    if binary:
        positive_metrics, matrices = binary_metrics(labels == predictions.positive_id,
                                                    probabilities[:, predictions.positive_id])
    return ModelValues(metrics, positive_metrics, class_confusion(labels, probabilities), matrices)
