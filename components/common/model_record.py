"""What a pushed model scored when it was blessed, kept inside its version folder.

``evaluate`` puts the record in its blessing; ``push`` writes it into the version
it publishes, before the version becomes visible; the next run's ``evaluate``
reads it from the champion to see whether the champion collapsed on the new data
(``components.evaluate.judge``). The file is
``<version>/assets.extra/evaluation_record.json``: ``assets.extra`` is where TF
Serving tolerates extra files (it holds warm-up requests), so serving is unaffected.

A record is ``{"task", "metrics": {name: value}, "intervals": {name: [low, high]},
"example_count", "blessed_at", "predictions"}``; ``predictions`` is the distribution of
the model's predictions on the eval split when it was blessed (``prediction_distribution``),
the baseline ``monitor`` compares served predictions with.

Beside the record, ``push`` stores the model's **monitoring baseline** in the same
folder: ``training_statistics.pb`` (the train split's ``FeatureStats.pb``, what
serving traffic is compared with for skew) and ``schema.pbtxt`` (the schema the
model was trained on, with its SERVING environment). So a model found from the
serving folder, or from a Vertex model's artifact URI, carries its own baseline.
"""
import json
import time
from typing import Dict, Optional, Sequence

from components.common import storage

RECORD_DIR = "assets.extra"
RECORD_FILE = "evaluation_record.json"
# Relative to the version folder.
RECORD_PATH = f"{RECORD_DIR}/{RECORD_FILE}"
TRAINING_STATISTICS_PATH = f"{RECORD_DIR}/training_statistics.pb"
SCHEMA_PATH = f"{RECORD_DIR}/schema.pbtxt"
# Regression predictions are summarised by this many equal-share bins of the eval split.
PREDICTION_BINS = 10


def make_record(task: str, metrics: Dict[str, float], intervals: Dict[str, list],
                predictions: Optional[Dict[str, object]] = None) -> Dict[str, object]:
    """A record of an evaluation, stamped with the time it was made; ``predictions``
    is ``prediction_distribution`` of the eval split (None: not recorded)."""
    return {
        "task": task,
        "metrics": dict(metrics),
        "intervals": {k: list(v) for k, v in intervals.items()},
        "example_count": metrics.get("example_count"),
        "blessed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "predictions": predictions,
    }


def prediction_distribution(classes: Optional[Sequence[str]] = None, class_ids: Optional[Sequence[int]] = None,
                            values: Optional[Sequence[float]] = None) -> Dict[str, object]:
    """What a model predicted on a set of examples, in a form served predictions can be
    compared with.

    Classification (``classes``, the class names in the model's order, and the
    predicted ``class_ids``): ``{"kind": "classification", "count", "counts": {class: n}}``.
    Regression (``values``): ``{"kind": "regression", "count", "edges": [...]}``, the
    inner edges of ``PREDICTION_BINS`` bins holding equal shares of the values.
    """
    import numpy as np

    if classes is not None:
        ids = np.asarray(class_ids, dtype=np.int64).reshape(-1)
        counts = np.bincount(ids, minlength=len(classes)) if ids.size else np.zeros(len(classes), dtype=np.int64)
        return {"kind": "classification", "count": int(ids.size),
                "counts": {str(name): int(n) for name, n in zip(classes, counts)}}
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    quantiles = np.linspace(0, 1, PREDICTION_BINS + 1)[1:-1]
    edges = np.quantile(array, quantiles).tolist() if array.size else []
    return {"kind": "regression", "count": int(array.size), "edges": [float(e) for e in edges]}


def record_path(model_dir: str) -> str:
    return f"{model_dir.rstrip('/')}/{RECORD_DIR}/{RECORD_FILE}"


def record_bytes(record: Dict[str, object]) -> bytes:
    """The file's content, for ``serving_folder.publish(..., extra_files=...)``."""
    return json.dumps(record, indent=2).encode("utf-8")


def read_record(model_dir: str) -> Optional[Dict[str, object]]:
    """The record of a pushed model (local or gs://), or None when it has none
    (pushed before records existed, or by another tool)."""
    path = record_path(model_dir)
    if not storage.exists(path):
        return None
    return json.loads(storage.read_bytes(path).decode("utf-8"))


def baseline_files(statistics_file: str, schema_file: str) -> Dict[str, bytes]:
    """The monitoring baseline as ``serving_folder.publish(..., extra_files=...)`` takes
    it: the train split's statistics and the schema, read from their artifacts."""
    return {
        TRAINING_STATISTICS_PATH: storage.read_bytes(statistics_file),
        SCHEMA_PATH: storage.read_bytes(schema_file),
    }


def baseline_paths(model_dir: str) -> Dict[str, str]:
    """Where a pushed model's monitoring baseline files are (they may not exist)."""
    base = model_dir.rstrip("/")
    return {"training_statistics": f"{base}/{TRAINING_STATISTICS_PATH}", "schema": f"{base}/{SCHEMA_PATH}"}
