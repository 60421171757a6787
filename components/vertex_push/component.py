"""KFP wrapper of the Vertex AI Model Registry push runtime."""
from typing import Dict, List

from kfp import dsl
from kfp.dsl import Artifact, Input, Model, Output

from components.image import COMPONENT_IMAGE
from components.vertex_push.artifacts import VertexEndpoint, VertexModel


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def vertex_push(
    model: Input[Model],
    blessing: Input[Artifact],
    infra_blessing: Input[Artifact],
    vertex_model: Output[VertexModel],
    vertex_endpoint: Output[VertexEndpoint],
    project: str,
    location: str,
    model_display_name: str,
    parent_model: str = "",
    version_aliases: List[str] = [],
    champion_alias: str = "champion",
    labels: Dict[str, str] = {},
    serving_container_image_uri: str = "",
    endpoint_display_name: str = "",
    traffic_percentage: int = 100,
    machine_type: str = "n1-standard-2",
    min_replica_count: int = 1,
    max_replica_count: int = 1,
    encryption_key: str = "",
    pushed_model: Input[Model] = None,
) -> str:
    """Register the model in the Vertex AI Model Registry; default version (and deployed) only if blessed.

    Every run adds a version to one parent model (parent_model, else the model named
    model_display_name, created by the first blessed upload). A blessed model becomes
    the default version and gets champion_alias; a model that is not blessed is
    added as a non-default version (or, with no parent yet, not registered at all).
    The serving container is Vertex AI's prebuilt TensorFlow 2.16 CPU image.

    Args:
      model: The SavedModel from train. It must be in Cloud Storage: on Vertex AI
        Pipelines (gs:// pipeline root) its URI is gs://..., and the /gcs/ mount
        path maps to gs://. A local path (kfp.local) is refused.
      blessing: The blessing from evaluate.
      infra_blessing: The infra blessing from infra_validate. The model counts as
        blessed (champion) only when both blessings are positive.
      vertex_model: Output. google.VertexModel; metadata resourceName is
        <model>@<version>, the URI its REST address; uploaded/is_default_version/
        aliases in metadata.
      vertex_endpoint: Output. google.VertexEndpoint when deployed (resourceName).
      project: Google Cloud project of the registry.
      location: Vertex AI region.
      model_display_name: Display name of the parent model.
      parent_model: Resource name or id of the parent; empty: found by display name.
      version_aliases: Aliases for the new version (never "default").
      champion_alias: Extra alias of a blessed version; empty for none.
      labels: Labels of the model version (and of a new endpoint).
      serving_container_image_uri: Replaces the prebuilt TF 2.16 CPU image.
      endpoint_display_name: Deploy a blessed model to this endpoint (created if
        missing); empty: no deployment.
      traffic_percentage: The new deployment's share of the endpoint's traffic;
        the rest stays split among the models already there, in proportion.
      machine_type: Machine type of the deployment.
      min_replica_count: Minimum replicas of the deployment.
      max_replica_count: Maximum replicas of the deployment.
      encryption_key: Cloud KMS key (CMEK) for the model and a new endpoint.
      pushed_model: Optional. The push task's pushed_model of the same run: a blessed
        model it published is registered from that version folder (which carries the
        evaluation record and the monitoring baseline in assets.extra/) instead of
        the train task's folder.

    Returns:
      The new version's resource name (<model>@<version>), or "" if nothing was uploaded.

    Raises:
      ConfigurationError: the model is not in Cloud Storage, an alias or the traffic
        share is invalid, or parent_model does not exist.
    """
    from components.common.blessing import push_decision
    from components.vertex_push.artifacts import VERTEX_API
    from components.vertex_push.runtime import model_to_register, push_to_vertex

    blessed, blocked_by = push_decision(blessing.path, infra_blessing.path)
    if blocked_by:
        print("Not the champion: " + "; ".join(blocked_by))
    registered = model_to_register(model.uri, blessed, dict(pushed_model.metadata) if pushed_model else None)
    result = push_to_vertex(
        registered, blessed, project=project, location=location, model_display_name=model_display_name,
        parent_model=parent_model, version_aliases=version_aliases, champion_alias=champion_alias, labels=labels,
        serving_container_image_uri=serving_container_image_uri, endpoint_display_name=endpoint_display_name,
        traffic_percentage=traffic_percentage, machine_type=machine_type, min_replica_count=min_replica_count,
        max_replica_count=max_replica_count, encryption_key=encryption_key,
    )
    vertex_model.metadata.update(result)
    if result["uploaded"]:
        vertex_model.metadata["resourceName"] = result["model_version"]
        vertex_model.uri = VERTEX_API.format(location=location, resource_name=result["model_version"])
    if result["endpoint"]:
        vertex_endpoint.metadata["resourceName"] = result["endpoint"]
        vertex_endpoint.uri = VERTEX_API.format(location=location, resource_name=result["endpoint"])
    return result["model_version"]
