"""Metrics with their uncertainty, computed from per-example predictions.

Everything here is plain numpy/scipy on arrays, so it is tested without a model.

- **Intervals** are two-sided 95 %. Accuracy uses the Wilson score interval (good at
  small samples and near 0 or 1); every other metric, and every paired difference
  between two models, a Poisson bootstrap over the eval examples (each replicate
  weighs every example by a Poisson(1) count, as TFMA's own bootstrap does), with a
  fixed seed so the same data always gives the same verdict: 1,000 replicates and
  percentile bounds up to 20,000 examples; above that, where the replicates are
  normal, 200 replicates give the standard error and the bounds are +- 1.96 of it.
- **Better than trivial**: for a classifier, an exact McNemar test against always
  predicting the most frequent train class, on the same examples (only the examples
  where exactly one of the two is right count), and the paired bootstrap of the
  log-loss difference against always predicting the train class shares; for a
  regressor, the paired bootstrap of the squared-error difference against always
  predicting the train mean.
- **Paired differences** between the candidate and the champion use the same
  bootstrap weights for both models in every replicate, so what both get right or
  wrong on the same examples cancels out.

Metric names follow ``components.evaluate.config``.
"""
from typing import Callable, Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

CONFIDENCE = 0.95
BOOTSTRAP_REPLICATES = 1000
# Above this many eval examples the bootstrap distribution is normal for every metric
# here: fewer replicates give its standard deviation, and the interval is +- z * sd.
LARGE_SPLIT = 20_000
LARGE_SPLIT_REPLICATES = 200
BOOTSTRAP_SEED = 20240229
# Weights are drawn this many replicates at a time, to bound memory on large splits.
_CHUNK_ELEMENTS = 20_000_000
# Probabilities are clipped here before the log of the cross-entropy.
_EPSILON = 1e-7

Interval = Tuple[float, float]


def wilson_interval(successes: int, total: int, confidence: float = CONFIDENCE) -> Interval:
    """The Wilson score interval of a proportion ``successes / total``."""
    from scipy.stats import norm

    if total <= 0:
        return (0.0, 1.0)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def mcnemar_p_value(wins: int, losses: int) -> float:
    """One-sided exact McNemar p-value that a model is right more often than another.

    ``wins``: examples only this model gets right; ``losses``: examples only the
    other gets right. Under "equally good" each of these discordant examples is a
    fair coin, so p = P(X >= wins) for X ~ Binomial(wins + losses, 1/2).
    """
    from scipy.stats import binom

    discordant = wins + losses
    if discordant == 0:
        return 1.0
    return float(binom.sf(wins - 1, discordant, 0.5))


