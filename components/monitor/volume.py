"""The traffic check: no traffic at all, or a sudden change in the number of served
instances against the previous window of the same length.

A change beyond ``threshold`` (a fraction: 0.5 is half as many or 1.5 times as many)
is a breach only when it is beyond chance too: were both windows drawn at the same
rate, the current window's share of the two windows' instances would be binomial
with p = 1/2; the two-sided test must reject at ``ALPHA``.
"""
from typing import Dict

ALPHA = 0.01


def volume_check(current: int, previous: int, threshold: float) -> Dict[str, object]:
    """``{"status": "ok" | "breach", "instances", "previous_instances", "change", "p_value", "note"}``."""
    result: Dict[str, object] = {"instances": current, "previous_instances": previous, "threshold": threshold}
    if current == 0:
        return dict(result, status="breach", note="no traffic in the window")
    if previous == 0:
        return dict(result, status="ok", note="the previous window holds no traffic: the change is not checked")
    from scipy import stats

    change = current / previous - 1.0
    p_value = float(stats.binomtest(current, current + previous, 0.5).pvalue)
    breached = abs(change) > threshold and p_value < ALPHA
    return dict(result, status="breach" if breached else "ok", change=round(change, 4), p_value=p_value)
