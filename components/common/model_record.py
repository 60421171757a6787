"""What a pushed model scored when it was blessed, kept inside its version folder.

``evaluate`` puts the record in its blessing; ``push`` writes it into the version
it publishes, before the version becomes visible; the next run's ``evaluate``
reads it from the champion to see whether the champion collapsed on the new data
(``components.evaluate.judge``). The file is
``<version>/assets.extra/evaluation_record.json``: ``assets.extra`` is where TF
Serving tolerates extra files (it holds warm-up requests), so serving is unaffected.

A record is ``{"task", "metrics": {name: value}, "intervals": {name: [low, high]},
"example_count", "blessed_at"}``.
"""
import json
import os
import time
from typing import Dict, Optional

RECORD_DIR = "assets.extra"
RECORD_FILE = "evaluation_record.json"


def make_record(task: str, metrics: Dict[str, float], intervals: Dict[str, list]) -> Dict[str, object]:
    """A record of an evaluation, stamped with the time it was made."""
    return {
        "task": task,
        "metrics": dict(metrics),
        "intervals": {k: list(v) for k, v in intervals.items()},
        "example_count": metrics.get("example_count"),
        "blessed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def record_path(model_dir: str) -> str:
    return os.path.join(model_dir, RECORD_DIR, RECORD_FILE)


def write_record(model_dir: str, record: Dict[str, object]) -> None:
    """Write the record into a (staged, not yet published) model folder, local or remote."""
    import tensorflow as tf

    tf.io.gfile.makedirs(os.path.join(model_dir, RECORD_DIR))
    with tf.io.gfile.GFile(record_path(model_dir), "w") as handle:
        handle.write(json.dumps(record, indent=2))


def read_record(model_dir: str) -> Optional[Dict[str, object]]:
    """The record of a pushed model, or None when it has none (pushed before records existed)."""
    import tensorflow as tf

    path = record_path(model_dir)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)
