"""On-disk layout of the artifacts the components exchange.

The layout follows TFX so a TFX user recognises it:

- examples: ``<uri>/Split-<split>/data_tfrecord-*.gz`` (gzip TFRecord of tf.Example)
- statistics: ``<uri>/Split-<split>/FeatureStats.pb`` (DatasetFeatureStatisticsList)
- schema: ``<uri>/schema.pbtxt``
- anomalies: ``<uri>/Split-<split>/SchemaDiff.pb`` (tensorflow_metadata Anomalies)
- transform graph: ``<uri>`` is a TFTransformOutput directory
- model: ``<uri>`` is a SavedModel directory
- blessing: ``<uri>/BLESSED`` or ``<uri>/NOT_BLESSED``
"""
import os

TRAIN = "train"
EVAL = "eval"
SPLITS = (TRAIN, EVAL)
# The one split of a batch that is not divided (batch prediction, data validation).
ALL = "all"

EXAMPLES_FILE_PREFIX = "data_tfrecord"
EXAMPLES_GLOB = EXAMPLES_FILE_PREFIX + "-*.gz"
STATISTICS_FILE = "FeatureStats.pb"
ANOMALIES_FILE = "SchemaDiff.pb"
SCHEMA_FILE = "schema.pbtxt"
BLESSED_FILE = "BLESSED"
NOT_BLESSED_FILE = "NOT_BLESSED"
TASK_INFO_FILE = "task.json"


def split_dir(artifact_uri: str, split: str) -> str:
    """The folder that holds one split of a per-split artifact."""
    return os.path.join(artifact_uri, f"Split-{split}")


def split_names(artifact_uri: str):
    """The splits a per-split artifact holds, from its ``Split-<split>`` folders:
    train and eval first (in that order), then any others by name."""
    import tensorflow as tf

    prefix = "Split-"
    found = {
        os.path.basename(path.rstrip("/"))[len(prefix):]
        for path in tf.io.gfile.glob(os.path.join(artifact_uri, prefix + "*"))
        if tf.io.gfile.isdir(path)
    }
    return [s for s in SPLITS if s in found] + sorted(found - set(SPLITS))


def examples_pattern(artifact_uri: str, split: str) -> str:
    """Glob matching the TFRecord files of one split of an examples artifact."""
    return os.path.join(split_dir(artifact_uri, split), EXAMPLES_GLOB)


def examples_prefix(artifact_uri: str, split: str) -> str:
    """Shard prefix for writing one split of an examples artifact."""
    return os.path.join(split_dir(artifact_uri, split), EXAMPLES_FILE_PREFIX)


def statistics_path(artifact_uri: str, split: str) -> str:
    return os.path.join(split_dir(artifact_uri, split), STATISTICS_FILE)


def anomalies_path(artifact_uri: str, split: str) -> str:
    return os.path.join(split_dir(artifact_uri, split), ANOMALIES_FILE)


def schema_path(artifact_uri: str) -> str:
    return os.path.join(artifact_uri, SCHEMA_FILE)
