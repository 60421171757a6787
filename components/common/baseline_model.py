"""The baseline artifact ``baseline`` hands to ``evaluate``: the champion's SavedModel
folder, or a folder holding only ``NO_BASELINE`` (the first run, an empty serving
folder). Written by ``baseline``, read by ``evaluate``: one home for the contract.
"""
import logging
import os
from typing import Dict

from components.common import serving_folder, storage

logger = logging.getLogger(__name__)

NO_BASELINE_FILE = "NO_BASELINE"


def write_no_baseline(artifact_path: str, serving_model_dir: str) -> None:
    """Mark an artifact folder as 'no baseline' (a NO_BASELINE file saying why)."""
    os.makedirs(artifact_path, exist_ok=True)
    with open(os.path.join(artifact_path, NO_BASELINE_FILE), "w") as handle:
        handle.write(
            f"No complete model version ({serving_folder.PUBLISHED}) under {serving_model_dir or '(no folder given)'}.\n"
        )


def has_baseline(model_path: str) -> bool:
    """Whether a baseline artifact folder holds a model (and not the NO_BASELINE marker)."""
    return bool(model_path) and storage.exists(
        os.path.join(model_path, serving_folder.SAVED_MODEL_FILE)
    ) and not storage.exists(os.path.join(model_path, NO_BASELINE_FILE))


def resolve_baseline(artifact_path: str, metadata: Dict[str, object]) -> str:
    """Where the baseline model is read from, given the baseline artifact a task received.

    Normally the artifact itself is the model (``baseline`` points its URI at the
    version folder). A backend that does not honour a changed output URI hands on
    the artifact's own (empty) folder instead; then the ``uri`` its metadata
    records is used, so the comparison is never skipped silently. Returns ``""``
    when there is no baseline.
    """
    if has_baseline(artifact_path):
        return artifact_path
    uri = str(metadata.get("uri") or "")
    if metadata.get("found") and uri and has_baseline(uri):
        logger.info("The baseline artifact holds no model; reading it from its recorded uri %s.", uri)
        return uri
    return ""
