"""Typing CSV cells column by column, in C++ (pyarrow): which type a column holds,
which cells are missing, and the list arrays that tfx-bsl encodes as tf.Examples."""

# Cells that mean "no value" in CSVs written by R, pandas, spreadsheets or databases.
# In a column that is otherwise numeric they are missing values; in a text column
# they stay text.
NA_MARKERS = frozenset({"na", "n/a", "#n/a", "nan", "null", "none", "?", "-"})

# What pyarrow's string -> float64 cast accepts, as a pattern tested on every cell in C++.
NUMBER_PATTERN = r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-?(inf|infinity|nan)$"

# Column types, ordered so that the widest type seen in a column wins.
UNKNOWN, INT, FLOAT, STRING = 0, 1, 2, 3
TYPE_NAMES = {INT: "INT (whole number)", FLOAT: "FLOAT (number)", STRING: "BYTES (text)"}


def cell_type(value: str) -> int:
    """The narrowest column type that can hold one CSV cell (NA markers fit any):
    the rule ``column_type`` applies to whole columns, for single values."""
    if value == "" or value.lower() in NA_MARKERS:
        return UNKNOWN
    try:
        int(value)
        return INT
    except ValueError:
        pass
    try:
        float(value)
        return FLOAT
    except ValueError:
        return STRING


def missing_mask(cells, kind: int = UNKNOWN):
    """Which cells hold no value: empty ones, and NA markers unless the column is text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == STRING:
        return pc.equal(cells, "")
    return pc.is_in(pc.utf8_lower(cells), value_set=pa.array(sorted(NA_MARKERS | {""})))


def column_type(cells) -> int:
    """The narrowest type of a column of CSV cells (a pyarrow string array), in C++."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = pc.filter(cells, pc.invert(missing_mask(cells)))
    if len(present) == 0:
        return UNKNOWN
    for kind, arrow_type in ((INT, pa.int64()), (FLOAT, pa.float64())):
        try:
            pc.cast(present, arrow_type)
            return kind
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return STRING


def _arrow_type(kind: int):
    import pyarrow as pa

    return {INT: pa.int64(), FLOAT: pa.float32(), STRING: pa.large_binary()}[kind]


def list_column(cells, kind: int, strays_missing: bool = False):
    """A column of cells as the list array tf.Example encoding wants (null = missing);
    with ``strays_missing``, cells of a numeric column that are not numbers are missing
    too (``numeric_cells``, policy ``missing``).

    Raises pyarrow's ArrowInvalid when a present cell cannot be read as ``kind``
    (``first_unreadable`` then finds it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = missing_mask(cells, kind)
    if strays_missing:
        missing = pc.or_(missing, pc.invert(pc.match_substring_regex(cells, NUMBER_PATTERN, ignore_case=True)))
    present = pc.filter(cells, pc.invert(missing))
    values = pc.cast(present, _arrow_type(kind))
    valid = pc.invert(missing).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(cells) + 1, dtype=np.int64)
    np.cumsum(valid, out=offsets[1:])
    return pa.LargeListArray.from_arrays(pa.array(offsets, mask=np.append(~valid, False)), values)


def first_unreadable(cells, kind: int) -> int:
    """The index of the first present cell that cannot be read as ``kind``, or -1.

    For error messages only: it tries cell by cell, after a columnar cast failed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = missing_mask(cells, kind).to_pylist()
    for index, cell in enumerate(cells.to_pylist()):
        if missing[index]:
            continue
        try:
            pc.cast(pa.array([cell], type=pa.string()), _arrow_type(kind))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return index
    return -1
