"""Checkpoints that let a killed or preempted training task resume where it stopped.

Keras' ``BackupAndRestore`` callback writes the weights (model and optimizer) and
the epoch reached at the end of every epoch, and on the next ``fit`` restores them
and continues from that epoch. The checkpoint lives in a stable folder keyed by a
fingerprint of everything that determines the training — the transformed data
(a summary of its content, not its paths, which change from run to run), the
transform's task facts and vocabularies, the hyperparameters, the user module and
this package's version — so a run only ever resumes a checkpoint of the same
training. The folder is removed once the model is exported.
"""
import hashlib
import json
import logging
import os
from typing import Dict, Optional

from components.common import layout

logger = logging.getLogger(__name__)

FINGERPRINT_LENGTH = 16
# Significant digits of the float sums in a split's summary: coarse enough that TFT's
# run-to-run floating-point noise (about 1e-7 relative) almost never changes them.
FLOAT_DIGITS = 4
# Where an empty checkpoint_dir puts the checkpoint: inside the model output, so only a
# retry that gets the same output folder (as Vertex AI's task retries do) resumes.
IN_MODEL_FOLDER = "_checkpoint"
METADATA_FILE = "training_metadata.json"  # written by keras.callbacks.BackupAndRestore


def _split_summary(pattern: str, feature_spec) -> bytes:
    """A content summary of one transformed split that is stable from run to run.

    The bytes of the records are not: Beam may order shards and protobuf maps
    differently, and TFT's analyzers (means, variances) may differ in the last bits
    when Beam combines in another order. So the summary holds, per feature, the
    count of values and, exactly, the sum and sum of squares of integer features
    (class ids, vocabulary ids, buckets); for float features, the sum of absolute
    values and of squares to FLOAT_DIGITS significant digits.
    """
    import numpy as np
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(pattern))
    totals = {name: [0, 0, 0] for name in sorted(feature_spec)}
    if files:
        dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(4096)
        for batch in dataset.map(lambda records: tf.io.parse_example(records, feature_spec)).as_numpy_iterator():
            for name, values in batch.items():
                values = np.asarray(values)
                total = totals[name]
                total[0] += int(values.size)
                if np.issubdtype(values.dtype, np.integer):
                    values = values.astype(object)  # exact, unbounded sums
                    total[1] += int(values.sum())
                    total[2] += int((values * values).sum())
                else:
                    values = values.astype(np.float64)
                    total[1] += float(np.abs(values).sum())
                    total[2] += float((values * values).sum())
    summary = {
        name: [count] + [v if isinstance(v, int) else f"{v:.{FLOAT_DIGITS}g}" for v in (first, second)]
        for name, (count, first, second) in totals.items()
    }
    return json.dumps(summary, sort_keys=True).encode()


def _file_bytes(path: str) -> bytes:
    import tensorflow as tf

    if not tf.io.gfile.exists(path):
        return b""
    with tf.io.gfile.GFile(path, "rb") as handle:
        return handle.read()


def training_fingerprint(
    transform_graph_uri: str,
    transformed_examples_uri: str,
    hyperparameters: Dict[str, object],
    module_source: str = "",
) -> str:
    """A short hex digest identifying one training: same inputs, same fingerprint.

    ``epochs`` is left out on purpose: a run given more epochs after an
    interruption continues the same training.
    """
    import tensorflow as tf
    import tensorflow_transform as tft

    feature_spec = {
        name: spec
        for name, spec in tft.TFTransformOutput(transform_graph_uri).transformed_feature_spec().items()
        if isinstance(spec, tf.io.FixedLenFeature) and spec.dtype != tf.string
    }
    from components.version import __version__

    digest = hashlib.sha256()
    digest.update(__version__.encode())  # the default model may change between versions
    settings = {k: v for k, v in hyperparameters.items() if k != "epochs"}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(module_source.encode())
    digest.update(_file_bytes(os.path.join(transform_graph_uri, layout.TASK_INFO_FILE)))
    digest.update(_file_bytes(os.path.join(transform_graph_uri, tft.TFTransformOutput.TRANSFORMED_METADATA_DIR, "schema.pbtxt")))
    assets = os.path.join(transform_graph_uri, tft.TFTransformOutput.TRANSFORM_FN_DIR, "assets")
    for name in sorted(tf.io.gfile.listdir(assets)) if tf.io.gfile.isdir(assets) else []:
        digest.update(name.encode())
        digest.update(_file_bytes(os.path.join(assets, name)))
    for split in layout.SPLITS:
        digest.update(split.encode())
        digest.update(_split_summary(layout.examples_pattern(transformed_examples_uri, split), feature_spec))
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def checkpoint_location(checkpoint_dir: str, model_uri: str, fingerprint: str) -> str:
    """``<checkpoint_dir>/<fingerprint>``, or a folder inside the model output when no dir is given."""
    if not checkpoint_dir:
        return os.path.join(model_uri, IN_MODEL_FOLDER)
    return os.path.join(checkpoint_dir, fingerprint)


def completed_epochs(location: str) -> Optional[int]:
    """Epochs a checkpoint at ``location`` holds, or None when there is none."""
    import tensorflow as tf

    path = os.path.join(location, METADATA_FILE)
    if not tf.io.gfile.exists(path):
        return None
    try:
        with tf.io.gfile.GFile(path) as handle:
            return int(json.load(handle)["epoch"])
    except (ValueError, KeyError, TypeError):
        return None


def backup_callback(location: str):
    """The Keras callback that saves after every epoch and restores on the next start.

    Two states are kept (``double_checkpoint``), so a kill in the middle of a write
    falls back to the previous epoch instead of failing.
    """
    import keras

    return keras.callbacks.BackupAndRestore(location, save_freq="epoch", double_checkpoint=True, delete_checkpoint=False)


def remove_checkpoint(location: str) -> None:
    """Delete a checkpoint folder this component wrote (after a successful export)."""
    import tensorflow as tf

    if tf.io.gfile.isdir(location):
        tf.io.gfile.rmtree(location)
