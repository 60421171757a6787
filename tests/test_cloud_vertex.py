"""Vertex AI submit and schedule through google-cloud-aiplatform, against a loopback fake of its REST API."""
import json

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials

from conftest import REPO_ROOT
from fakes.fixtures import fake_vertex  # noqa: F401 (fixture)
from pipelines.cloud import vertex
from pipelines.cloud.templates import TemplateError

PARAMETERS = {"data_path": "gs://data-bucket/penguins.csv", "label": "species",
              "serving_model_dir": "gs://models-bucket/penguins", "epochs": 5}
KEY = "projects/p/locations/europe-west4/keyRings/ring/cryptoKeys/key"
NETWORK = "projects/123456789/global/networks/ml-vpc"
SERVICE_ACCOUNT = "pipelines@my-project.iam.gserviceaccount.com"


def settings_for(fake, **overrides):
    values = dict(
        project="my-project", region="europe-west4", pipeline_root="gs://pipeline-bucket/root",
        service_account=SERVICE_ACCOUNT, network=NETWORK, encryption_key=KEY,
        labels={"team": "ml", "env": "test"}, enable_caching=False,
        api_endpoint=fake.url, credentials=AnonymousCredentials(),
    )
    values.update(overrides)
    return vertex.VertexSettings(**values)


def compiled_text(name):
    with open(f"{REPO_ROOT}/compiled/{name}.yaml") as handle:
        return handle.read()


def compiled_spec(name):
    with open(f"{REPO_ROOT}/compiled/{name}.yaml") as handle:
        return yaml.safe_load(handle)


def assert_run_request(job, template_name="training"):
    """What every run request must carry: template, parameters, identity, network, key, labels, caching off."""
    assert job["pipelineSpec"]["pipelineInfo"]["name"] == compiled_spec(template_name)["pipelineInfo"]["name"]
    compiled = compiled_spec(template_name)
    assert job["pipelineSpec"]["root"]["inputDefinitions"] == compiled["root"]["inputDefinitions"]
    assert set(job["pipelineSpec"]["root"]["dag"]["tasks"]) == set(compiled["root"]["dag"]["tasks"])
    assert job["pipelineSpec"]["deploymentSpec"] == compiled["deploymentSpec"]
    assert job["runtimeConfig"]["parameterValues"] == PARAMETERS
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://pipeline-bucket/root"
    assert job["serviceAccount"] == SERVICE_ACCOUNT
    assert job["network"] == NETWORK
    assert job["encryptionSpec"] == {"kmsKeyName": KEY}
    assert job["labels"] == {"team": "ml", "env": "test"}
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"].values()
    assert tasks and all(task["cachingOptions"].get("enableCache", False) is False for task in tasks)


def test_submit_sends_the_template_parameters_and_settings(fake_vertex):
    result = vertex.submit("training", PARAMETERS, settings_for(fake_vertex), job_id="penguins-1")

    [create] = fake_vertex.calls("POST", r"/v1/projects/my-project/locations/europe-west4/pipelineJobs")
    assert create.query["pipelineJobId"] == ["penguins-1"]
    assert_run_request(create.body)
    assert create.body["displayName"] == "training"
    assert result["resource_name"] == "projects/my-project/locations/europe-west4/pipelineJobs/penguins-1"
    assert not [r for r in fake_vertex.requests if r.status == 404 and "/storage/" not in r.path]


def test_dry_run_returns_the_same_request_and_sends_nothing(fake_vertex, tmp_path):
    template = tmp_path / "training.yaml"  # a private copy: compiled/ may be regenerated meanwhile
    template.write_text(compiled_text("training"))
    settings = settings_for(fake_vertex)
    planned = vertex.submit(str(template), PARAMETERS, settings, job_id="penguins-2", dry_run=True)
    assert fake_vertex.requests == []
    vertex.submit(str(template), PARAMETERS, settings, job_id="penguins-2")
    [create] = fake_vertex.calls("POST", r".*/pipelineJobs")
    assert planned["request"] == create.body


