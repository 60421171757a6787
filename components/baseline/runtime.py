"""Baseline: the model to beat, found without a KFP resolver.

The champion is the newest complete version pushed to the serving folder
(``<serving_model_dir>/<integer version>/`` holding the ``_PUBLISHED`` marker,
``components.common.serving_folder``), which is what TF Serving serves. Finding it
is a listing of that folder, so it works the same on the local runner, on
open-source Kubeflow Pipelines and on Vertex AI, where TFX's ResolverSpec /
``dsl.importer`` tricks do not all exist.

On Vertex AI the champion can instead be the default version of a Model Registry
parent model (``vertex_default_version``), read through the real
google-cloud-aiplatform client.

When there is no such version (the first run, or an empty folder), the baseline
artifact is a folder holding only ``NO_BASELINE``; ``evaluate`` then judges the
candidate on value thresholds alone.
"""
import logging
import os
import re
from typing import Dict, Optional

from components.common import serving_folder, storage

logger = logging.getLogger(__name__)

NO_BASELINE_FILE = "NO_BASELINE"
SAVED_MODEL_FILE = serving_folder.SAVED_MODEL_FILE


def latest_pushed_model(serving_model_dir: str) -> Optional[Dict[str, object]]:
    """The newest complete version under the serving folder, or None.

    Versions are integer folder names; one without the ``_PUBLISHED`` marker (a
    push still running or killed half-way, or a foreign folder) is skipped, never
    touched. Listing errors (permission, network) propagate.

    Returns:
      ``{"version": int, "uri": "<serving_model_dir>/<version>"}`` or None.
    """
    found = serving_folder.newest_published(serving_model_dir)
    return None if found is None else {"version": found[0], "uri": found[1]}


def write_no_baseline(artifact_path: str, serving_model_dir: str) -> None:
    """Mark an artifact folder as 'no baseline' (an empty NO_BASELINE file)."""
    os.makedirs(artifact_path, exist_ok=True)
    with open(os.path.join(artifact_path, NO_BASELINE_FILE), "w") as handle:
        handle.write(
            f"No complete model version ({serving_folder.PUBLISHED}) under {serving_model_dir or '(no folder given)'}.\n"
        )


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


def has_baseline(model_path: str) -> bool:
    """Whether a baseline artifact folder holds a model (and not the NO_BASELINE marker)."""
    return bool(model_path) and storage.exists(os.path.join(model_path, SAVED_MODEL_FILE)) and not storage.exists(
        os.path.join(model_path, NO_BASELINE_FILE)
    )


def vertex_default_version(
    parent_model: str, project: str, location: str, api_endpoint: Optional[str] = None, credentials=None
) -> Optional[Dict[str, object]]:
    """The default version of a Vertex AI Model Registry model, or None if the model does not exist.

    Args:
      parent_model: the parent model's resource name or id (what ``vertex_push``
        adds versions to; its default version is the last blessed one).
      project, location: where the registry is (taken from a full resource name
        when empty).
      api_endpoint, credentials: for tests against a loopback fake; None in the cloud.

    Returns:
      ``{"version": version id, "uri": the version's artifactUri (gs://...),
      "resource_name": "<model>@<version>"}`` or None.

    Raises:
      ConfigurationError: the default version has no artifact URI (not a SavedModel upload).
    """
    from google.api_core import exceptions

    from components.common.errors import ConfigurationError
    from components.common.vertex_client import configured_aiplatform

    named = re.match(r"projects/([^/]+)/locations/([^/]+)/models/", parent_model)
    if named:  # a full resource name says where the registry is
        project, location = project or named.group(1), location or named.group(2)
    aiplatform = configured_aiplatform(project, location, credentials, api_endpoint)
    try:
        model = aiplatform.Model(parent_model)
    except exceptions.NotFound:
        logger.info("Vertex AI model %s does not exist yet: no baseline.", parent_model)
        return None
    uri = model.uri
    if not uri:
        raise ConfigurationError(
            f"The default version of {model.resource_name} has no artifact URI: it cannot serve as the baseline."
        )
    return {"version": model.version_id, "uri": uri, "resource_name": f"{model.resource_name}@{model.version_id}"}
