"""Reading the tensorflow_metadata files the components exchange: ``schema.pbtxt`` and
``FeatureStats.pb``. One home, so every component reads them alike, local or ``gs://``
(through ``components.common.storage``), with the same errors.
"""
from components.common import layout, storage
from components.common.errors import ConfigurationError

# The schema environments: labelled data, and serving data without the label.
TRAINING = "TRAINING"
SERVING = "SERVING"


def load_schema(path: str):
    """Parse a schema.pbtxt (local or ``gs://``), naming the file and the parse error
    when it is invalid (ConfigurationError), or when it does not exist."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    if not storage.exists(path):
        raise ConfigurationError(f"Schema file {path!r} does not exist.")
    text = storage.read_bytes(path).decode("utf-8")
    try:
        return text_format.Parse(text, schema_pb2.Schema())
    except text_format.ParseError as error:
        raise ConfigurationError(
            f"Schema file {path!r} is not a valid tensorflow_metadata Schema in text format: {error}"
        ) from None


def load_statistics(statistics_uri: str, split: str):
    """The DatasetFeatureStatisticsList of one split of a statistics artifact."""
    return load_statistics_file(layout.statistics_path(statistics_uri, split))


def load_statistics_file(path: str):
    """A binary DatasetFeatureStatisticsList file (``FeatureStats.pb``), local or
    ``gs://`` (read as ``tfdv.load_stats_binary`` reads it, through our storage).
    Raises protobuf's DecodeError for another kind of file."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    return statistics_pb2.DatasetFeatureStatisticsList.FromString(storage.read_bytes(path))
