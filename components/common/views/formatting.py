"""Numbers as every report (HTML view and Markdown) writes them.

One format for measured values: four significant digits in plain decimal notation,
trailing zeros kept, never an exponent (``1.000``, ``0.9688``, ``43.92``, ``4207``,
``0.00001544``), so a column of metrics reads alike. Counts are whole numbers with
thousands separators; shares are percentages.
"""
import math
from typing import Dict, Optional, Sequence

SIGNIFICANT_DIGITS = 4
# Values smaller than this in magnitude are written as 0 (more decimals are noise).
_SMALLEST = 1e-9
MISSING = "n/a"


def _decimals(value: float) -> int:
    magnitude = math.floor(math.log10(abs(value)))
    return max(0, SIGNIFICANT_DIGITS - 1 - magnitude)


def number(value: Optional[float]) -> str:
    """A measured value with 4 significant digits, no exponent; ``n/a`` for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if abs(value) < _SMALLEST:
        return "0"
    text = f"{value:.{_decimals(value)}f}"
    # Rounding can carry into a new digit (9.9996 -> 10.000): format the rounded value again.
    rounded = float(text)
    return f"{rounded:.{_decimals(rounded)}f}" if rounded else "0"


def signed(value: Optional[float]) -> str:
    """A difference with its sign: ``+0.01200``, ``-3.000``; ``n/a`` for None."""
    text = number(value)
    return text if text == MISSING or text.startswith("-") or text == "0" else "+" + text


def count(value: Optional[float]) -> str:
    """A count: ``1,234``; ``n/a`` for None."""
    if value is None:
        return MISSING
    return f"{int(round(float(value))):,}"


def metric(name: str, value: Optional[float]) -> str:
    """A metric's value: a count (``example_count``, ``weighted_example_count``) as a whole
    number, anything else with ``number``."""
    return count(value) if name.endswith("example_count") else number(value)


def percent(fraction: Optional[float]) -> str:
    """A share as a percentage with 4 significant digits: 0.4419 -> ``44.19 %``."""
    return MISSING if fraction is None else f"{number(100.0 * float(fraction))} %"


def p_value(value: float) -> str:
    """A p-value: ``0.03125``, or ``< 0.0001`` below that."""
    return "< 0.0001" if value < 1e-4 else number(value)


def interval(bounds: Optional[Sequence[float]]) -> str:
    """``[0.9000, 0.9800]``; ``""`` when there is no interval."""
    if not bounds:
        return ""
    return f"[{number(bounds[0])}, {number(bounds[1])}]"


def with_interval(value: Optional[float], bounds: Optional[Sequence[float]]) -> str:
    """``0.9500 [0.9000, 0.9800]``, or the value alone when there is no interval."""
    text = number(value)
    return f"{text} {interval(bounds)}" if bounds and value is not None else text


def bounds_text(name: str, bounds: Dict[str, float]) -> str:
    """A value threshold: ('accuracy', {"lower_bound": 0.4516}) -> ``accuracy ≥ 0.4516``."""
    parts = []
    if "lower_bound" in bounds:
        parts.append(f"{name} ≥ {number(bounds['lower_bound'])}")
    if "upper_bound" in bounds:
        parts.append(f"{name} ≤ {number(bounds['upper_bound'])}")
    return " and ".join(parts)


_CHANGE_WORDS = {
    "max_drop": "may drop by at most {}",
    "max_increase": "may grow by at most {}",
    "max_relative_drop": "may drop by at most {} % of the baseline's value",
    "max_relative_increase": "may grow by at most {} % of the baseline's value",
}


def change_text(change: Dict[str, float]) -> str:
    """A change threshold: {"max_drop": 0.01} -> ``may drop by at most 0.01000``;
    {"max_relative_increase": 0.05} -> ``may grow by at most 5.000 % of the baseline's value``."""
    return " and ".join(
        _CHANGE_WORDS[key].format(number(float(value) * (100 if "relative" in key else 1)))
        for key, value in change.items()
    )
