"""Kubeflow Pipelines: submit a run or a recurring run, upload a template.

    from pipelines.cloud import kubeflow
    kubeflow.submit("training", {"data_path": "gs://b/d.csv", ...},
                    host="https://kfp.example.com", experiment="penguins",
                    run_name="nightly", recurring="0 3 * * *")

Uses ``kfp.Client`` (the KFP v2beta1 REST API). Every call returns a dict with
``request``: the run or recurring run body (with ``dry_run=True``, built here
from the template without contacting the host).
"""
import copy
import datetime
import json
from typing import Mapping, Optional

from pipelines.cloud.templates import (
    TemplateError, check_caching, check_parameters, load_template, pipeline_name, template_path,
)


def kfp_cron(cron: str) -> str:
    """KFP's scheduler takes six fields (seconds first); a five-field cron gets ``0`` seconds."""
    fields = cron.split()
    if len(fields) == 5:
        return "0 " + " ".join(fields)
    if len(fields) == 6:
        return " ".join(fields)
    raise TemplateError(f"--recurring expects a cron expression of five fields (or six, seconds first), got {cron!r}.")


def _pipeline_spec(template: str, enable_caching: Optional[bool]) -> dict:
    """The spec the client sends: the template, with every task's caching turned off if asked."""
    check_caching(enable_caching)
    spec = copy.deepcopy(load_template(template))
    if enable_caching is not None:
        for task in spec["root"].get("dag", {}).get("tasks", {}).values():
            options = task.setdefault("cachingOptions", {})
            options["enableCache"] = True
            if not enable_caching:  # proto JSON leaves false out, as the client's request does
                del options["enableCache"]
    return spec


def _client(host: str, namespace: Optional[str], existing_token: Optional[str]):
    import kfp

    return kfp.Client(host=host, namespace=namespace or "kubeflow", existing_token=existing_token)


def submit(pipeline: str, parameters: Mapping[str, object], *, host: str, experiment: str = "Default",
           run_name: Optional[str] = None, recurring: Optional[str] = None, pipeline_root: Optional[str] = None,
           enable_caching: Optional[bool] = None, service_account: Optional[str] = None,
           namespace: Optional[str] = None, existing_token: Optional[str] = None, max_concurrency: int = 1,
           dry_run: bool = False) -> dict:
    """Create a run, or with ``recurring`` a recurring run, on Kubeflow Pipelines.

    A recurring run replaces the one of the same name in the experiment (KFP has no
    update call: the old one is deleted, then the new one created), so re-running
    this never leaves two schedules.

    Args:
      pipeline: A compiled YAML path, or a pipeline name (``compiled/<name>.yaml``).
      parameters: Pipeline parameters; unknown or missing required ones raise TemplateError.
      host: The KFP API address, e.g. ``https://<host>/pipeline`` or ``http://localhost:8080``.
      experiment: Experiment name (created if missing).
      run_name: The run's (or recurring run's) name; default ``<pipeline> <time>``
        for runs and ``<pipeline>-recurring`` for recurring runs.
      recurring: Cron expression; five fields (seconds are added) or six.
      pipeline_root: Where artifacts go (default: the deployment's).
      enable_caching: False turns every task's caching off; None keeps the compiled setting
        (True is refused: ``templates.check_caching``).
      service_account: Kubernetes service account of the run's pods.
      namespace: The user namespace of a multi-user deployment.
      existing_token: A bearer token for the API, when the deployment needs one.
      max_concurrency: Concurrent runs of a recurring run.
      dry_run: Return the request body without contacting the host.

    Returns:
      ``{"dry_run", "kind": "run" | "recurring_run", "experiment", "request"}`` plus
      ``experiment_id`` and ``id`` when sent (and ``replaced`` ids for a recurring run).
    """
    template = template_path(pipeline)
    check_parameters(template, parameters)
    name = pipeline_name(template)
    runtime_config = {"parameters": dict(parameters)}
    if pipeline_root:
        runtime_config["pipeline_root"] = pipeline_root
    request = {
        "display_name": run_name or (f"{name}-recurring" if recurring else f"{name} {datetime.datetime.now():%Y-%m-%d %H-%M-%S}"),
        "pipeline_spec": _pipeline_spec(template, enable_caching),
        "runtime_config": runtime_config,
    }
    if service_account:
        request["service_account"] = service_account
    if recurring:
        request.update(trigger={"cron_schedule": {"cron": kfp_cron(recurring)}}, max_concurrency=str(max_concurrency),
                       mode="ENABLE")
    result = {"dry_run": dry_run, "kind": "recurring_run" if recurring else "run", "experiment": experiment,
              "request": request}
    if dry_run:
        return result
    client = _client(host, namespace, existing_token)
    experiment_id = client.create_experiment(name=experiment, namespace=namespace).experiment_id
    result["experiment_id"] = experiment_id
    if not recurring:
        run = client.run_pipeline(
            experiment_id=experiment_id, job_name=request["display_name"], pipeline_package_path=template,
            params=dict(parameters), pipeline_root=pipeline_root, enable_caching=enable_caching,
            service_account=service_account,
        )
        result["id"] = run.run_id
        return result
    same_name = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": request["display_name"]}]})
    existing = client.list_recurring_runs(experiment_id=experiment_id, filter=same_name, page_size=100).recurring_runs or []
    result["replaced"] = []
    for old in existing:
        client.delete_recurring_run(old.recurring_run_id)
        result["replaced"].append(old.recurring_run_id)
    created = client.create_recurring_run(
        experiment_id=experiment_id, job_name=request["display_name"], cron_expression=kfp_cron(recurring),
        params=dict(parameters), pipeline_package_path=template, pipeline_root=pipeline_root,
        enable_caching=enable_caching, service_account=service_account, max_concurrency=max_concurrency,
    )
    result["id"] = created.recurring_run_id
    return result


def upload_pipeline(pipeline: str, *, host: str, name: Optional[str] = None, description: Optional[str] = None,
                    namespace: Optional[str] = None, existing_token: Optional[str] = None, dry_run: bool = False) -> dict:
    """Upload a compiled template as a pipeline (it then appears in the Kubeflow UI).

    Returns:
      ``{"dry_run", "name", "file"}`` plus ``id`` when sent.
    """
    template = template_path(pipeline)
    result = {"dry_run": dry_run, "name": name or pipeline_name(template), "file": template}
    if dry_run:
        return result
    uploaded = _client(host, namespace, existing_token).upload_pipeline(
        template, pipeline_name=result["name"], description=description, namespace=namespace)
    result["id"] = uploaded.pipeline_id
    return result
