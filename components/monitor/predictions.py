"""Prediction drift: what the model answered in the window against what it predicted on
the eval split when it was blessed (``model_record.prediction_distribution``).

Classification: the share of each predicted class, compared by L-infinity distance
(the largest change of one class's share, as TFDV compares categorical features).
Regression: the share of predictions in each of the recorded equal-share bins of
the eval predictions, compared by Jensen-Shannon divergence. Either way a distance
above the threshold is a breach only when the change is also beyond chance: a
chi-square goodness-of-fit test of the served counts against the blessed shares
must reject at ``ALPHA`` (a small window's shares are noisy).
"""
from typing import Any, Dict, List, Optional, Sequence

from components.common.errors import DataError

ALPHA = 0.01


def _scalar(value: Any) -> Any:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def predicted_class(prediction: Any, classes: Sequence[str], where: str) -> str:
    """The class a served prediction names: the model's ``classes`` output, its
    ``class_ids``, the arg-max of ``probabilities``, or a bare class name."""
    if isinstance(prediction, dict):
        if "classes" in prediction:
            return str(_scalar(prediction["classes"]))
        if "class_ids" in prediction:
            return classes[int(_scalar(prediction["class_ids"]))]
        if "probabilities" in prediction:
            probabilities = list(prediction["probabilities"])
            return classes[max(range(len(probabilities)), key=probabilities.__getitem__)]
    elif isinstance(prediction, str):
        return prediction
    raise DataError(
        f"{where}: the prediction {str(prediction)[:120]!r} names no class (expected the model's outputs "
        "classes, class_ids or probabilities)."
    )


def predicted_value(prediction: Any, where: str) -> float:
    """The value a served regression prediction holds (``predictions`` output or a number)."""
    value = _scalar(prediction.get("predictions") if isinstance(prediction, dict) else prediction)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise DataError(f"{where}: the prediction {str(prediction)[:120]!r} is not a number or {{'predictions': number}}.")


def _chi_square_p(counts: List[int], shares: List[float]) -> float:
    from scipy import stats

    total = sum(counts)
    # A share of 0 at blessing still admits a rare prediction: floor the expectation.
    floor = 0.5 / max(total, 1)
    expected = [max(s, floor) for s in shares]
    scale = sum(expected)
    return float(stats.chisquare(counts, [total * e / scale for e in expected]).pvalue)


def _js_divergence(p: List[float], q: List[float]) -> float:
    import math

    def kl(a, b):
        return sum(x * math.log2(x / y) for x, y in zip(a, b) if x > 0)

    m = [(x + y) / 2 for x, y in zip(p, q)]
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def prediction_drift(predictions: Sequence[Any], baseline: Optional[Dict[str, object]], threshold: float) -> Dict[str, object]:
    """The prediction check's verdict: ``{"status": "ok" | "breach" | "not checked", "measure",
    "distance", "threshold", "p_value", "served": {...}, "baseline": {...}, "note"}``."""
    if not baseline:
        return {"status": "not checked", "note": "the model carries no record of its eval predictions "
                "(pushed before monitoring baselines existed): prediction drift is not checked"}
    served = [p for p in predictions if p is not None]
    if not served:
        return {"status": "not checked", "note": "the logs hold no predictions (no response payload) in the window"}
    if baseline["kind"] == "classification":
        classes = list(baseline["counts"])
        names = [predicted_class(p, classes, f"served prediction {i}") for i, p in enumerate(served)]
        unknown = sorted(set(names) - set(classes))
        counts = [names.count(c) for c in classes] + [names.count(u) for u in unknown]
        base_total = max(int(baseline["count"]), 1)
        base_shares = [baseline["counts"][c] / base_total for c in classes] + [0.0] * len(unknown)
        labels = classes + unknown
        now_shares = [n / len(names) for n in counts]
        distance = max(abs(a - b) for a, b in zip(now_shares, base_shares))
        measure = "L_INFINITY (predicted class shares)"
    else:
        import numpy as np

        edges = list(baseline["edges"])
        values = [predicted_value(p, f"served prediction {i}") for i, p in enumerate(served)]
        bins = np.searchsorted(np.asarray(edges), np.asarray(values), side="right")
        counts = [int(n) for n in np.bincount(bins, minlength=len(edges) + 1)]
        base_shares = [1.0 / (len(edges) + 1)] * (len(edges) + 1)
        labels = [f"bin {i + 1}" for i in range(len(counts))]
        now_shares = [n / len(values) for n in counts]
        distance = _js_divergence(now_shares, base_shares)
        measure = "JENSEN_SHANNON_DIVERGENCE (predicted values, eval-decile bins)"
    p_value = _chi_square_p(counts, base_shares)
    breached = distance > threshold and p_value < ALPHA
    return {
        "status": "breach" if breached else "ok",
        "measure": measure,
        "distance": round(float(distance), 6),
        "threshold": threshold,
        "p_value": p_value,
        "count": len(served),
        "served": {label: round(share, 4) for label, share in zip(labels, now_shares)},
        "baseline": {label: round(share, 4) for label, share in zip(labels, base_shares)},
    }
