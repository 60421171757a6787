"""Closing the loop: start the training pipeline when monitoring found a breach.

The run is submitted through the same client code as ``kfp-tf submit``
(``pipelines.cloud.vertex.submit`` / ``pipelines.cloud.kubeflow.submit``) with the
packaged template of the pipeline named (``training`` by default), so what a breach
starts is exactly what a person would submit. This is the one place a component's
runtime calls the cloud layer; it is imported only when a retrain target is set.

``settings`` holds where the run goes:

- Vertex AI (``target="vertex"``): ``project``, ``region``, ``pipeline_root``
  (``gs://``), optional ``service_account``, ``network``, ``encryption_key``,
  ``api_endpoint``;
- Kubeflow Pipelines (``target="kubeflow"``): ``host``, optional ``experiment``,
  ``pipeline_root``, ``service_account``, ``namespace``.

A dry run builds the request without sending it (what ``kfp-tf run monitoring``
does locally by default).
"""
from typing import Dict, Mapping

from components.common.errors import ConfigurationError

TARGETS = ("vertex", "kubeflow")
_VERTEX_KEYS = {"project", "region", "pipeline_root", "service_account", "network", "encryption_key", "api_endpoint"}
_KUBEFLOW_KEYS = {"host", "experiment", "pipeline_root", "service_account", "namespace"}


def start_retraining(target: str, pipeline: str, parameters: Mapping[str, object], settings: Mapping[str, object],
                     dry_run: bool = False, run_name: str = "") -> Dict[str, object]:
    """Submit ``pipeline`` with ``parameters`` to ``target``; returns what the submit
    call returns (the request, and the run's name or id when sent) with ``target``.

    Raises:
      ConfigurationError: an unknown target or setting, a missing setting, or
        parameters the template does not take (the cloud layer's TemplateError).
    """
    from pipelines.cloud.templates import TemplateError

    if target not in TARGETS:
        raise ConfigurationError(f"retrain_target must be one of {', '.join(TARGETS)} (or empty: no retraining), got {target!r}.")
    allowed = _VERTEX_KEYS if target == "vertex" else _KUBEFLOW_KEYS
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise ConfigurationError(f"retrain_settings for {target}: unknown {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}.")
    try:
        if target == "vertex":
            from pipelines.cloud import vertex
            from pipelines.cloud.commands import loopback_credentials

            vertex_settings = vertex.VertexSettings(
                project=str(settings.get("project", "")), region=str(settings.get("region", "")),
                pipeline_root=str(settings.get("pipeline_root", "")),
                service_account=settings.get("service_account") or None, network=settings.get("network") or None,
                encryption_key=settings.get("encryption_key") or None, api_endpoint=settings.get("api_endpoint") or None,
                credentials=loopback_credentials(settings.get("api_endpoint")),
            )
            result = vertex.submit(pipeline, dict(parameters), vertex_settings, display_name=run_name or None, dry_run=dry_run)
        else:
            from pipelines.cloud import kubeflow

            if not settings.get("host"):
                raise ConfigurationError("retrain_settings for kubeflow need host: the Kubeflow Pipelines API address.")
            result = kubeflow.submit(
                pipeline, dict(parameters), host=str(settings["host"]), experiment=str(settings.get("experiment") or "Default"),
                run_name=run_name or None, pipeline_root=settings.get("pipeline_root") or None,
                service_account=settings.get("service_account") or None, namespace=settings.get("namespace") or None,
                dry_run=dry_run,
            )
    except TemplateError as error:
        raise ConfigurationError(f"Retraining could not be submitted: {error}") from None
    return dict(result, target=target, pipeline=pipeline)