def poisson_weights(count: int, replicates: int = BOOTSTRAP_REPLICATES, seed: int = BOOTSTRAP_SEED) -> Iterator[np.ndarray]:
    """Bootstrap weights, ``[chunk, count]`` float arrays, ``replicates`` rows in all."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, min(replicates, _CHUNK_ELEMENTS // max(count, 1)))
    done = 0
    while done < replicates:
        rows = min(per_chunk, replicates - done)
        yield rng.poisson(1.0, size=(rows, count)).astype(np.float64)
        done += rows


def bootstrap_intervals(
    statistics: Dict[str, Callable[[np.ndarray], np.ndarray]], count: int, confidence: float = CONFIDENCE
) -> Dict[str, Interval]:
    """Percentile intervals of several statistics over one stream of bootstrap weights.

    Each statistic maps weights ``[replicates, count]`` to one value per row; all of
    them see the same replicates. Replicates where a statistic is undefined (NaN: a
    replicate without a positive example, say) are left out for it; a statistic
    with fewer than half its replicates defined gets no interval.
    """
    from scipy.stats import norm

    large = count > LARGE_SPLIT
    wanted = LARGE_SPLIT_REPLICATES if large else BOOTSTRAP_REPLICATES
    values = {name: [] for name in statistics}
    for weights in poisson_weights(count, wanted):
        for name, statistic in statistics.items():
            values[name].append(statistic(weights))
    tail = (1 - confidence) / 2
    found = {}
    for name, chunks in values.items():
        replicates = np.concatenate(chunks)
        replicates = replicates[np.isfinite(replicates)]
        if replicates.size < wanted / 2:
            continue
        if large:
            point = statistics[name](np.ones((1, count)))[0]
            half = float(norm.ppf(1 - tail)) * float(replicates.std(ddof=1))
            found[name] = (float(point - half), float(point + half))
        else:
            low, high = np.percentile(replicates, [tail * 100, 100 - tail * 100])
            found[name] = (float(low), float(high))
    return found


# --- weighted metrics: each takes per-example arrays and weights [replicates, n] ---

def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    totals = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ values) / totals


def _weighted_auc(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Area under the ROC curve (ties count one half), one value per weight row."""
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    w = weights[:, order]
    pos = np.add.reduceat(w * positive[order], starts, axis=1)
    neg = np.add.reduceat(w * ~positive[order], starts, axis=1)
    negatives_below = np.cumsum(neg, axis=1) - neg
    area = (pos * (negatives_below + 0.5 * neg)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return area / (pos.sum(axis=1) * neg.sum(axis=1))


def _weighted_squared_correlation(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    y = y - y.mean()
    mean_x, mean_y = _weighted_mean(x, weights), _weighted_mean(y, weights)
    covariance = _weighted_mean(x * y, weights) - mean_x * mean_y
    var_x = _weighted_mean(x * x, weights) - mean_x ** 2
    var_y = _weighted_mean(y * y, weights) - mean_y ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return covariance ** 2 / (var_x * var_y)


class Predictions:
    """One model's predictions on the eval split, with the labels they are judged by.

    Classification: ``labels`` are class ids ``[n]`` and ``probabilities`` ``[n, C]``
    in the same class order (``positive_id`` is the positive class of a binary
    label). Regression: ``labels`` and ``predictions`` are floats ``[n]``.
    """

    def __init__(self, labels: np.ndarray, probabilities: Optional[np.ndarray] = None,
                 predictions: Optional[np.ndarray] = None, positive_id: Optional[int] = None):
        self.labels = np.asarray(labels)
        self.probabilities = probabilities
        self.predictions = predictions
        self.positive_id = positive_id

    @property
    def count(self) -> int:
        return int(self.labels.shape[0])

    @property
    def classification(self) -> bool:
        return self.probabilities is not None

    def correct(self) -> np.ndarray:
        """Whether the arg-max class is the label, per example (classification)."""
        return np.argmax(self.probabilities, axis=1) == self.labels

    def per_example(self) -> Dict[str, Callable[[np.ndarray], np.ndarray]]:
        """{metric name: statistic(weights) -> one value per weight row}."""
        if not self.classification:
            error = self.predictions - self.labels
            return {
                "mean_squared_error": lambda w: _weighted_mean(error ** 2, w),
                "mean_absolute_error": lambda w: _weighted_mean(np.abs(error), w),
                "squared_pearson_correlation": lambda w: _weighted_squared_correlation(self.predictions, self.labels, w),
            }
        correct = self.correct().astype(np.float64)
        true_probability = self.probabilities[np.arange(self.count), self.labels.astype(np.int64)]
        log_loss = -np.log(np.clip(true_probability, _EPSILON, 1.0))
        metrics = {
            "accuracy": lambda w: _weighted_mean(correct, w),
            "loss": lambda w: _weighted_mean(log_loss, w),
        }
        if self.positive_id is not None and self.probabilities.shape[1] == 2:
            positive = self.labels == self.positive_id
            score = self.probabilities[:, self.positive_id]
            predicted = np.argmax(self.probabilities, axis=1) == self.positive_id
            true_pos = (positive & predicted).astype(np.float64)

            def precision(w):
                with np.errstate(invalid="ignore", divide="ignore"):
                    return (w @ true_pos) / (w @ predicted.astype(np.float64))

            def recall(w):
                with np.errstate(invalid="ignore", divide="ignore"):
                    return (w @ true_pos) / (w @ positive.astype(np.float64))

            def f1_score(w):
                with np.errstate(invalid="ignore", divide="ignore"):
                    return 2 * (w @ true_pos) / (w @ predicted.astype(np.float64) + w @ positive.astype(np.float64))

            metrics.update({
                "auc": lambda w: _weighted_auc(score, positive, w),
                "precision": precision, "recall": recall, "f1_score": f1_score,
            })
        return metrics

    def value(self, metric: str) -> float:
        """The metric on the eval split as it is (every weight 1)."""
        return float(self.per_example()[metric](np.ones((1, self.count)))[0])


def intervals(predictions: Predictions) -> Dict[str, Interval]:
    """{metric: (low, high)} for every metric ``Predictions.per_example`` computes:
    Wilson for accuracy, the bootstrap for the rest."""
    statistics = {k: v for k, v in predictions.per_example().items() if k != "accuracy"}
    found = bootstrap_intervals(statistics, predictions.count)
    if predictions.classification:
        found["accuracy"] = wilson_interval(int(predictions.correct().sum()), predictions.count)
    return found


def paired_differences(candidate: Predictions, baseline: Predictions, metrics) -> Dict[str, Tuple[float, Interval]]:
    """{metric: (candidate - baseline, paired 95 % interval)} on the same examples.

    Both models are weighed by the same bootstrap weights in every replicate. Metrics
    either model cannot compute, or without a defined interval, are left out.
    """
    new, old = candidate.per_example(), baseline.per_example()
    names = [m for m in metrics if m in new and m in old]
    found = bootstrap_intervals({m: (lambda w, m=m: new[m](w) - old[m](w)) for m in names}, candidate.count)
    return {m: (candidate.value(m) - baseline.value(m), found[m]) for m in names if m in found}


def against_majority_class(predictions: Predictions, majority_id: int) -> Dict[str, float]:
    """The candidate against always predicting class ``majority_id``, on the same examples.

    Returns ``{"accuracy", "trivial_accuracy", "wins", "losses", "p_value"}``: wins are
    examples only the candidate gets right (the label is another class and it names
    it), losses examples only the trivial predictor gets right.
    """
    correct = predictions.correct()
    trivial = predictions.labels == majority_id
    wins, losses = int((correct & ~trivial).sum()), int((~correct & trivial).sum())
    return {
        "accuracy": float(correct.mean()),
        "trivial_accuracy": float(trivial.mean()),
        "wins": wins,
        "losses": losses,
        "p_value": mcnemar_p_value(wins, losses),
    }


def _against_constant(candidate_losses: np.ndarray, trivial_losses: np.ndarray) -> Tuple[float, Optional[Interval]]:
    """Mean per-example loss difference (candidate - constant predictor) and its paired interval."""
    gain = candidate_losses - trivial_losses
    interval = bootstrap_intervals({"gain": lambda w: _weighted_mean(gain, w)}, len(gain)).get("gain")
    return float(gain.mean()), interval


def against_mean_predictor(predictions: Predictions, train_mean: float) -> Dict[str, object]:
    """The candidate's squared error against always predicting the train mean.

    Returns ``{"mean_squared_error", "trivial_mean_squared_error", "difference",
    "interval"}``, the difference being candidate minus trivial (negative is better).
    """
    candidate_error = (predictions.predictions - predictions.labels) ** 2
    trivial_error = (train_mean - predictions.labels) ** 2
    difference, interval = _against_constant(candidate_error, trivial_error)
    return {
        "mean_squared_error": float(candidate_error.mean()),
        "trivial_mean_squared_error": float(trivial_error.mean()),
        "difference": difference,
        "interval": interval,
    }


def against_class_shares(predictions: Predictions, train_class_counts: Sequence[int]) -> Dict[str, object]:
    """The candidate's log loss against always predicting the train class shares.

    The shares are add-one smoothed (``(n_c + 1) / (n + C)``), so a class the train
    split lacks costs the constant predictor a finite loss. Returns ``{"log_loss",
    "trivial_log_loss", "difference", "interval"}``, the difference being candidate
    minus trivial (negative is better): the classifier's counterpart of
    ``against_mean_predictor``, both a proper score against the best constant.
    """
    counts = np.asarray(train_class_counts, dtype=np.float64)
    shares = (counts + 1) / (counts.sum() + len(counts))
    labels = predictions.labels.astype(np.int64)
    true_probability = predictions.probabilities[np.arange(predictions.count), labels]
    candidate_loss = -np.log(np.clip(true_probability, _EPSILON, 1.0))
    trivial_loss = -np.log(shares[labels])
    difference, interval = _against_constant(candidate_loss, trivial_loss)
    return {
        "log_loss": float(candidate_loss.mean()),
        "trivial_log_loss": float(trivial_loss.mean()),
        "difference": difference,
        "interval": interval,
    }
