"""The task description: which kind of model is trained, and ``task.json``.

``transform`` decides the task and writes ``task.json`` beside its graph; the
settings check, ``train``, ``evaluate`` and ``infra_validate`` read it. This module
is the one place that knows how the task is inferred and how the file is named.

``task.json`` holds ``label``, ``label_key`` (``<label>_xf``), ``task``
(classification or regression), ``raw_label_type``, ``features``, ``serving_inputs``
(the columns renamed inside the model and in the serving signature:
``components.common.feature_names``); for a classifier
``classes`` (in class-id order), ``class_counts`` (train examples per class) and,
for two classes, ``positive_class``; for a regressor ``label_mean`` and
``label_std`` (of the train split).
"""
import json
import os
from typing import Dict, Optional

from components.common import layout
from components.common.errors import ConfigurationError, DataError

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)
# An integer label with at most this many possible values is taken as classes.
MAX_INTEGER_CLASSES = 10


def label_statistics(statistics, label: str):
    """The FeatureNameStatistics of the label in a DatasetFeatureStatisticsList.

    Raises DataError when the label has none (the column is absent from the split).
    """
    for feature in statistics.datasets[0].features:
        if feature.path.step and feature.path.step[0] == label:
            return feature
    raise DataError(f"The label {label!r} has no statistics: the column is absent from the train split.")


def infer_task(schema, statistics, label: str, requested: str = "auto") -> str:
    """Classification or regression, from the label's type and range unless requested.

    A string label is a class; a float label a regression target; an integer label
    is a class when it spans at most MAX_INTEGER_CLASSES possible values.
    """
    from tensorflow_metadata.proto.v0 import schema_pb2

    if requested != "auto":
        if requested not in TASKS:
            raise ConfigurationError(f"task must be 'auto', 'classification' or 'regression', got {requested!r}.")
        return requested
    types = {f.name: f.type for f in schema.feature}
    if label not in types:
        raise DataError(f"The label {label!r} is not in the schema; features: {', '.join(types)}.")
    if types[label] == schema_pb2.BYTES:
        return CLASSIFICATION
    if types[label] == schema_pb2.FLOAT:
        return REGRESSION
    numeric = label_statistics(statistics, label).num_stats
    if numeric.max - numeric.min + 1 <= MAX_INTEGER_CLASSES:
        return CLASSIFICATION
    return REGRESSION


def class_count_from_statistics(statistics, label: str) -> Optional[int]:
    """How many classes the train statistics show for a classification label.

    Exact for a string label (its distinct values); for an integer label the
    number of integers its range spans (an upper bound). None when unknown.
    """
    feature = label_statistics(statistics, label)
    if feature.HasField("string_stats"):
        return int(feature.string_stats.unique)
    if feature.HasField("num_stats") and feature.num_stats.max >= feature.num_stats.min:
        return int(feature.num_stats.max - feature.num_stats.min + 1)
    return None


def write_task_info(transform_graph_uri: str, info: Dict[str, object]) -> None:
    """Write ``task.json`` into a transform graph folder (local paths)."""
    with open(os.path.join(transform_graph_uri, layout.TASK_INFO_FILE), "w") as handle:
        json.dump(info, handle, indent=2)


def read_task_info(transform_graph_uri: str) -> Dict[str, object]:
    """The task facts written by the transform component next to its graph."""
    import tensorflow as tf

    with tf.io.gfile.GFile(os.path.join(transform_graph_uri, layout.TASK_INFO_FILE)) as handle:
        return json.load(handle)
