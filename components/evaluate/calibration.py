"""Calibration of a classifier: does a predicted probability of p come true p of the time?

``reliability_bins`` groups the eval examples by predicted probability into equal
-width bins and gives, per bin, the mean predicted probability beside the observed
frequency. For a binary label the probability is the positive class's and the
frequency the share of positive labels; for three or more classes it is the
probability of the predicted (arg-max) class and the share of those predictions
that are right. A well calibrated model's bins lie on the diagonal.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from components.evaluate.significance import Predictions

BINS = 10


def reliability_bins(predictions: Predictions, classes: Sequence[str], bins: int = BINS) -> Optional[Dict[str, object]]:
    """``{"predicted": what the probability is of, "bins": [{"low", "high", "count",
    "mean_predicted", "observed"}], "expected_calibration_error": x}`` (empty bins left
    out); None for a regressor or an empty eval split."""
    if not predictions.classification or not predictions.count:
        return None
    probabilities = np.asarray(predictions.probabilities, dtype=np.float64)
    labels = predictions.labels.astype(np.int64)
    if predictions.positive_id is not None and probabilities.shape[1] == 2:
        score = probabilities[:, predictions.positive_id]
        outcome = (labels == predictions.positive_id).astype(np.float64)
        predicted = f"the probability of the positive class {classes[predictions.positive_id]!r}"
    else:
        chosen = np.argmax(probabilities, axis=1)
        score = probabilities[np.arange(len(labels)), chosen]
        outcome = (chosen == labels).astype(np.float64)
        predicted = "the probability of the predicted class (the share of those predictions that are right)"
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    found: List[Dict[str, float]] = []
    error = 0.0
    for b in range(bins):
        members = index == b
        size = int(members.sum())
        if not size:
            continue
        mean_predicted, observed = float(score[members].mean()), float(outcome[members].mean())
        error += size / len(score) * abs(mean_predicted - observed)
        found.append({"low": float(edges[b]), "high": float(edges[b + 1]), "count": size,
                      "mean_predicted": mean_predicted, "observed": observed})
    return {"predicted": predicted, "bins": found, "expected_calibration_error": error}
