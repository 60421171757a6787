"""Column types from a schema: when ingest is given the schema the data must satisfy,
each column the schema knows is typed as the schema says (FLOAT -> float, INT ->
int, BYTES -> string), not from the values of this one batch (a float column
whose values happen to be whole numbers stays float).

Cells that cannot be read as the schema's type are errors that name the file,
column and value. Columns the schema does not know are typed from their values,
as without a schema (validation then reports them as new columns).
"""
from typing import Dict

from components.common.errors import DataError
from components.ingest.cells import FLOAT, INT, STRING, TYPE_NAMES


def column_types(schema_path: str) -> Dict[str, int]:
    """{feature name: INT, FLOAT or STRING} for the schema's features of those types."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    from components.common.metadata import load_schema

    kinds = {schema_pb2.INT: INT, schema_pb2.FLOAT: FLOAT, schema_pb2.BYTES: STRING}
    schema = load_schema(schema_path)
    return {f.name: kinds[f.type] for f in schema.feature if f.type in kinds}


def unreadable_cell_error(where: str, column: str, value, kind: int, schema_path: str, row: str = "") -> DataError:
    """The error for a cell that cannot be read as its column's schema type."""
    shown_row = f" Row: {row[:200]!r}." if row else ""
    return DataError(
        f"{where}: column {column!r} is {TYPE_NAMES[kind]} in the schema {schema_path}, but the value "
        f"{value!r} cannot be read as one.{shown_row} Fix the value (leave the cell empty for a missing "
        "value), or change the column's type in the schema if the data is right."
    )


def cast_table(table, types: Dict[str, int], where: str, schema_path: str):
    """A pyarrow table (a Parquet batch) with the schema's columns cast to their types."""
    import pyarrow as pa
    import pyarrow.compute as pc

    targets = {INT: pa.int64(), FLOAT: pa.float64(), STRING: pa.string()}
    for name in table.column_names:
        if name not in types:
            continue
        column = table.column(name)
        target = targets[types[name]]
        if column.type == target:
            continue
        try:
            cast = pc.cast(column, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            for value in column.to_pylist():
                try:
                    pc.cast(pa.array([value], type=column.type), target)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise unreadable_cell_error(where, name, value, types[name], schema_path) from None
            raise
        table = table.set_column(table.column_names.index(name), name, cast)
    return table


def _as_kind(value, kind: int):
    """One tf.Example value as ``kind``, or ValueError."""
    if kind == STRING:
        return value if isinstance(value, bytes) else str(value).encode("utf-8")
    if isinstance(value, bytes):
        value = value.decode("utf-8").strip()
    if kind == FLOAT:
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)


def retype_example(example, types: Dict[str, int], where: str, schema_path: str):
    """A tf.Example whose features are stored as their schema types (in place)."""
    lists = {INT: "int64_list", FLOAT: "float_list", STRING: "bytes_list"}
    for name, feature in example.features.feature.items():
        kind = types.get(name)
        stored = feature.WhichOneof("kind")
        if kind is None or stored is None or stored == lists[kind]:
            continue
        values = list(getattr(feature, stored).value)
        try:
            converted = [_as_kind(v, kind) for v in values]
        except (ValueError, UnicodeDecodeError):
            bad = next(v for v in values if not _convertible(v, kind))
            raise unreadable_cell_error(where, name, bad, kind, schema_path) from None
        feature.ClearField(stored)
        getattr(feature, lists[kind]).SetInParent()
        getattr(feature, lists[kind]).value.extend(converted)
    return example


def _convertible(value, kind: int) -> bool:
    try:
        _as_kind(value, kind)
        return True
    except (ValueError, UnicodeDecodeError):
        return False
