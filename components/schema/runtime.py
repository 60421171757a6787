"""Schema: inferred from the train statistics, or a curated schema.pbtxt given by the user."""
import logging
import os
from typing import Dict

from components.common import layout
from components.common.metadata import SERVING, TRAINING
from components.common.errors import DataError

logger = logging.getLogger(__name__)

# Share of a categorical feature's values that must lie in its inferred domain.
MIN_DOMAIN_MASS = 0.99


def write_schema(schema, output_uri: str) -> str:
    import tensorflow_data_validation as tfdv

    os.makedirs(output_uri, exist_ok=True)
    path = layout.schema_path(output_uri)
    tfdv.write_schema_text(schema, path)
    return path


def make_schema(
    statistics_uri: str,
    output_uri: str,
    label: str = "",
    curated_schema_path: str = "",
) -> Dict[str, object]:
    """Write ``schema.pbtxt``: the curated schema if given, else one inferred from train stats.

    An inferred schema gets the environments TRAINING and SERVING, with the label
    absent from SERVING, so serving data without a label validates cleanly; its
    string domains tolerate 1% of unseen values (``MIN_DOMAIN_MASS``), and float
    features disallow NaN and infinities.

    Returns:
      ``{"source": "curated"|"inferred", "features": n, "path": ...}``.

    Raises:
      ConfigurationError: the curated schema is missing or unparsable.
      DataError: the label is not a feature of the data.
    """
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2

    from components.common.metadata import load_schema, load_statistics

    if curated_schema_path:
        schema = load_schema(curated_schema_path)
        source = "curated"
    else:
        stats = load_statistics(statistics_uri, layout.TRAIN)
        schema = tfdv.infer_schema(stats, infer_feature_shape=True)
        source = "inferred"
        if label:
            schema.default_environment.extend([TRAINING, SERVING])
        for feature in schema.feature:
            if feature.name == label:
                feature.not_in_environment.append(SERVING)
            if feature.type == schema_pb2.FLOAT and not feature.HasField("domain"):
                # NaN and infinities break scaling and training: report them.
                feature.float_domain.disallow_nan = True
                feature.float_domain.disallow_inf = True
            elif feature.HasField("domain"):
                # An inferred domain lists only the values seen in train: allow up to
                # 1% of other values elsewhere (the vocabulary's OOV bucket takes them),
                # so a rare category does not fail the eval split.
                feature.distribution_constraints.min_domain_mass = MIN_DOMAIN_MASS
    names = [f.name for f in schema.feature]
    if label and label not in names:
        raise DataError(
            f"The label {label!r} is not a feature of the {'curated schema' if curated_schema_path else 'data'}; "
            f"features are: {', '.join(names)}. Pass the right label column."
        )
    path = write_schema(schema, output_uri)
    logger.info("Schema (%s) with %d features written to %s", source, len(names), path)
    return {"source": source, "features": len(names), "path": path}
