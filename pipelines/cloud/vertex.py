"""Vertex AI Pipelines: submit a compiled pipeline, or schedule it.

    from pipelines.cloud import vertex
    settings = vertex.VertexSettings(project="p", region="europe-west4",
                                     pipeline_root="gs://bucket/root",
                                     service_account="runner@p.iam.gserviceaccount.com")
    vertex.submit("training", {"data_path": "gs://b/data.csv", ...}, settings)
    vertex.schedule("training", {...}, settings, cron="0 3 * * 1", schedule_name="weekly")

Both return a dict with ``request`` (the JSON body sent, or with ``dry_run=True``
the body that would be sent) and, when sent, ``resource_name``. A dry run uses
anonymous credentials and sends nothing. The client is
``google-cloud-aiplatform`` over its REST transport (``api_endpoint`` replaces
the regional endpoint, e.g. for a test double). Each call sets aiplatform's
global configuration afresh from its ``VertexSettings`` (replacing earlier
``aiplatform.init`` settings), so no endpoint or key leaks from one call to the next.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from pipelines.cloud.templates import TemplateError, check_caching, check_parameters, pipeline_name, template_path

_NAME_CHARS = re.compile(r"[^-0-9a-z]+")


@dataclass
class VertexSettings:
    """Where and as whom runs execute on Vertex AI.

    Attributes:
      project: Google Cloud project id.
      region: Vertex AI region, e.g. ``us-central1``.
      pipeline_root: ``gs://`` folder for the runs' artifacts.
      service_account: The runs' service account (default: the Compute Engine default).
      network: VPC network to peer, ``projects/<number>/global/networks/<name>``.
      encryption_key: Cloud KMS key (CMEK) for the run and its resources,
        ``projects/p/locations/l/keyRings/r/cryptoKeys/k``.
      labels: Labels on the run (and on scheduled runs).
      enable_caching: False turns every task's caching off; None keeps the compiled setting
        (True is refused: ``templates.check_caching``).
      api_endpoint: Replaces ``<region>-aiplatform.googleapis.com`` (tests use a loopback fake).
      credentials: ``google.auth`` credentials; None means Application Default Credentials.
    """

    project: str
    region: str
    pipeline_root: str
    service_account: Optional[str] = None
    network: Optional[str] = None
    encryption_key: Optional[str] = None
    labels: Dict[str, str] = field(default_factory=dict)
    enable_caching: Optional[bool] = None
    api_endpoint: Optional[str] = None
    credentials: Optional[object] = None

    def check(self) -> None:
        check_caching(self.enable_caching)
        if not self.project or not self.region:
            raise TemplateError("Vertex AI needs --project and --region.")
        if not (self.pipeline_root or "").startswith("gs://"):
            raise TemplateError(
                f"Vertex AI needs a Cloud Storage pipeline root (--pipeline-root gs://BUCKET/PATH), got {self.pipeline_root!r}."
            )


def _aiplatform(settings: VertexSettings, dry_run: bool):
    """The SDK, configured for this call only (anonymous credentials for a dry run)."""
    from google.auth.credentials import AnonymousCredentials

    from components.common.vertex_client import configured_aiplatform

    credentials = AnonymousCredentials() if dry_run else settings.credentials
    return configured_aiplatform(settings.project, settings.region, credentials, settings.api_endpoint)


def display_name_for(template: str) -> str:
    """A run's default display name: the pipeline's name."""
    return _NAME_CHARS.sub("-", pipeline_name(template).lower()).strip("-")


def _pipeline_job(aiplatform, template: str, parameters: Mapping[str, object], settings: VertexSettings,
                  display_name: Optional[str], job_id: Optional[str]):
    job = aiplatform.PipelineJob(
        display_name=display_name or display_name_for(template),
        template_path=template,
        job_id=job_id,
        pipeline_root=settings.pipeline_root,
        parameter_values=dict(parameters),
        enable_caching=settings.enable_caching,
        encryption_spec_key_name=settings.encryption_key,
        labels=dict(settings.labels) or None,
        project=settings.project,
        location=settings.region,
    )
    if settings.service_account:
        job._gca_resource.service_account = settings.service_account
    if settings.network:
        job._gca_resource.network = settings.network
    return job


def _as_dict(message) -> dict:
    from google.protobuf import json_format

    return json_format.MessageToDict(type(message).pb(message))


def submit(pipeline: str, parameters: Mapping[str, object], settings: VertexSettings, *,
           display_name: Optional[str] = None, job_id: Optional[str] = None, dry_run: bool = False) -> dict:
    """Create one pipeline run on Vertex AI.

    Args:
      pipeline: A compiled YAML path, or a pipeline name (``compiled/<name>.yaml``).
      parameters: Pipeline parameters; unknown or missing required ones raise TemplateError.
      settings: Project, region, pipeline root, identity, network, key, labels, caching.
      display_name: The run's name in the console (default: the pipeline's name).
      job_id: The run's id (default: ``<name>-<timestamp>``).
      dry_run: Return the request without sending it.

    Returns:
      ``{"dry_run", "parent", "job_id", "request"}`` plus ``resource_name`` when sent.
    """
    settings.check()
    template = template_path(pipeline)
    check_parameters(template, parameters)
    aiplatform = _aiplatform(settings, dry_run)
    job = _pipeline_job(aiplatform, template, parameters, settings, display_name, job_id)
    result = {"dry_run": dry_run, "parent": job._parent, "job_id": job.job_id, "request": _as_dict(job._gca_resource)}
    if dry_run:
        return result
    job.submit(service_account=settings.service_account, network=settings.network)
    result["resource_name"] = job.resource_name
    return result


def schedule(pipeline: str, parameters: Mapping[str, object], settings: VertexSettings, *, cron: str,
             schedule_name: Optional[str] = None, max_concurrent_runs: int = 1, dry_run: bool = False) -> dict:
    """Create a Vertex AI schedule, or update the one with the same display name.

    The schedule's runs use ``parameters`` and ``settings`` as :func:`submit` would.
    If schedules named ``schedule_name`` exist, the newest is updated in place (cron,
    concurrency and the whole run request: template, parameters, identity, network,
    key, labels), so re-running this never makes a duplicate.

    Args:
      cron: Standard five-field cron, optionally prefixed ``TZ=Area/City``.
      schedule_name: The schedule's display name (default: ``<pipeline>-schedule``).
      max_concurrent_runs: Runs of this schedule allowed at once.
      dry_run: Return the schedule that would be sent, without listing or sending.

    Returns:
      ``{"dry_run", "action": "created" | "updated" | "create or update", "request"}``
      plus ``resource_name`` when sent.
    """
    settings.check()
    if len(cron.split()) < 5:
        raise TemplateError(f"--schedule expects a five-field cron expression such as '0 3 * * 1', got {cron!r}.")
    template = template_path(pipeline)
    check_parameters(template, parameters)
    aiplatform = _aiplatform(settings, dry_run)
    job = _pipeline_job(aiplatform, template, parameters, settings, None, None)
    name = schedule_name or f"{display_name_for(template)}-schedule"
    planned = aiplatform.PipelineJobSchedule(pipeline_job=job, display_name=name)
    planned._gca_resource.cron = cron
    planned._gca_resource.max_concurrent_run_count = max_concurrent_runs
    run_request = planned._gca_resource.create_pipeline_job_request.pipeline_job
    if settings.service_account:
        run_request.service_account = settings.service_account
    if settings.network:
        run_request.network = settings.network
    result = {"dry_run": dry_run, "action": "create or update", "schedule_name": name,
              "request": _as_dict(planned._gca_resource)}
    if dry_run:
        return result
    existing = aiplatform.PipelineJobSchedule.list(filter=f'display_name="{name}"', order_by="create_time desc")
    if existing:
        from google.protobuf import field_mask_pb2

        planned._gca_resource.name = existing[0].resource_name
        mask = field_mask_pb2.FieldMask(paths=["cron", "max_concurrent_run_count", "create_pipeline_job_request"])
        updated = planned.api_client.update_schedule(schedule=planned._gca_resource, update_mask=mask)
        result.update(action="updated", resource_name=updated.name)
        return result
    planned.create(cron=cron, max_concurrent_run_count=max_concurrent_runs,
                   service_account=settings.service_account, network=settings.network)
    result.update(action="created", resource_name=planned.resource_name)
    return result
