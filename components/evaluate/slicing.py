"""The examples of each slice, as TFMA slices them.

A slice spec is a list of feature names: one name gives a slice per value of that
feature, several give one per combination of their values (a cross). An example
without a value for a feature of the spec belongs to none of its slices; a feature
with several values puts the example in the slice of each. Values keep their
tf.Example type (bytes, int or float), as TFMA's slice keys do.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

# One feature's values: (row of each value, the value), rows ascending.
FeatureValues = Tuple[np.ndarray, np.ndarray]
SliceKey = Tuple[Tuple[str, object], ...]


def _python_value(value):
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def slice_rows(
    example_count: int, specs: Sequence[Sequence[str]], values: Dict[str, FeatureValues]
) -> List[Tuple[SliceKey, np.ndarray]]:
    """``[(slice key, rows)]``: the overall slice ``()`` first (every row), then each
    slice of each spec that holds at least one example, in order of first appearance."""
    import pandas as pd

    found = [((), np.arange(example_count))]
    for spec in specs:
        table = None
        for name in spec:
            rows, feature_values = values[name]
            column = pd.DataFrame({"row": rows, name: list(feature_values)})
            table = column if table is None else table.merge(column, on="row")
        if table is None or table.empty:
            continue
        for key_values, group in table.groupby(list(spec), sort=False):
            key_values = key_values if isinstance(key_values, tuple) else (key_values,)
            key = tuple((name, _python_value(v)) for name, v in zip(spec, key_values))
            found.append((key, np.unique(group["row"].to_numpy())))
    return found
