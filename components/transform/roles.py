"""Column roles: what each raw column is, and the treatment the default preprocessing gives it.

Roles are decided from the train split's statistics (TFDV) and the schema, before
any Beam work; a ``column_roles`` override ({"column": "role"}) replaces any inferred
role. Each decision carries a ``reason`` a person can check against the statistics,
and its ``source`` (``inferred`` or ``override``). The list is written beside the
transform graph as ``column_roles.json`` and ``column_roles.md``.

Roles (``ROLES``):

- ``numeric``: missing values imputed with the mean, then z-scored; heavy-tailed
  columns (the distance from the median to the extreme is more than
  ``HEAVY_TAIL_RATIO`` times the distance from the median to the 10th/90th
  percentile) are log-scaled first (``log1p``, non-negative columns) or cut into
  ``QUANTILE_BUCKETS`` quantile buckets (``tft.bucketize``, columns with negatives).
- ``categorical``: a vocabulary with one out-of-vocabulary bucket (the model one-hot
  encodes up to 32 ids and embeds more); at most ``MAX_VOCABULARY`` values are kept.
- ``date``: a string column whose values are ISO dates or datetimes
  (``YYYY-MM-DD``, also ``YYYY/MM/DD`` or ``YYYY.MM.DD``, optionally ``THH:MM[:SS]`` or
  `` HH:MM[:SS]``), checked before ``identifier`` (a daily series has a date per row): calendar features
  parsed with TensorFlow ops inside the transform graph (``components.transform.calendar``).
  When the train split's dates span at most ``MAX_YEAR_STEPS`` + 1 calendar years
  (first and last year among the values TFDV's statistics list: the top values and the
  rank histogram, every distinct value when there are at most 1,000), the year also
  enters as steps, one per year after the first (``year_steps`` in the record), so the
  model can shift by year as sharply as a tree splits on the day number.
- ``identifier``: about one distinct value per row: excluded from the model.
- ``text``: long strings with many distinct values and several words: a bag of
  words over a vocabulary of the ``TEXT_VOCABULARY`` most frequent tokens.
- ``boolean``: two values (0/1, or true/false, yes/no, y/n, t/f): a 0/1 feature.

Nothing here imports TensorFlow.
"""
import json
import logging
import re
from typing import Dict, List, Mapping, Optional, Sequence

from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)

NUMERIC, CATEGORICAL, DATE, IDENTIFIER, TEXT, BOOLEAN = (
    "numeric", "categorical", "date", "identifier", "text", "boolean"
)
ROLES = (NUMERIC, CATEGORICAL, DATE, IDENTIFIER, TEXT, BOOLEAN)
ROLES_FILE = "column_roles.json"
REPORT_FILE = "column_roles.md"

