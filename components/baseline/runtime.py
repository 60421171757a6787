"""Baseline: the model to beat, found without a KFP resolver.

The champion is the newest version pushed to the serving folder
(``<serving_model_dir>/<integer version>/`` holding a ``saved_model.pb``), which
is what TF Serving serves. Finding it is a listing of that folder, so it works the
same on the local runner, on open-source Kubeflow Pipelines and on Vertex AI, where
TFX's ResolverSpec / ``dsl.importer`` tricks do not all exist.

When there is no such version (the first run, or an empty folder), the baseline
artifact is a folder holding only ``NO_BASELINE``; ``evaluate`` then judges the
candidate on value thresholds alone.
"""
import logging
import os
from typing import Dict, Optional

from components.push.runtime import existing_versions

logger = logging.getLogger(__name__)

NO_BASELINE_FILE = "NO_BASELINE"
SAVED_MODEL_FILE = "saved_model.pb"


def _exists(path: str) -> bool:
    if "://" in path:
        import tensorflow as tf

        return tf.io.gfile.exists(path)
    return os.path.exists(path)


def latest_pushed_model(serving_model_dir: str) -> Optional[Dict[str, object]]:
    """The newest complete version under the serving folder, or None.

    Versions are integer folder names (``push`` writes them); a folder without a
    ``saved_model.pb`` (a half-copied or foreign folder) is skipped, never touched.

    Returns:
      ``{"version": int, "uri": "<serving_model_dir>/<version>"}`` or None.
    """
    if not serving_model_dir:
        return None
    for version in reversed(existing_versions(serving_model_dir)):
        uri = os.path.join(serving_model_dir, str(version))
        if _exists(os.path.join(uri, SAVED_MODEL_FILE)):
            return {"version": version, "uri": uri}
        logger.warning("Skipping %s: it holds no %s.", uri, SAVED_MODEL_FILE)
    return None


def write_no_baseline(artifact_path: str, serving_model_dir: str) -> None:
    """Mark an artifact folder as 'no baseline' (an empty NO_BASELINE file)."""
    os.makedirs(artifact_path, exist_ok=True)
    with open(os.path.join(artifact_path, NO_BASELINE_FILE), "w") as handle:
        handle.write(f"No model version with a {SAVED_MODEL_FILE} under {serving_model_dir or '(no folder given)'}.\n")


def has_baseline(model_path: str) -> bool:
    """Whether a baseline artifact folder holds a model (and not the NO_BASELINE marker)."""
    return bool(model_path) and _exists(os.path.join(model_path, SAVED_MODEL_FILE)) and not _exists(
        os.path.join(model_path, NO_BASELINE_FILE)
    )