def test_schedule_is_created_once_then_updated_never_duplicated(fake_vertex):
    settings = settings_for(fake_vertex)
    first = vertex.schedule("training", PARAMETERS, settings, cron="0 3 * * 1", schedule_name="weekly-penguins")
    assert first["action"] == "created"
    [create] = fake_vertex.calls("POST", r".*/schedules")
    assert create.body["cron"] == "0 3 * * 1" and create.body["displayName"] == "weekly-penguins"
    assert_run_request(create.body["createPipelineJobRequest"]["pipelineJob"])

    changed = dict(PARAMETERS, epochs=9)
    second = vertex.schedule("training", changed, settings, cron="TZ=Europe/Amsterdam 0 4 * * *", schedule_name="weekly-penguins")
    assert second["action"] == "updated" and second["resource_name"] == first["resource_name"]
    assert len(fake_vertex.schedules) == 1
    [patch] = fake_vertex.calls("PATCH", r".*/schedules/.*")
    assert patch.query["updateMask"] == ["cron,maxConcurrentRunCount,createPipelineJobRequest"]
    stored = fake_vertex.schedules[first["resource_name"]]
    assert stored["cron"] == "TZ=Europe/Amsterdam 0 4 * * *"
    assert stored["createPipelineJobRequest"]["pipelineJob"]["runtimeConfig"]["parameterValues"]["epochs"] == 9
    assert stored["createPipelineJobRequest"]["pipelineJob"]["serviceAccount"] == SERVICE_ACCOUNT


def test_bad_settings_and_parameters_fail_before_any_request(fake_vertex):
    with pytest.raises(TemplateError, match="gs://"):
        vertex.submit("training", PARAMETERS, settings_for(fake_vertex, pipeline_root="/tmp/root"))
    with pytest.raises(TemplateError, match="no parameter epoch"):
        vertex.submit("training", dict(PARAMETERS, epoch=3), settings_for(fake_vertex))
    with pytest.raises(TemplateError, match="needs label"):
        vertex.submit("training", {"data_path": "gs://b/d.csv", "serving_model_dir": "gs://b/s"}, settings_for(fake_vertex))
    with pytest.raises(TemplateError, match="five-field cron"):
        vertex.schedule("training", PARAMETERS, settings_for(fake_vertex), cron="daily")
    assert fake_vertex.requests == []


def test_every_compiled_pipeline_is_accepted_by_pipeline_job(fake_vertex, tmp_path):
    from google.cloud import aiplatform

    from pipelines import PIPELINES
    from pipelines.cloud.templates import required_parameters, template_path

    for name in PIPELINES:
        template = template_path(name)
        parameters = {p: "gs://b/x" for p in required_parameters(template)}
        result = vertex.submit(template, parameters, settings_for(fake_vertex), job_id=f"{name}-accepted")
        job = aiplatform.PipelineJob.get(result["resource_name"], credentials=AnonymousCredentials())
        assert job.pipeline_spec["pipelineInfo"]["name"] == compiled_spec(name)["pipelineInfo"]["name"]
    assert len(fake_vertex.pipeline_jobs) == len(PIPELINES)
    json.dumps(list(fake_vertex.pipeline_jobs.values()))  # what the fake stored is plain JSON


def test_calls_leave_aiplatform_init_working_and_carry_nothing_over(fake_vertex):
    from google.cloud import aiplatform
    from google.cloud.aiplatform import initializer

    vertex.submit("training", PARAMETERS, settings_for(fake_vertex), dry_run=True)
    aiplatform.init(project="another-project", location="asia-east1")
    assert (initializer.global_config.project, initializer.global_config.location) == ("another-project", "asia-east1")
    vertex.submit("training", PARAMETERS, settings_for(fake_vertex, api_endpoint=None), dry_run=True)
    assert initializer.global_config.api_endpoint is None and initializer.global_config.location == "europe-west4"
