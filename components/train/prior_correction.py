"""Undoing class weights on a classifier's probabilities (prior correction).

A fit with class weights ``w`` aims at probabilities proportional to ``w_c p(c | x)``:
the rare classes are over-predicted. The exported model multiplies its probabilities by
one factor per class and renormalises (``components/train/export.py``), so what it
serves estimates ``p(c | x)`` again and its class is the most probable one.

- ``factors_from_weights``: ``1 / w_c``, exact only when the weighted fit reached its
  optimum. Early stopping, dropout and L2 stop it short (on a 3 % class, 1 / w
  over-corrected: the served probabilities summed to about half the positives).
- ``fit_factors``: the factors that minimise the unweighted log loss of the exported
  model's predictions of the validation slice: one logit offset per class, the first
  fixed at 0, fitted with scipy from the ``1 / w`` start. The slice is held out unless
  the model was refitted on every train row; even then a per-class offset, unlike the
  weights, has almost nothing to overfit, and the early-stopped model's factors do
  not carry over to the refitted one (measured: the mean "yes" probability of a 12 %
  class 0.13-0.18 with them, against its share 0.12). Used when
  every class has at least ``MIN_EXAMPLES_PER_CLASS`` slice examples; otherwise the
  weights' factors are kept (a class seen a few times cannot place its offset).

Nothing here imports TensorFlow.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

MIN_EXAMPLES_PER_CLASS = 10
_EPSILON = 1e-7


def factors_from_weights(class_weights: Dict[int, float], classes: int) -> List[float]:
    """``[1 / w_c]`` for class ids ``0 .. classes - 1``."""
    return [1.0 / float(class_weights[index]) for index in range(classes)]


def _log_loss_and_gradient(free: np.ndarray, log_probabilities: np.ndarray, labels: np.ndarray):
    offsets = np.r_[0.0, free]
    logits = log_probabilities + offsets
    logits -= logits.max(axis=1, keepdims=True)
    corrected = np.exp(logits)
    corrected /= corrected.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = -np.log(np.clip(corrected[rows, labels], _EPSILON, 1.0)).mean()
    # d loss / d offset_c = mean(corrected_c) - share of label c.
    gradient = corrected.mean(axis=0) - np.bincount(labels, minlength=corrected.shape[1]) / len(labels)
    return loss, gradient[1:]


def fit_factors(
    probabilities: np.ndarray, labels: np.ndarray, start: Sequence[float]
) -> Tuple[Optional[List[float]], str]:
    """``(factors, why)`` minimising the log loss of ``probabilities`` ([n, C], the weighted
    model's on the validation slice) against ``labels`` ([n] class ids) after correction;
    ``(None, why)`` when some class has fewer than ``MIN_EXAMPLES_PER_CLASS`` rows there
    or the fit does not converge (the caller then keeps ``1 / w`` and says why)."""
    from scipy.optimize import minimize

    labels = np.asarray(labels, dtype=np.int64)
    classes = probabilities.shape[1]
    counts = np.bincount(labels, minlength=classes)
    if counts.min() < MIN_EXAMPLES_PER_CLASS:
        return None, (f"the validation slice holds {int(counts.min())} row(s) of its rarest class (fewer than "
                      f"{MIN_EXAMPLES_PER_CLASS})")
    log_probabilities = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), _EPSILON, 1.0))
    start_offsets = np.log(np.asarray(start, dtype=np.float64))
    found = minimize(_log_loss_and_gradient, start_offsets[1:] - start_offsets[0], jac=True,
                     args=(log_probabilities, labels), method="L-BFGS-B")
    if not found.success:
        return None, f"fitting the offsets on the validation slice did not converge ({found.message})"
    factors = np.exp(np.r_[0.0, found.x])
    return [float(f) for f in factors / factors.max()], f"fitted on the {len(labels)}-row validation slice"
