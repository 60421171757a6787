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
import re
from typing import Dict, Optional

from components.common import serving_folder

logger = logging.getLogger(__name__)

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
