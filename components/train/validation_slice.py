"""The validation slice: rows carved from the train split to stop training early on.

Early stopping needs a loss on rows the weights were not fitted on. The eval split
cannot be it: evaluate blesses the model on that split, and choosing the stopping
epoch on it would make the blessing judge a model selected on its own test data.
So a slice of the train split is held out instead, and the model is fitted on the
rest.

Which rows: each transformed train record is hashed with a keyed hash
(``tf.strings.to_hash_bucket_strong``, keyed by the seed); the records with the
``k`` smallest hashes form the slice. The choice is deterministic for a given
transformed split and seed (file order and sharding do not matter), exact in size
(up to identical records, which share a hash and therefore always land on the same
side: a duplicated row is never both trained and validated on), and needs one
streaming pass that keeps at most ``MAX_ROWS`` hashes in memory. A re-run of the
transform may serialize records differently (TFT's feature order, last-bit float
noise), so a re-transformed split may give another slice.

How many (``plan``): ``fraction`` of the train rows, at least ``MIN_ROWS`` and at
most ``MAX_ROWS``; when that minimum would take more than ``MAX_FRACTION`` of the
train rows (a train split under ``MIN_ROWS / MAX_FRACTION`` = 128 rows), no slice
is carved and training runs every epoch without early stopping: a loss on fewer
than 32 rows is too noisy to pick an epoch by, and the rows are worth more for
fitting. The decision and its reason are returned, logged and recorded.
"""
import dataclasses
import logging

logger = logging.getLogger(__name__)

MIN_ROWS = 32
MAX_FRACTION = 0.25
MAX_ROWS = 50_000
DEFAULT_FRACTION = 0.15
_HASH_BUCKETS = 1 << 62
_KEY = 0x6B66702D7466  # "kfp-tf": the second half of the hash key (the first is the seed)
_BATCH = 8192


@dataclasses.dataclass(frozen=True)
class SlicePlan:
    """How many train rows to hold out, and why (``rows`` 0: none)."""

    train_rows: int
    rows: int
    reason: str


def plan(train_rows: int, fraction: float) -> SlicePlan:
    """The slice size for ``train_rows`` rows and the requested ``fraction`` (0: none).

    ``fraction`` must be in [0, 0.5] (checked by the caller)."""
    if fraction <= 0:
        return SlicePlan(train_rows, 0, "validation_fraction is 0: no validation slice, no early stopping")
    wanted = min(MAX_ROWS, max(MIN_ROWS, int(round(fraction * train_rows))))
    if wanted > MAX_FRACTION * train_rows:
        return SlicePlan(train_rows, 0, (
            f"the train split has {train_rows} rows: a validation slice of at least {MIN_ROWS} rows would take "
            f"more than {MAX_FRACTION:.0%} of them, so none is carved and every epoch runs (no early stopping)"))
    how = "the minimum" if wanted == MIN_ROWS else "the maximum" if wanted == MAX_ROWS else f"{fraction:.0%}"
    return SlicePlan(train_rows, wanted, (
        f"{wanted} of the {train_rows} train rows ({how}) held out for early stopping, chosen by a hash "
        "keyed by the seed; the model is fitted on the other rows"))


def record_hashes(serialized, seed: int):
    """The keyed hash (int64, ``[0, 2**62)``) of each serialized record in ``serialized``."""
    import tensorflow as tf

    return tf.strings.to_hash_bucket_strong(serialized, _HASH_BUCKETS, key=[int(seed) & 0x7FFFFFFFFFFFFFFF, _KEY])


def scan(files, seed: int):
    """One pass over the gzip TFRecord ``files``: ``(rows, hashes)``, ``hashes`` being the
    ``MAX_ROWS`` smallest record hashes, sorted (all of them for a smaller split)."""
    import numpy as np
    import tensorflow as tf

    smallest = np.zeros(0, dtype=np.int64)
    rows = 0
    dataset = tf.data.TFRecordDataset(list(files), compression_type="GZIP").batch(_BATCH)
    for batch in dataset.map(lambda records: record_hashes(records, seed)).as_numpy_iterator():
        rows += len(batch)
        merged = np.concatenate([smallest, batch])
        smallest = np.partition(merged, MAX_ROWS - 1)[:MAX_ROWS] if len(merged) > MAX_ROWS else merged
    return rows, np.sort(smallest)


def threshold(hashes, rows_wanted: int):
    """``(threshold, slice_rows)``: the largest hash held out, so that the records hashing at
    or below it are about ``rows_wanted`` (exactly, unless identical records share the
    boundary hash); ``(-1, 0)`` when nothing is held out."""
    import numpy as np

    if rows_wanted <= 0 or not len(hashes):
        return -1, 0
    value = int(hashes[min(rows_wanted, len(hashes)) - 1])
    return value, int(np.searchsorted(hashes, value, side="right"))


def in_slice(serialized, seed: int, threshold: int):
    """Whether each serialized record belongs to the slice (a bool tensor)."""
    import tensorflow as tf

    return tf.less_equal(record_hashes(serialized, seed), tf.constant(threshold, tf.int64))
