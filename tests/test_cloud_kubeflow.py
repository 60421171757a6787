"""Kubeflow Pipelines runs, recurring runs and uploads through kfp.Client, against a loopback fake of its REST API."""
import yaml

from conftest import REPO_ROOT
from fakes.fixtures import fake_kubeflow  # noqa: F401 (fixture)
from pipelines.cloud import kubeflow

PARAMETERS = {"data_path": "gs://data-bucket/penguins.csv", "label": "species",
              "serving_model_dir": "gs://models-bucket/penguins", "hidden_units": [16, 8]}


def compiled(name):
    with open(f"{REPO_ROOT}/compiled/{name}.yaml") as handle:
        return yaml.safe_load(handle)


def test_run_carries_template_parameters_and_settings(fake_kubeflow):
    result = kubeflow.submit(
        "training", PARAMETERS, host=fake_kubeflow.url, experiment="penguins", run_name="nightly-1",
        pipeline_root="gs://pipeline-bucket/root", enable_caching=False, service_account="pipeline-runner",
    )
    [experiment] = fake_kubeflow.calls("POST", "/apis/v2beta1/experiments")
    assert experiment.body["display_name"] == "penguins"
    [run] = fake_kubeflow.calls("POST", "/apis/v2beta1/runs")
    body = run.body
    assert body["display_name"] == "nightly-1"
    assert body["experiment_id"] == result["experiment_id"] and result["experiment_id"] in fake_kubeflow.experiments
    assert body["runtime_config"] == {"parameters": PARAMETERS, "pipeline_root": "gs://pipeline-bucket/root"}
    assert body["service_account"] == "pipeline-runner"
    assert body["pipeline_spec"]["pipelineInfo"] == compiled("training")["pipelineInfo"]
    assert set(body["pipeline_spec"]["root"]["dag"]["tasks"]) == set(compiled("training")["root"]["dag"]["tasks"])
    assert any(t["cachingOptions"].get("enableCache") for t in compiled("training")["root"]["dag"]["tasks"].values())
    assert not any(t["cachingOptions"].get("enableCache") for t in body["pipeline_spec"]["root"]["dag"]["tasks"].values())
    assert result["id"] in fake_kubeflow.runs


def test_dry_run_matches_what_the_client_sends(fake_kubeflow, tmp_path):
    template = tmp_path / "training.yaml"  # a private copy: compiled/ may be regenerated meanwhile
    template.write_text(open(f"{REPO_ROOT}/compiled/training.yaml").read())
    planned = kubeflow.submit(str(template), PARAMETERS, host=fake_kubeflow.url, run_name="r", enable_caching=False, dry_run=True)
    assert fake_kubeflow.requests == []
    kubeflow.submit(str(template), PARAMETERS, host=fake_kubeflow.url, run_name="r", enable_caching=False)
    [run] = fake_kubeflow.calls("POST", "/apis/v2beta1/runs")
    for key, value in planned["request"].items():
        assert run.body[key] == value, key


def test_recurring_run_has_the_cron_and_replaces_the_one_of_the_same_name(fake_kubeflow):
    first = kubeflow.submit("training", PARAMETERS, host=fake_kubeflow.url, experiment="penguins",
                            run_name="weekly", recurring="0 3 * * 1")
    [create] = fake_kubeflow.calls("POST", "/apis/v2beta1/recurringruns")
    assert create.body["trigger"] == {"cron_schedule": {"cron": "0 0 3 * * 1"}}  # KFP's cron has seconds first
    assert create.body["display_name"] == "weekly" and create.body["mode"] == "ENABLE"
    assert create.body["runtime_config"]["parameters"] == PARAMETERS

    second = kubeflow.submit("training", dict(PARAMETERS, epochs=3), host=fake_kubeflow.url, experiment="penguins",
                             run_name="weekly", recurring="0 5 * * *")
    assert second["replaced"] == [first["id"]]
    assert list(fake_kubeflow.recurring_runs) == [second["id"]]
    assert fake_kubeflow.recurring_runs[second["id"]]["trigger"]["cron_schedule"]["cron"] == "0 0 5 * * *"
    assert len(fake_kubeflow.experiments) == 1


def test_every_compiled_pipeline_uploads(fake_kubeflow):
    from pipelines import PIPELINES

    for name in PIPELINES:
        result = kubeflow.upload_pipeline(name, host=fake_kubeflow.url)
        assert result["id"]
        assert fake_kubeflow.uploaded[result["name"]] == compiled(name)
    assert len(fake_kubeflow.calls("POST", "/apis/v2beta1/pipelines/upload")) == len(PIPELINES)
