"""Statistics of served instances, typed as the model's schema types its features.

JSON instances carry numbers without a type (``181`` and ``181.0`` alike), so each
column is typed by the schema: an INT feature whose values are all whole numbers is
int64, as in training; a value that is not (``181.5``), or text where a number is
expected, leaves the column as JSON gave it, and TFDV then reports the type change
as the anomaly it is. Features the schema does not know are typed from their values
(TFDV reports them as new columns). A missing value is ``None``, an absent key, a
NaN number or an empty string, as the serving signature and training read them.
"""
import math
from typing import Any, Dict, List, Sequence

INT, FLOAT, BYTES = "INT", "FLOAT", "BYTES"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value(instance: Dict[str, Any], name: str) -> Any:
    value = instance.get(name)
    if value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _column_type(values: Sequence[Any], declared: str) -> str:
    present = [v for v in values if v is not None]
    if not all(_is_number(v) for v in present):
        return BYTES
    whole = all(float(v).is_integer() for v in present)
    if declared == INT or (declared == "" and present and all(isinstance(v, int) for v in present)):
        return INT if whole else FLOAT
    return FLOAT


def schema_types(schema) -> Dict[str, str]:
    """Feature name -> INT, FLOAT or BYTES, as the schema declares it."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    names = {schema_pb2.INT: INT, schema_pb2.FLOAT: FLOAT, schema_pb2.BYTES: BYTES}
    return {f.name: names.get(f.type, BYTES) for f in schema.feature}


def record_batch(instances: Sequence[Dict[str, Any]], types: Dict[str, str]):
    """The instances as an Arrow RecordBatch of list columns (TFDV's in-memory format)."""
    import pyarrow as pa

    # Only the features the instances carry: one the schema requires and no instance
    # has is then missing from the statistics, as TFDV reports it (SCHEMA_MISSING_COLUMN).
    names: List[str] = []
    for instance in instances:
        names.extend(name for name in instance if name not in names)
    arrays, kept = [], []
    for name in names:
        values = [_value(instance, name) for instance in instances]
        kind = _column_type(values, types.get(name, ""))
        if kind == INT:
            array = pa.array([None if v is None else [int(v)] for v in values], type=pa.list_(pa.int64()))
        elif kind == FLOAT:
            array = pa.array([None if v is None else [float(v)] for v in values], type=pa.list_(pa.float32()))
        else:
            array = pa.array([None if v is None else [str(v).encode("utf-8")] for v in values], type=pa.list_(pa.binary()))
        arrays.append(array)
        kept.append(name)
    return pa.RecordBatch.from_arrays(arrays, kept)


def statistics_of(instances: Sequence[Dict[str, Any]], schema):
    """TFDV statistics (a DatasetFeatureStatisticsList) of served instances; None for none."""
    if not instances:
        return None
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.statistics import stats_impl

    return stats_impl.generate_statistics_in_memory(record_batch(instances, schema_types(schema)), tfdv.StatsOptions())