IDENTIFIER_SHARE = 0.9  # distinct values per row (strings) at or above which a column is an identifier
HEAVY_TAIL_RATIO = 8.0
QUANTILE_BUCKETS = 10
MAX_VOCABULARY = 10_000
TEXT_MIN_LENGTH = 20.0  # mean characters per value
TEXT_MIN_TOKENS = 3.0  # mean words per value (among the most frequent values)
TEXT_VOCABULARY = 500
MAX_YEAR_STEPS = 50  # a date's year as steps when its years span at most this many + 1
# Year first, zero-padded, with one separator throughout: 2012-01-31, 2012/01/31 or
# 2012.01.31 (no backreference: TensorFlow's RE2 matches the same pattern in the graph).
ISO_DATE = re.compile(
    r"^\d{4}(?:-\d{2}-\d{2}|/\d{2}/\d{2}|\.\d{2}\.\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
TRUE_WORDS = ("true", "t", "yes", "y", "1")
BOOLEAN_WORDS = {frozenset(("true", "false")), frozenset(("t", "f")), frozenset(("yes", "no")), frozenset(("y", "n"))}


def _feature_stats(statistics) -> Dict[str, object]:
    return {f.path.step[0]: f for f in statistics.datasets[0].features if f.path.step}


def _quantile(num_stats, fraction: float) -> Optional[float]:
    """The ``fraction`` quantile from TFDV's quantiles histogram (bucket boundaries)."""
    for histogram in num_stats.histograms:
        if histogram.type == histogram.QUANTILES and histogram.buckets:
            buckets = histogram.buckets
            index = min(len(buckets) - 1, max(0, int(round(fraction * len(buckets)))))
            return buckets[index].low_value if fraction < 0.5 else buckets[index - 1].high_value
    return None


def heavy_tail(num_stats) -> Optional[str]:
    """Why a numeric column is heavy-tailed (a sentence), or None."""
    median, p10, p90 = num_stats.median, _quantile(num_stats, 0.1), _quantile(num_stats, 0.9)
    if p10 is None or p90 is None:
        return None
    upper, lower = p90 - median, median - p10
    if upper > 0 and (num_stats.max - median) > HEAVY_TAIL_RATIO * upper:
        return f"max {num_stats.max:.4g} is {(num_stats.max - median) / upper:.0f}x further from the median ({median:.4g}) than the 90th percentile ({p90:.4g})"
    if lower > 0 and (median - num_stats.min) > HEAVY_TAIL_RATIO * lower:
        return f"min {num_stats.min:.4g} is {(median - num_stats.min) / lower:.0f}x further from the median ({median:.4g}) than the 10th percentile ({p10:.4g})"
    return None


def _top_values(string_stats) -> List[str]:
    values = [v.value for v in string_stats.top_values]
    return values or [b.label for b in string_stats.rank_histogram.buckets]


def _numeric_role(name: str, stats, rows: int, total_rows: int) -> Dict[str, str]:
    num, common = stats.num_stats, stats.num_stats.common_stats
    present = int(common.num_non_missing)
    integer = stats.type == stats.INT
    if integer and num.min >= 0 and num.max <= 1 and present:
        return {"role": BOOLEAN, "reason": "integer values 0 and 1 only"}
    span = num.max - num.min + 1
    # A row number spans about one value per row of the whole data set (the train
    # split is a sample of it), evenly.
    if integer and present == rows and rows >= 20 and IDENTIFIER_SHARE * rows <= span <= total_rows / IDENTIFIER_SHARE:
        uniform = num.std_dev > 0 and abs(num.std_dev - span / 12**0.5) < 0.1 * span / 12**0.5
        if uniform:
            return {"role": IDENTIFIER, "reason": (
                f"integers {num.min:.0f}..{num.max:.0f} spread evenly over a range of about one value per "
                f"row ({total_rows} rows): a row number or id")}
    return {"role": NUMERIC, "reason": f"{'integer' if integer else 'float'} values"}


def _string_role(name: str, stats, rows: int) -> Dict[str, str]:
    strings = stats.string_stats
    present = int(strings.common_stats.num_non_missing) or 1
    unique = int(strings.unique)
    top = _top_values(strings)
    lowered = frozenset(v.strip().lower() for v in top)
    if unique == 2 and lowered in BOOLEAN_WORDS:
        return {"role": BOOLEAN, "reason": f"two values: {', '.join(sorted(lowered))}"}
    if top and all(ISO_DATE.match(v) for v in top):
        return {"role": DATE, "reason": f"the {len(top)} most frequent values are year-first dates/datetimes (e.g. {top[0]!r})"}
    words = sum(len(v.split()) for v in top) / len(top) if top else 0.0
    if unique >= 0.5 * present and strings.avg_length >= TEXT_MIN_LENGTH and words >= TEXT_MIN_TOKENS:
        return {"role": TEXT, "reason": (
            f"{unique} distinct values in {present} rows, {strings.avg_length:.0f} characters and "
            f"{words:.1f} words on average")}
    if unique >= IDENTIFIER_SHARE * present and present >= 20:
        return {"role": IDENTIFIER, "reason": f"{unique} distinct values in {present} rows: about one per row"}
    return {"role": CATEGORICAL, "reason": f"{unique} distinct string values"}


def date_years(stats) -> List[int]:
    """The distinct years (sorted) among a string column's values that TFDV's statistics
    list (top values and rank histogram): all of them when the column has no more
    distinct values than the histogram holds, else those of its most frequent values."""
    if stats is None or not stats.HasField("string_stats"):
        return []
    values = {v.value for v in stats.string_stats.top_values}
    values |= {b.label for b in stats.string_stats.rank_histogram.buckets}
    return sorted({int(v.strip()[:4]) for v in values if ISO_DATE.match(v.strip())})


def year_steps(record: Mapping[str, object]) -> int:
    """How many year steps a date column's record asks for (0: none); see the module docstring."""
    return int(record.get("year_steps") or 0) if record.get("role") == DATE else 0


def _date_treatment(years: Sequence[int]) -> str:
    base = ("calendar features in the graph: year, elapsed days since the train split's earliest date, "
            "month, day of week, day of year, hour (sin/cos), month and day-of-week one-hot, missing flag")
    span = (years[-1] - years[0]) if years else 0
    if 1 <= span <= MAX_YEAR_STEPS:
        return base + (f"; year steps: {span} (1 from each year after {years[0]} through {years[-1]}, a later "
                       f"year read as {years[-1]}: the model can shift by year)")
    if span > MAX_YEAR_STEPS:
        return base + f"; no year steps (years {years[0]}..{years[-1]} span more than {MAX_YEAR_STEPS + 1})"
    return base


def treatment(role: str, stats) -> str:
    """What the default preprocessing does with a column of this role (a phrase)."""
    if role == NUMERIC:
        tail = heavy_tail(stats.num_stats) if stats is not None and stats.HasField("num_stats") else None
        if tail is None:
            return "mean-imputed, z-scored"
        if stats.num_stats.min >= 0:
            return f"log1p, then z-scored (heavy tail: {tail})"
        return f"{QUANTILE_BUCKETS} quantile buckets (heavy tail with negative values: {tail})"
    if role == CATEGORICAL:
        return f"vocabulary (at most {MAX_VOCABULARY} values) + 1 out-of-vocabulary bucket"
    if role == DATE:
        return _date_treatment(date_years(stats))
    if role == IDENTIFIER:
        return "excluded from the model (an identifier carries no pattern that generalises)"
    if role == TEXT:
        return f"bag of words over the {TEXT_VOCABULARY} most frequent lower-cased tokens (+1 out-of-vocabulary)"
    return "0/1 (true, t, yes, y, 1 are 1)"


def _check_override(column: str, role: str, is_string: bool) -> None:
    if role not in ROLES:
        raise ConfigurationError(
            f"column_roles: {column!r}: unknown role {role!r}; the roles are {', '.join(ROLES)}."
        )
    if not is_string and role in (DATE, TEXT):
        raise ConfigurationError(
            f"column_roles: {column!r} holds numbers; the role {role!r} needs a string column "
            f"(numeric columns take numeric, categorical, boolean or identifier)."
        )
    if is_string and role == NUMERIC:
        raise ConfigurationError(
            f"column_roles: {column!r} holds strings; it cannot be numeric (read it as numbers at ingest "
            f"instead: --param non_numeric_cells=missing)."
        )


def infer_roles(
    schema, statistics, label: str, features: Sequence[str], overrides: Optional[Mapping[str, str]] = None,
    total_rows: Optional[int] = None,
) -> List[Dict[str, str]]:
    """One record per feature in ``features`` (label excluded): ``column``, ``role``,
    ``treatment``, ``reason`` and ``source`` (``inferred`` or ``override``); a date
    column's also ``year_steps`` (``year_steps``: 0 for none).
    ``statistics`` are the train split's; ``total_rows`` the rows of all splits
    (default: the train split's).

    Raises:
      ConfigurationError: an override names a column that is not a feature, the label,
        an unknown role, or a role the column's type cannot take.
    """
    overrides = dict(overrides or {})
    if label in overrides:
        raise ConfigurationError(f"column_roles: {label!r} is the label; its treatment follows the task.")
    unknown = sorted(set(overrides) - set(features))
    if unknown:
        raise ConfigurationError(
            f"column_roles names {', '.join(map(repr, unknown))}, not a feature column; the columns are "
            f"{', '.join(map(repr, sorted(f for f in features if f != label)))}."
        )
    from tensorflow_metadata.proto.v0 import schema_pb2

    by_name = _feature_stats(statistics)
    rows = int(statistics.datasets[0].num_examples)
    total_rows = max(rows, int(total_rows or rows))
    types = {f.name: f.type for f in schema.feature}
    records = []
    for name in features:
        if name == label:
            continue
        stats = by_name.get(name)
        is_string = types[name] == schema_pb2.BYTES
        if stats is None:
            inferred = {"role": CATEGORICAL if is_string else NUMERIC, "reason": "no statistics: by type"}
        elif is_string:
            inferred = _string_role(name, stats, rows)
        else:
            inferred = _numeric_role(name, stats, rows, total_rows)
        record = {"column": name, **inferred, "source": "inferred"}
        if name in overrides:
            _check_override(name, overrides[name], is_string)
            record.update(role=overrides[name], source="override",
                          reason=f"column_roles override (inferred: {inferred['role']}, {inferred['reason']})")
        record["treatment"] = treatment(record["role"], stats)
        if record["role"] == DATE:
            years = date_years(stats)
            span = years[-1] - years[0] if years else 0
            record["year_steps"] = span if 1 <= span <= MAX_YEAR_STEPS else 0
        logger.info("Column %r: %s, %s (%s) -> %s", name, record["role"], record["source"], record["reason"], record["treatment"])
        records.append(record)
    return records


def roles_by_column(records: Sequence[Mapping[str, str]]) -> Dict[str, str]:
    return {r["column"]: r["role"] for r in records}


def excluded_notes(records: Sequence[Mapping[str, str]]) -> List[str]:
    """One sentence per excluded column (the summary's and the report's notes)."""
    return [f"{r['column']!r} excluded as an identifier ({r['reason']})" for r in records if r["role"] == IDENTIFIER]


def markdown(records: Sequence[Mapping[str, str]]) -> str:
    """The roles as a Markdown report."""
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["# Column roles", "",
             "Each column's role and its treatment in the transform graph (serving takes the raw columns). "
             "Override any role with the pipeline parameter `column_roles`, e.g. "
             '`--param column_roles=\'{"when": "categorical"}\'`.', "",
             "| column | role | source | treatment | why |", "|---|---|---|---|---|"]
    lines += [f"| {cell(r['column'])} | {r['role']} | {r['source']} | {cell(r['treatment'])} | {cell(r['reason'])} |"
              for r in records]
    notes = excluded_notes(records)
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def write_roles(folder: str, records: Sequence[Mapping[str, str]]) -> None:
    """``column_roles.json`` and ``column_roles.md`` in ``folder`` (local or gs://)."""
    import os

    from components.common import storage

    storage.write_bytes(os.path.join(folder, ROLES_FILE), json.dumps(list(records), indent=2).encode("utf-8"))
    storage.write_bytes(os.path.join(folder, REPORT_FILE), markdown(records).encode("utf-8"))
