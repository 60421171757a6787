"""kfp-tf submit / upload: the command line against the loopback fakes, and --dry-run."""
import json

import pytest

from fakes.fixtures import fake_kubeflow, fake_registry, fake_vertex  # noqa: F401 (fixtures)
from pipelines.cli import main

PARAMS = ["--param", "data_path=gs://data-bucket/penguins.csv", "--param", "label=species",
          "--param", "serving_model_dir=gs://models-bucket/penguins", "--param", "hidden_units=[16, 8]"]
VERTEX = ["--vertex", "--project", "my-project", "--region", "us-central1", "--pipeline-root", "gs://pipeline-bucket/root",
          "--service-account", "runner@my-project.iam.gserviceaccount.com", "--network", "projects/42/global/networks/vpc",
          "--encryption-key", "projects/my-project/locations/us-central1/keyRings/r/cryptoKeys/k",
          "--label", "team=ml", "--label", "cost-center=research", "--no-caching"]
EXPECTED_PARAMETERS = {"data_path": "gs://data-bucket/penguins.csv", "label": "species",
                       "serving_model_dir": "gs://models-bucket/penguins", "hidden_units": [16, 8]}


def assert_vertex_job(job):
    assert job["runtimeConfig"]["parameterValues"] == EXPECTED_PARAMETERS
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://pipeline-bucket/root"
    assert job["serviceAccount"] == "runner@my-project.iam.gserviceaccount.com"
    assert job["network"] == "projects/42/global/networks/vpc"
    assert job["encryptionSpec"]["kmsKeyName"] == "projects/my-project/locations/us-central1/keyRings/r/cryptoKeys/k"
    assert job["labels"] == {"team": "ml", "cost-center": "research"}
    assert job["pipelineSpec"]["pipelineInfo"]["name"] == "training"


def test_submit_vertex_run_and_schedule(fake_vertex, capsys):
    endpoint = ["--api-endpoint", fake_vertex.url]
    assert main(["submit", "training", *VERTEX, *PARAMS, *endpoint]) == 0
    [run] = fake_vertex.calls("POST", r".*/pipelineJobs")
    assert_vertex_job(run.body)

    for cron in ("0 3 * * 1", "30 4 * * *"):
        assert main(["submit", "training", *VERTEX, *PARAMS, *endpoint, "--schedule", cron, "--schedule-name", "nightly"]) == 0
    assert len(fake_vertex.schedules) == 1
    [schedule] = fake_vertex.schedules.values()
    assert schedule["cron"] == "30 4 * * *" and schedule["displayName"] == "nightly"
    assert_vertex_job(schedule["createPipelineJobRequest"]["pipelineJob"])


def test_dry_runs_print_the_request_and_send_nothing(fake_vertex, fake_kubeflow, fake_registry, capsys):
    capsys.readouterr()
    assert main(["submit", "training", *VERTEX, *PARAMS, "--schedule", "0 3 * * 1", "--dry-run"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["dry_run"] and printed["request"]["cron"] == "0 3 * * 1"
    assert_vertex_job(dict(printed["request"]["createPipelineJobRequest"]["pipelineJob"], pipelineSpec={"pipelineInfo": {"name": "training"}}))
    assert printed["request"]["createPipelineJobRequest"]["pipelineJob"]["pipelineSpec"].startswith("<the pipeline spec")

    assert main(["submit", "training", "--kubeflow", "--host", fake_kubeflow.url, *PARAMS, "--recurring", "0 3 * * 1",
                 "--experiment", "penguins", "--run-name", "weekly", "--dry-run"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["request"]["trigger"]["cron_schedule"]["cron"] == "0 0 3 * * 1"
    assert printed["request"]["runtime_config"]["parameters"] == EXPECTED_PARAMETERS

    assert main(["upload", "training", "--registry", fake_registry.host, "--tag", "v1", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["tags"] == ["v1"]
    assert fake_vertex.requests == fake_kubeflow.requests == fake_registry.requests == []


def test_submit_kubeflow_recurring_and_upload_to_registry(fake_kubeflow, fake_registry, capsys):
    assert main(["submit", "training", "--kubeflow", "--host", fake_kubeflow.url, *PARAMS, "--experiment", "penguins",
                 "--run-name", "weekly", "--recurring", "0 3 * * 1", "--service-account", "pipeline-runner"]) == 0
    [recurring] = fake_kubeflow.recurring_runs.values()
    assert recurring["display_name"] == "weekly" and recurring["service_account"] == "pipeline-runner"
    assert recurring["runtime_config"]["parameters"] == EXPECTED_PARAMETERS

    assert main(["upload", "--registry", fake_registry.host, "--tag", "v0.1.0", "--tag", "latest"]) == 0
    from pipelines import PIPELINES

    assert set(fake_registry.tags) == set(PIPELINES)
    assert all(set(tags) == {"v0.1.0", "latest"} for tags in fake_registry.tags.values())


def test_mistakes_are_reported_before_anything_is_sent(fake_vertex, capsys):
    with pytest.raises(SystemExit, match="needs label"):
        main(["submit", "training", *VERTEX, "--param", "data_path=gs://b/d.csv", "--param", "serving_model_dir=gs://b/s",
              "--api-endpoint", fake_vertex.url])
    with pytest.raises(SystemExit, match="no parameter epoch"):
        main(["submit", "training", *VERTEX, *PARAMS, "--param", "epoch=3", "--api-endpoint", fake_vertex.url])
    with pytest.raises(SystemExit, match="No compiled pipeline"):
        main(["submit", "nope", *VERTEX, "--api-endpoint", fake_vertex.url])
    with pytest.raises(SystemExit, match="--host"):
        main(["submit", "training", "--kubeflow", *PARAMS])
    with pytest.raises(SystemExit):
        main(["submit", "training", *PARAMS])  # neither --vertex nor --kubeflow
    with pytest.raises(SystemExit, match="--vertex only"):
        main(["submit", "training", "--kubeflow", "--host", "http://127.0.0.1:9", *PARAMS, "--schedule", "0 3 * * 1"])
    with pytest.raises(SystemExit, match="--kubeflow only"):
        main(["submit", "training", *VERTEX, *PARAMS, "--recurring", "0 3 * * 1"])
    assert fake_vertex.requests == []


def test_vertex_training_is_not_run_locally():
    with pytest.raises(SystemExit, match="kfp-tf submit vertex-training --vertex"):
        main(["run", "vertex-training"])
