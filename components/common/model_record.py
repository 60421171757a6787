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
import time
from typing import Dict, Optional

from components.common import storage

RECORD_DIR = "assets.extra"
RECORD_FILE = "evaluation_record.json"
# Relative to the version folder.
RECORD_PATH = f"{RECORD_DIR}/{RECORD_FILE}"


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
