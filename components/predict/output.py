"""Prediction rows: the key columns of each input row beside the model's answers,
written as CSV, Parquet or TFRecord (tf.Example).

Column types come from the batch's TFDV statistics, so the CSV header and the
Parquet schema are known before any row is read. A key column is an int64, float
or string column; one that holds several values in some row is a list column
(Parquet list, tf.Example list, a JSON list in CSV).
"""
import csv
import io
import json
from typing import Dict, List, Sequence

from components.common.errors import ConfigurationError

OUTPUT_FORMATS = ("csv", "parquet", "tfrecord")
FILE_PREFIX = "predictions"
SUFFIXES = {"csv": ".csv", "parquet": ".parquet", "tfrecord": ".tfrecord.gz"}
INT, FLOAT, STRING = "int", "float", "string"


class Column:
    """One output column: its name, value type, and whether it holds lists."""

    def __init__(self, name: str, kind: str, is_list: bool = False):
        self.name, self.kind, self.is_list = name, kind, is_list

    def __repr__(self):
        return f"Column({self.name!r}, {self.kind!r}{', list' if self.is_list else ''})"


def batch_columns(statistics_list) -> Dict[str, Column]:
    """The columns of a batch, from its DatasetFeatureStatisticsList(s), by name."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    kinds = {statistics_pb2.FeatureNameStatistics.INT: INT, statistics_pb2.FeatureNameStatistics.FLOAT: FLOAT}
    columns: Dict[str, Column] = {}
    for statistics in statistics_list:
        for dataset in statistics.datasets:
            for feature in dataset.features:
                name = ".".join(feature.path.step) or feature.name
                stats = getattr(feature, feature.WhichOneof("stats")) if feature.WhichOneof("stats") else None
                is_list = bool(stats is not None and stats.common_stats.max_num_values > 1)
                known = columns.get(name)
                columns[name] = Column(name, kinds.get(feature.type, STRING), is_list or bool(known and known.is_list))
    return columns


def choose_key_columns(available: Dict[str, Column], requested: Sequence[str], preferred_order: Sequence[str] = ()) -> List[Column]:
    """The key columns: those requested, or every input column (in ``preferred_order``,
    for example the CSV header, then by name).

    Raises:
      ConfigurationError: a requested column is not in the batch.
    """
    if requested:
        unknown = [name for name in requested if name not in available]
        if unknown:
            raise ConfigurationError(
                f"key_columns {', '.join(map(repr, unknown))} not found in the batch; its columns are "
                f"{', '.join(sorted(available))}. Columns empty in every row are not in the batch."
            )
        return [available[name] for name in requested]
    ordered = [name for name in preferred_order if name in available]
    ordered += sorted(name for name in available if name not in ordered)
    return [available[name] for name in ordered]


def prediction_columns(task: str, classes: Sequence[str]) -> List[Column]:
    """``predicted_class`` and one ``probability_<class>`` per class, or ``prediction``."""
    if task == "classification":
        return [Column("predicted_class", STRING)] + [Column(f"probability_{name}", FLOAT) for name in classes]
    return [Column("prediction", FLOAT)]


def check_names(keys: Sequence[Column], predictions: Sequence[Column]) -> None:
    clashes = sorted({c.name for c in keys} & {c.name for c in predictions})
    if clashes:
        raise ConfigurationError(
            f"Input column(s) {', '.join(clashes)} have the name of a prediction column; leave them "
            "out of key_columns or rename them in the data."
        )


def _python_value(value, kind: str):
    if kind == STRING:
        return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return int(value) if kind == INT else float(value)


def prediction_row(
    example_bytes: bytes, inference: Dict[str, object], keys: Sequence[Column], task: str, classes: Sequence[str]
) -> Dict[str, object]:
    """One output row as Python values: key columns from the serialized example
    (None where the row has no value), then the model's outputs for it."""
    import tensorflow as tf

    example = tf.train.Example.FromString(example_bytes)
    row: Dict[str, object] = {}
    for column in keys:
        feature = example.features.feature.get(column.name)
        kind = feature.WhichOneof("kind") if feature is not None else None
        values = [_python_value(v, column.kind) for v in getattr(feature, kind).value] if kind else []
        row[column.name] = values if column.is_list else (values[0] if values else None)
    if task == "classification":
        row["predicted_class"] = inference["classes"].decode("utf-8")
        for name, probability in zip(classes, inference["probabilities"]):
            row[f"probability_{name}"] = float(probability)
    else:
        row["prediction"] = float(inference["predictions"])
    return row


def _csv_cell(value, kind: str) -> str:
    """Floats as the shortest text that reads back as the same float32 (39.1, not
    39.099998474121094); lists as JSON; missing as an empty cell."""
    import numpy as np

    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps([_csv_cell(v, kind) if kind == FLOAT else v for v in value])
    if kind == FLOAT:
        return str(np.float32(value))
    return str(value)


def csv_header(columns: Sequence[Column]) -> str:
    return _csv_line([c.name for c in columns])


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def csv_line(row: Dict[str, object], columns: Sequence[Column]) -> str:
    return _csv_line([_csv_cell(row[c.name], c.kind) for c in columns])


def parquet_schema(columns: Sequence[Column]):
    import pyarrow as pa

    types = {INT: pa.int64(), FLOAT: pa.float32(), STRING: pa.string()}
    return pa.schema([(c.name, pa.list_(types[c.kind]) if c.is_list else types[c.kind]) for c in columns])


def tf_example(row: Dict[str, object], columns: Sequence[Column]) -> bytes:
    """The row as a serialized tf.Example (a missing value: no feature)."""
    import tensorflow as tf

    features = {}
    for column in columns:
        value = row[column.name]
        values = value if isinstance(value, list) else ([] if value is None else [value])
        if not values:
            continue
        if column.kind == INT:
            features[column.name] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        elif column.kind == FLOAT:
            features[column.name] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        else:
            encoded = [v.encode("utf-8") for v in values]
            features[column.name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=encoded))
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def check_format(output_format: str) -> str:
    fmt = output_format.lower()
    if fmt not in OUTPUT_FORMATS:
        raise ConfigurationError(f"Unknown output_format {output_format!r}; use one of {', '.join(OUTPUT_FORMATS)}.")
    return fmt
