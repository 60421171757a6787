"""Numbers written as text: columns of numbers with a few cells that are not numbers,
and numbers too large for the float32 a model reads them as.

A CSV column whose present cells are mostly numbers but not all ("unknown",
"3,750", "18.3%") would otherwise become a text column, and a model trained on it
treats every number as a category. ``profile`` counts, per batch and column, the
cells pyarrow reads as numbers (plain digits, ``.``, an exponent, ``inf``/``nan``) and
keeps a few of the others with what they look like; ``merge`` adds profiles up;
``decide`` turns the column's profile into its type under the ``non_numeric_cells``
policy:

- ``stop`` (default): the run stops; the message names the column, the share of
  cells that are not numbers and examples with their line (``errors``).
- ``missing``: those cells are read as missing values and the column as numbers (a
  warning names them).
- ``text``: the column is read as text, as before (a warning names it).

A column counts as numbers with stray text when at least ``NUMERIC_SHARE`` of its
present cells are numbers or formatted numbers. Thousands separators (``3,750``),
decimal commas (``3,75``) and percent signs (``18.3%``) are not parsed: ``3,750`` is
3750 in one locale and 3.75 in another, and ``18.3%`` could be meant as 18.3 or
0.183, so they are named as the problem, with what to write instead.

Values beyond float32's range (``|x| > 3.4e38``, such as ``1e300``) would become
infinities; they are errors naming the column and line under every policy.
"""
import re
from typing import Dict, List, Optional, Tuple

from components.ingest.cells import FLOAT, INT, NUMBER_PATTERN, STRING, UNKNOWN

POLICIES = ("stop", "missing", "text")
NUMERIC_SHARE = 0.8
FLOAT32_MAX = 3.4028234663852886e38
SAMPLES = 5

# What a cell that is not a plain number looks like, checked in this order.
LOOKS = (
    ("a thousands separator", re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")),
    ("a decimal comma", re.compile(r"[-+]?\d*,\d+")),
    ("a percent sign", re.compile(r"[-+]?(\d+\.?\d*|\.\d+)\s*%")),
)
FORMATTED = tuple(name for name, _ in LOOKS)
TEXT = "text"


def look_of(cell: str) -> str:
    """What a non-numeric cell looks like: one of ``FORMATTED``, or ``text``."""
    for name, pattern in LOOKS:
        if pattern.fullmatch(cell):
            return name
    return TEXT


def empty() -> Dict:
    """A column's profile before any cell: counts, the type of its numbers, samples."""
    return {"present": 0, "numbers": 0, "formatted": 0, "kind": UNKNOWN, "samples": [], "too_large": []}


_FORMATTED = "|".join(f"^(?:{pattern.pattern})$" for _, pattern in LOOKS)


def profile(cells, kind: int) -> Dict:
    """The profile of one batch of a column's present cells (a pyarrow string array),
    whose type ``cells.column_type`` found to be ``kind``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from components.ingest.cells import column_type

    result = empty()
    result["present"] = len(cells)
    numbers = cells
    if kind not in (INT, FLOAT):
        mask = pc.match_substring_regex(cells, NUMBER_PATTERN, ignore_case=True)
        numbers = cells.filter(mask)
        others = cells.filter(pc.invert(mask))
        result["formatted"] = int(pc.sum(pc.match_substring_regex(others, _FORMATTED)).as_py() or 0)
        result["samples"] = [[cell, look_of(cell)] for cell in pc.unique(others)[:SAMPLES].to_pylist()]
        kind = column_type(numbers) if len(numbers) else UNKNOWN
    result["numbers"] = len(numbers)
    result["kind"] = kind
    if kind == FLOAT and len(numbers):
        values = pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False)
        large = np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)
        if large.any():
            result["too_large"] = numbers.filter(pa.array(large)).to_pylist()[:SAMPLES]
    return result


def merge(profiles: List[Dict]) -> Dict:
    """The profile of the cells of several batches."""
    merged = empty()
    for one in profiles:
        for key in ("present", "numbers", "formatted"):
            merged[key] += one[key]
        merged["kind"] = max(merged["kind"], one["kind"])
        for key in ("samples", "too_large"):
            merged[key] = (merged[key] + [s for s in one[key] if s not in merged[key]])[:SAMPLES]
    return merged


def mostly_numbers(column: Dict) -> bool:
    """Numbers with a few cells that are not (or formatted numbers): to be decided by policy."""
    strays = column["present"] - column["numbers"]
    return strays > 0 and (column["numbers"] + column["formatted"]) >= NUMERIC_SHARE * column["present"]


def decide(column: Dict, policy: str) -> Tuple[int, bool]:
    """``(type, strays_missing)`` of a column from its profile: the type to read it as,
    and whether its non-numeric cells are read as missing values."""
    if column["present"] == 0:
        return UNKNOWN, False
    if column["numbers"] == column["present"]:
        return column["kind"], False
    if mostly_numbers(column) and policy == "missing" and column["numbers"]:
        return column["kind"], True
    return STRING, False


def describe(column_name: str, column: Dict, located: List[Tuple[str, int, str]]) -> str:
    """What is wrong with a column of numbers with stray cells, for errors and warnings.

    ``located``: ``(file, line, cell)`` of sample cells (``csv_rows.locate``)."""
    strays = column["present"] - column["numbers"]
    share = 100.0 * strays / column["present"]
    looks = {cell: look for cell, look in column["samples"]}
    shown = "; ".join(
        f"{path} line {line}: {cell!r}" + (f" ({looks[cell]})" if looks.get(cell, TEXT) != TEXT else "")
        for path, line, cell in located
    )
    advice = []
    if any(look == FORMATTED[0] for look in looks.values()):
        advice.append("write numbers without thousands separators (3750, not 3,750)")
    if any(look == FORMATTED[1] for look in looks.values()):
        advice.append("write decimals with a point (3.75, not 3,75)")
    if any(look == FORMATTED[2] for look in looks.values()):
        advice.append("write percentages as plain numbers (18.3 or 0.183, not 18.3%)")
    return (
        f"column {column_name!r} holds numbers, but {strays} of its {column['present']} non-empty cells "
        f"({share:.1f} %) are not numbers: {shown}."
        + (" " + "; ".join(advice).capitalize() + "." if advice else "")
    )


def policy_advice() -> str:
    return (
        "Fix those cells or leave them empty (an empty cell is a missing value); or set the parameter "
        "non_numeric_cells=missing to read them as missing values, or non_numeric_cells=text to read the "
        "column as text."
    )


def too_large(column_name: str, located: List[Tuple[str, int, str]]) -> str:
    shown = "; ".join(f"{path} line {line}: {cell!r}" for path, line, cell in located)
    return (
        f"column {column_name!r} has values beyond the float32 range (about ±3.4e38) the model reads "
        f"numbers as, which would become infinities: {shown}. Rescale the column (other units, or a "
        "logarithm) or fix the values."
    )


def check_policy(policy: str) -> Optional[str]:
    """An error message for an unknown policy, or None."""
    if policy not in POLICIES:
        return f"non_numeric_cells must be one of {', '.join(POLICIES)}, got {policy!r}."
    return None
