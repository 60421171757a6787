"""vertex-training: the training pipeline, then the model registered in the Vertex AI Model Registry.

The training DAG is not copied: ``training``'s own function lays its tasks out in
this pipeline (calling a ``@dsl.pipeline``'s ``pipeline_func`` inside another
pipeline adds its tasks inline), then ``vertex_push`` takes the train task's
model, the evaluate and infra-validate tasks' blessings and the push task's
version (a blessed model is registered from it: it carries the monitoring
baseline). A nested sub-pipeline would hide those outputs unless ``training`` returned them, and it stays unchanged for the
local runner. The parameters are ``training``'s, followed by the Model Registry
ones (``VERTEX_PARAMETERS``), so a parameter added to ``training`` appears here
too.

Runs on Vertex AI Pipelines only (Vertex AI imports the model from the gs://
pipeline root); locally, use ``training``.
"""
import inspect
from typing import Dict, List

from kfp import dsl
from kfp.dsl import pipeline_context

from components.catalog import vertex_push
from pipelines.training import training


def _registry_parameters(
    project: str,
    location: str,
    model_display_name: str,
    parent_model: str = "",
    version_aliases: List[str] = [],
    champion_alias: str = "champion",
    model_labels: Dict[str, str] = {},
    endpoint_display_name: str = "",
    traffic_percentage: int = 100,
    machine_type: str = "n1-standard-2",
    encryption_key: str = "",
):
    """The Model Registry parameters of vertex-training (a signature, never called).

    Args:
      project: Google Cloud project of the Model Registry.
      location: Vertex AI region of the Model Registry.
      model_display_name: Parent model the new version is added to (created by the
        first blessed run).
      parent_model: Resource name or id of the parent model; empty: found by
        model_display_name.
      version_aliases: Aliases of the new version (never "default").
      champion_alias: Alias given to a blessed version; empty for none.
      model_labels: Labels of the model version.
      endpoint_display_name: Deploy a blessed model to this endpoint (created if
        missing); empty: no deployment.
      traffic_percentage: The new deployment's share of the endpoint's traffic.
      machine_type: Machine type of the deployment.
      encryption_key: Cloud KMS key (CMEK) for the model and a new endpoint.
    """


TRAINING_PARAMETERS = list(inspect.signature(training.pipeline_func).parameters.values())
VERTEX_PARAMETERS = list(inspect.signature(_registry_parameters).parameters.values())


def _merged_signature() -> inspect.Signature:
    """training's parameters then the registry's, required ones first (Python's rule)."""
    everything = TRAINING_PARAMETERS + VERTEX_PARAMETERS
    required = [p for p in everything if p.default is inspect.Parameter.empty]
    optional = [p for p in everything if p.default is not inspect.Parameter.empty]
    return inspect.Signature(required + optional)


def _args_section(function) -> str:
    doc = inspect.getdoc(function)
    return doc[doc.index("Args:") + len("Args:"):].rstrip("\n")


def _vertex_training(*arguments):
    values = dict(zip(_vertex_training.__signature__.parameters, arguments))
    training.pipeline_func(**{p.name: values[p.name] for p in TRAINING_PARAMETERS})
    tasks = pipeline_context.Pipeline.get_default_pipeline().tasks
    vertex_push(
        model=tasks["train"].outputs["model"],
        blessing=tasks["evaluate"].outputs["blessing"],
        infra_blessing=tasks["infra-validate"].outputs["infra_blessing"],
        project=values["project"],
        location=values["location"],
        model_display_name=values["model_display_name"],
        parent_model=values["parent_model"],
        version_aliases=values["version_aliases"],
        champion_alias=values["champion_alias"],
        labels=values["model_labels"],
        endpoint_display_name=values["endpoint_display_name"],
        traffic_percentage=values["traffic_percentage"],
        machine_type=values["machine_type"],
        encryption_key=values["encryption_key"],
        pushed_model=tasks["push"].outputs["pushed_model"],
    ).set_caching_options(False)  # never cached: it changes the Model Registry


_vertex_training.__signature__ = _merged_signature()
_vertex_training.__name__ = "vertex_training"
_vertex_training.__doc__ = (
    "Train, evaluate and push as the training pipeline does, then register the model in the Vertex AI "
    "Model Registry (default version only if blessed).\n\nArgs:"
    + _args_section(training.pipeline_func)
    + _args_section(_registry_parameters)
)

vertex_training = dsl.pipeline(
    name="vertex-training",
    description="The training pipeline followed by a push to the Vertex AI Model Registry (champion = default version).",
)(_vertex_training)
