"""Checkpoints that let a killed or preempted training task resume where it stopped.

Keras' ``BackupAndRestore`` callback writes the weights (model and optimizer) and
the epoch reached at the end of an epoch, and on the next ``fit`` restores them and
continues from that epoch. It writes at the end of the first epoch that ends at least
``SECONDS_BETWEEN_SAVES`` after the last write (or the start), not after every epoch:
a kill loses at most that much training plus the epoch in flight, and short epochs do
not spend their time writing (31 writes of 0.12 s each in one penguin fit). The
checkpoint lives in a stable folder keyed by a fingerprint of everything that determines the training — the content of every
record trained and validated on (labels included), the transform's definition
(task facts, schemas, vocabularies), the hyperparameters, the user module and this
package's version — so a run only ever resumes a checkpoint of the same training.
The folder is removed once the model is exported.
"""
import hashlib
import json
import logging
import os
from typing import Dict, Optional

from components.common import layout

logger = logging.getLogger(__name__)

FINGERPRINT_LENGTH = 16
# Where an empty checkpoint_dir puts the checkpoint: inside the model output, so only a
# retry that gets the same output folder (as Vertex AI's task retries do) resumes.
IN_MODEL_FOLDER = "_checkpoint"
METADATA_FILE = "training_metadata.json"  # written by keras.callbacks.BackupAndRestore
SECONDS_BETWEEN_SAVES = 30.0
_DIGEST_MODULUS = 1 << 256
_BATCH = 4096


def records_digest(pattern: str, canonical: bool = False) -> bytes:
    """An order-independent digest of the records in the (gzipped TFRecord) files
    ``pattern`` matches: their count and the sum, modulo 2**256, of each record's
    SHA-256.

    The same records give the same digest in any order and any sharding; changing
    any record (a value, a label, which rows hold which label), adding, removing or
    duplicating one gives another (a sum, unlike an XOR, does not cancel duplicates).
    ``canonical`` re-serializes each record as a tf.Example with sorted feature keys
    first, for writers whose feature order varies from run to run (TFT's encoder
    does); ingest's records are serialized that way already.

    One pass over the data, only when a shared checkpoint_dir needs the fingerprint:
    about 10 µs per record here, reading and hashing (some 10 s for a million rows).
    """
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(pattern))
    total, count = 0, 0
    if files:
        for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(_BATCH).as_numpy_iterator():
            for record in batch:
                if canonical:
                    record = tf.train.Example.FromString(record).SerializeToString(deterministic=True)
                total += int.from_bytes(hashlib.sha256(record).digest(), "big")
            count += len(batch)
    return f"{count}:{total % _DIGEST_MODULUS:064x}".encode()


def _file_bytes(path: str) -> bytes:
    import tensorflow as tf

    if not tf.io.gfile.exists(path):
        return b""
    with tf.io.gfile.GFile(path, "rb") as handle:
        return handle.read()


def _task_definition(transform_graph_uri: str) -> bytes:
    """The transform's task facts without its float statistics (the label's mean and
    standard deviation): those are derived from the records, which the fingerprint
    covers exactly, and carry floating-point noise from run to run."""
    raw = _file_bytes(os.path.join(transform_graph_uri, layout.TASK_INFO_FILE))
    info = json.loads(raw) if raw else {}
    return json.dumps({k: v for k, v in info.items() if not isinstance(v, float)}, sort_keys=True).encode()


def training_fingerprint(
    transform_graph_uri: str,
    transformed_examples_uri: str,
    hyperparameters: Dict[str, object],
    module_source: str = "",
    examples_uri: str = "",
) -> str:
    """A short hex digest identifying one training: same inputs, same fingerprint.

    The data part is ``records_digest`` of each split: of the raw examples
    (``examples_uri``, ingest's output) when given, else of the transformed
    examples. The raw records are the better key: re-running the transform on the
    same records gives the same transformed data only up to floating-point noise
    (TFT's analyzers combine in varying order, so z-scores differ in the last bits),
    so a digest of the transformed records tells a re-transformed run apart from
    the one it should resume (safe, but it starts over). The transform's definition
    (task facts, raw and transformed schemas, vocabularies) is hashed beside the raw
    records, since together they determine the transformed data.

    ``epochs`` is left out on purpose: a run given more epochs after an
    interruption continues the same training.
    """
    import tensorflow as tf
    import tensorflow_transform as tft

    from components.version import __version__

    digest = hashlib.sha256()
    digest.update(__version__.encode())  # the default model may change between versions
    settings = {k: v for k, v in hyperparameters.items() if k != "epochs"}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(module_source.encode())
    digest.update(_task_definition(transform_graph_uri))
    for metadata_dir in (tft.TFTransformOutput.RAW_METADATA_DIR, tft.TFTransformOutput.TRANSFORMED_METADATA_DIR):
        digest.update(_file_bytes(os.path.join(transform_graph_uri, metadata_dir, "schema.pbtxt")))
    assets = os.path.join(transform_graph_uri, tft.TFTransformOutput.TRANSFORM_FN_DIR, "assets")
    for name in sorted(tf.io.gfile.listdir(assets)) if tf.io.gfile.isdir(assets) else []:
        digest.update(name.encode())
        digest.update(_file_bytes(os.path.join(assets, name)))
    source, canonical = (examples_uri, False) if examples_uri else (transformed_examples_uri, True)
    digest.update(b"raw" if examples_uri else b"transformed")
    for split in layout.SPLITS:
        digest.update(split.encode())
        digest.update(records_digest(layout.examples_pattern(source, split), canonical))
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


def backup_callback(location: str, seconds_between_saves: float = SECONDS_BETWEEN_SAVES):
    """The Keras callback that restores a checkpoint on the next start and saves one at
    the end of the first epoch that ends ``seconds_between_saves`` or more after the last
    save or the start of training (0: after every epoch).

    Two states are kept (``double_checkpoint``), so a kill in the middle of a write
    falls back to the previous one instead of failing.
    """
    import time

    import keras

    class TimedBackupAndRestore(keras.callbacks.BackupAndRestore):
        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            self._saved_at = time.monotonic()

        def _save_model(self):  # Keras' one place that writes, for epoch-end saves too
            if time.monotonic() - self._saved_at >= seconds_between_saves:
                super()._save_model()
                self._saved_at = time.monotonic()

    return TimedBackupAndRestore(location, save_freq="epoch", double_checkpoint=True, delete_checkpoint=False)


def remove_checkpoint(location: str) -> None:
    """Delete a checkpoint folder this component wrote (after a successful export)."""
    import tensorflow as tf

    if tf.io.gfile.isdir(location):
        tf.io.gfile.rmtree(location)
