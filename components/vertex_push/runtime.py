"""Push to the Vertex AI Model Registry: a new version of a parent model, default only when blessed.

Champion/challenger: every evaluated model is registered as a new version of one
parent model (found by resource name or display name, created by the first
upload); a blessed model also becomes the parent's default version and gets the
champion alias, a not-blessed one stays a non-default version beside it. The
serving container is Vertex AI's prebuilt TensorFlow 2.16 CPU image (the pinned
TensorFlow). Optionally a blessed model is deployed to an endpoint (created if
missing) with its share of the traffic.

Vertex AI imports models from Cloud Storage only: the model URI must be
``gs://...``, or the ``/gcs/<bucket>/...`` path under which Vertex AI Pipelines
mounts Cloud Storage (read as ``gs://<bucket>/...``). A local path is refused
with a ConfigurationError, and nothing is uploaded.
"""
import logging
import os
import re
from typing import Dict, Optional, Sequence

from components.common.errors import ConfigurationError
from components.common.vertex_client import configured_aiplatform

logger = logging.getLogger(__name__)

SERVING_IMAGE = "{prefix}-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"
_ALIAS = re.compile(r"^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$")


def serving_image(location: str) -> str:
    """Vertex AI's prebuilt TF 2.16 CPU serving image from the registry nearest ``location``."""
    prefix = "europe" if location.startswith("europe") else "asia" if location.startswith(("asia", "australia")) else "us"
    return SERVING_IMAGE.format(prefix=prefix)


def gcs_artifact_uri(uri: str) -> str:
    """``gs://`` URI of a model folder; ``/gcs/b/p`` (Vertex AI's Cloud Storage mount) is ``gs://b/p``."""
    if uri.startswith("gs://"):
        return uri.rstrip("/")
    if uri.startswith("/gcs/"):
        return "gs://" + uri[len("/gcs/"):].rstrip("/")
    raise ConfigurationError(
        f"The model is at {uri!r}, which Vertex AI cannot import: the Model Registry reads models from "
        "Cloud Storage only. Run the pipeline on Vertex AI Pipelines with a gs:// pipeline root (the model "
        "artifact is then gs://... or /gcs/...), or upload a SavedModel copied to gs:// yourself."
    )


def check_aliases(aliases: Sequence[str]) -> list:
    for alias in aliases:
        if alias == "default":
            raise ConfigurationError("Do not pass the alias 'default': it is given to blessed models only.")
        if not _ALIAS.match(alias):
            raise ConfigurationError(
                f"Version alias {alias!r} is not valid: lower-case letter first, then letters, digits or '-', "
                "ending with a lower-case letter or digit (e.g. 'champion', 'v2-candidate')."
            )
    return list(dict.fromkeys(aliases))


def find_parent_model(aiplatform, parent_model: str, display_name: str) -> Optional[str]:
    """The parent's resource name: ``parent_model`` if given (it must exist), else the oldest
    model named ``display_name``, else None (the upload will create it)."""
    from google.api_core import exceptions

    if parent_model:
        try:
            return aiplatform.Model(parent_model).resource_name
        except exceptions.NotFound:
            raise ConfigurationError(
                f"parent_model {parent_model!r} does not exist in the project and region; leave it empty to find "
                "or create the parent by model_display_name."
            ) from None
    models = aiplatform.Model.list(filter=f'display_name="{display_name}"', order_by="create_time")
    if len(models) > 1:
        logger.warning("%d models are named %r; adding the version to the oldest, %s", len(models), display_name,
                       models[0].resource_name)
    return models[0].resource_name if models else None


def find_or_create_endpoint(aiplatform, display_name: str, labels: Dict[str, str], encryption_key: str):
    endpoints = aiplatform.Endpoint.list(filter=f'display_name="{display_name}"', order_by="create_time")
    if endpoints:
        return endpoints[0]
    return aiplatform.Endpoint.create(display_name=display_name, labels=labels or None,
                                      encryption_spec_key_name=encryption_key or None)


def model_to_register(train_model_uri: str, blessed: bool, pushed: Optional[Dict[str, object]] = None) -> str:
    """The folder a new Model Registry version is imported from.

    ``pushed`` is the push task's ``pushed_model`` metadata of the same run (None when
    the component runs alone). A blessed model that push published into the serving
    folder is registered from that version folder: it holds the SavedModel and
    ``assets.extra/`` (the evaluation record, and the schema and training statistics
    ``monitor`` checks traffic against), so a Vertex model's artifact URI carries its
    monitoring baseline. Otherwise (not blessed, or no push) the train task's SavedModel.
    """
    if blessed and pushed and pushed.get("pushed") and pushed.get("pushed_destination"):
        return str(pushed["pushed_destination"])
    return train_model_uri


def push_to_vertex(
    model_uri: str,
    blessed: bool,
    *,
    project: str,
    location: str,
    model_display_name: str,
    parent_model: str = "",
    version_aliases: Sequence[str] = (),
    champion_alias: str = "champion",
    labels: Optional[Dict[str, str]] = None,
    version_description: str = "",
    serving_container_image_uri: str = "",
    endpoint_display_name: str = "",
    traffic_percentage: int = 100,
    machine_type: str = "n1-standard-2",
    min_replica_count: int = 1,
    max_replica_count: int = 1,
    encryption_key: str = "",
    api_endpoint: Optional[str] = None,
    credentials=None,
) -> Dict[str, object]:
    """Register the SavedModel at ``model_uri`` as a new version; default (and deployed) only if blessed.

    A model that is not blessed is registered only beside an existing parent (the
    first version of a model is always its default, so a model that failed its
    thresholds never starts one).

    Returns:
      ``{"uploaded", "reason", "blessed", "is_default_version", "model" (parent resource
      name), "model_version_id", "model_version" (``<model>@<version>``), "aliases",
      "serving_image", "artifact_uri", "endpoint", "deployed_model_id"}``.

    Raises:
      ConfigurationError: the model is not in Cloud Storage or holds no SavedModel, an
        alias is invalid, traffic_percentage is outside 0..100, or parent_model does
        not exist.
    """
    artifact_uri = gcs_artifact_uri(model_uri)
    if model_uri.startswith("/gcs/") and os.path.isdir(model_uri) and not os.path.exists(os.path.join(model_uri, "saved_model.pb")):
        raise ConfigurationError(f"{model_uri} holds no saved_model.pb; the train step did not export a model.")
    if not model_display_name:
        raise ConfigurationError("model_display_name is empty: name the parent model versions are added to.")
    aliases = check_aliases(version_aliases)
    if blessed and champion_alias:
        aliases = check_aliases(aliases + [champion_alias])
    if not 0 <= traffic_percentage <= 100:
        raise ConfigurationError(f"traffic_percentage must be 0..100, got {traffic_percentage}.")
    image = serving_container_image_uri or serving_image(location)
    result: Dict[str, object] = {
        "uploaded": False, "blessed": blessed, "is_default_version": False, "model": "", "model_version_id": "",
        "model_version": "", "aliases": aliases, "serving_image": image, "artifact_uri": artifact_uri,
        "endpoint": "", "deployed_model_id": "",
    }
    aiplatform = configured_aiplatform(project, location, credentials, api_endpoint)
    parent = find_parent_model(aiplatform, parent_model, model_display_name)
    if parent is None and not blessed:
        result["reason"] = ("not blessed, and no parent model exists yet: the first version of a model is its default, "
                            "so a model that failed its thresholds is not registered")
        logger.info("Nothing uploaded: %s.", result["reason"])
        return result
    model = aiplatform.Model.upload(
        display_name=model_display_name,
        parent_model=parent,
        is_default_version=blessed,
        version_aliases=list(aliases) or None,
        version_description=version_description or None,
        labels=dict(labels or {}) or None,
        artifact_uri=artifact_uri,
        serving_container_image_uri=image,
        encryption_spec_key_name=encryption_key or None,
    )
    result.update(
        uploaded=True,
        reason="blessed: new default version" if blessed else "not blessed: new version, default unchanged",
        is_default_version=blessed or parent is None,
        model=model.resource_name,
        model_version_id=model.version_id,
        model_version=f"{model.resource_name}@{model.version_id}",
        aliases=list(model.version_aliases),
    )
    if blessed and endpoint_display_name:
        endpoint = find_or_create_endpoint(aiplatform, endpoint_display_name, dict(labels or {}), encryption_key)
        model.deploy(
            endpoint=endpoint,
            deployed_model_display_name=f"{model_display_name}-v{model.version_id}",
            traffic_percentage=traffic_percentage,
            machine_type=machine_type,
            min_replica_count=min_replica_count,
            max_replica_count=max_replica_count,
        )
        deployed = [d for d in endpoint.list_models() if d.model == model.resource_name and d.model_version_id == model.version_id]
        result.update(endpoint=endpoint.resource_name, deployed_model_id=deployed[-1].id if deployed else "")
    logger.info("Registered %s (%s).", result["model_version"], result["reason"])
    return result
