"""Monitoring's cloud side with the real clients against loopback fakes: the logging
table read from BigQuery (the query asserted), the alert published to Pub/Sub (the
request asserted), retraining submitted to Vertex AI, and the compiled monitoring
pipeline accepted by aiplatform.PipelineJob and scheduled by `kfp-tf submit`."""
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials

from components.common.errors import ConfigurationError
from components.monitor.logs import Window
from fakes.bigquery import FakeBigQuery
from fakes.fixtures import fake_kubeflow, fake_vertex  # noqa: F401 (fixtures)
from fakes.pubsub import FakePublisher

TABLE = "my-project.logging_penguins_123.request_response_logging"
DAY = datetime(2026, 11, 30, tzinfo=timezone.utc)
TOPIC = "projects/my-project/topics/model-alerts"
VERDICT = {"healthy": False, "breaches": ["feature 'body_mass_g': skew against training: ..."],
           "window": {"start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat()},
           "model": "gs://models/penguins/1700000000", "model_version": 1700000000, "logs": f"bq://{TABLE}"}


def logging_row(moment, instances, predictions):
    return {"endpoint": "projects/my-project/locations/us-central1/endpoints/123", "deployed_model_id": "456",
            "logging_time": moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), "request_id": "1",
            "request_payload": [json.dumps({"instances": instances})],
            "response_payload": [json.dumps({"predictions": predictions})]}


def test_bigquery_logging_table_is_queried_for_the_two_windows_only():
    from components.monitor.bigquery import read_table

    instance = {"island": "Biscoe", "bill_length_mm": 39.1, "body_mass_g": 3750.0}
    window = Window(DAY, DAY + timedelta(days=1))
    with FakeBigQuery() as fake:
        fake.tables[TABLE] = [
            logging_row(DAY + timedelta(hours=3), [instance, instance], [{"classes": "Adelie"}, {"classes": "Gentoo"}]),
            logging_row(DAY - timedelta(hours=5), [instance], [{"classes": "Adelie"}]),  # the previous window
            logging_row(DAY - timedelta(days=3), [instance], [{"classes": "Adelie"}]),  # outside both
        ]
        current, previous = read_table(TABLE, [window, window.previous()], api_endpoint=fake.url,
                                       credentials=AnonymousCredentials())
        [query] = fake.calls("POST", r"/bigquery/v2/projects/my-project/queries")
    assert [item.prediction["classes"] for item in current] == ["Adelie", "Gentoo"]
    assert current[0].instance == instance and current[0].time == DAY + timedelta(hours=3)
    assert len(previous) == 1
    sql = query.body["query"]
    assert f"FROM `{TABLE}`" in sql and "logging_time >= @start AND logging_time < @end" in sql
    parameters = {p["name"]: (p["parameterType"]["type"], p["parameterValue"]["value"]) for p in query.body["queryParameters"]}
    assert parameters["start"][0] == parameters["end"][0] == "TIMESTAMP"
    assert datetime.fromisoformat(parameters["start"][1].replace(" UTC", "+00:00")) == DAY - timedelta(days=1)
    assert datetime.fromisoformat(parameters["end"][1].replace(" UTC", "+00:00")) == DAY + timedelta(days=1)
    assert query.body["useLegacySql"] is False


def test_a_missing_table_or_a_bad_name_is_a_clear_error():
    from components.monitor.bigquery import read_table

    window = Window(DAY, DAY + timedelta(days=1))
    with FakeBigQuery() as fake:
        with pytest.raises(ConfigurationError, match="BigQuery could not read bq://my-project.logs.missing"):
            read_table("my-project.logs.missing", [window], api_endpoint=fake.url, credentials=AnonymousCredentials())
        with pytest.raises(ConfigurationError, match="bq://PROJECT.DATASET.TABLE"):
            read_table("logs; DROP TABLE x", [window], api_endpoint=fake.url, credentials=AnonymousCredentials())


def test_the_alert_is_published_to_pubsub(monkeypatch):
    from components.monitor.alert import publish_alert

    with FakePublisher(topics={TOPIC}) as fake:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", fake.host_port)
        message_id = publish_alert(TOPIC, VERDICT)
        with pytest.raises(ConfigurationError, match="Pub/Sub refused the alert to projects/my-project/topics/nobody"):
            publish_alert("projects/my-project/topics/nobody", VERDICT)
    first = fake.requests[0]
    assert first.topic == TOPIC and message_id == "1"
    [message] = first.messages
    body = json.loads(message.data)
    assert body["healthy"] is False and body["breaches"] == VERDICT["breaches"] and body["model"] == VERDICT["model"]
    assert dict(message.attributes) == {"kind": "model-monitoring", "model": VERDICT["model"]}
    with pytest.raises(ConfigurationError, match="projects/PROJECT/topics/TOPIC"):
        publish_alert("model-alerts", VERDICT)


def test_a_breach_submits_the_training_pipeline_to_vertex(fake_vertex):
    from components.monitor.runtime import respond

    parameters = {"data_path": "gs://data/penguins-latest.csv", "label": "species", "serving_model_dir": "gs://models/penguins"}
    settings = {"project": "my-project", "region": "us-central1", "pipeline_root": "gs://pipeline-bucket/root",
                "api_endpoint": fake_vertex.url}
    dry = respond(VERDICT, retrain_target="vertex", retrain_parameters=parameters, retrain_settings=settings,
                  retrain_dry_run=True)
    assert dry["retrain"]["dry_run"] is True and fake_vertex.calls("POST", r".*/pipelineJobs") == []
    sent = respond(VERDICT, retrain_target="vertex", retrain_parameters=parameters, retrain_settings=settings)
    [create] = fake_vertex.calls("POST", r".*/pipelineJobs")
    assert create.body["pipelineSpec"]["pipelineInfo"]["name"] == "training"
    assert create.body["runtimeConfig"]["parameterValues"] == parameters
    assert sent["retrain"]["resource_name"].startswith("projects/my-project/locations/us-central1/pipelineJobs/")
    assert dry["retrain"]["parameters"] == parameters and dry["retrain"]["target"] == "vertex"
    healthy = respond(dict(VERDICT, healthy=True, breaches=[]), retrain_target="vertex",
                      retrain_parameters=parameters, retrain_settings=settings)
    assert healthy["retrain"] is None and len(fake_vertex.calls("POST", r".*/pipelineJobs")) == 1
    with pytest.raises(ConfigurationError, match="no parameter|epoch"):
        respond(VERDICT, retrain_target="vertex", retrain_parameters=dict(parameters, epoch=3), retrain_settings=settings)


def test_a_breach_starts_a_kubeflow_run(fake_kubeflow):
    from components.monitor.runtime import respond

    parameters = {"data_path": "gs://data/penguins-latest.csv", "label": "species", "serving_model_dir": "gs://models/penguins"}
    result = respond(VERDICT, retrain_target="kubeflow", retrain_parameters=parameters,
                     retrain_settings={"host": fake_kubeflow.url, "experiment": "penguins"})
    [run] = fake_kubeflow.runs.values()
    assert run["runtime_config"]["parameters"] == parameters
    assert run["pipeline_spec"]["pipelineInfo"]["name"] == "training"
    assert result["retrain"]["target"] == "kubeflow" and result["retrain"]["id"] == run["run_id"]
    with pytest.raises(ConfigurationError, match="unknown project"):
        respond(VERDICT, retrain_target="kubeflow", retrain_parameters=parameters,
                retrain_settings={"host": fake_kubeflow.url, "project": "p"})


def test_monitoring_compiles_is_accepted_by_pipeline_job_and_schedules_hourly(fake_vertex, tmp_path):
    from google.cloud import aiplatform
    from kfp import compiler

    from pipelines import PIPELINES
    from pipelines.cli import main

    compiler.Compiler().compile(PIPELINES["monitoring"], str(tmp_path / "monitoring.yaml"))
    with open(tmp_path / "monitoring.yaml") as handle:
        spec = yaml.safe_load(handle)
    assert set(spec["root"]["dag"]["tasks"]) == {"monitor", "monitoring-alert", "monitoring-gate"}
    common = ["--vertex", "--project", "my-project", "--region", "us-central1", "--pipeline-root", "gs://pipeline-bucket/root",
              "--api-endpoint", fake_vertex.url, "--compiled-dir", str(tmp_path),
              "--param", f"logs=bq://{TABLE}", "--param", "model=gs://models/penguins", "--param", "window_hours=1"]
    assert main(["submit", "monitoring", *common]) == 0
    [run] = fake_vertex.calls("POST", r".*/pipelineJobs")
    job = aiplatform.PipelineJob.get(fake_vertex.pipeline_jobs[next(iter(fake_vertex.pipeline_jobs))]["name"],
                                     credentials=AnonymousCredentials())
    assert job.pipeline_spec["pipelineInfo"]["name"] == "monitoring"
    assert run.body["runtimeConfig"]["parameterValues"]["logs"] == f"bq://{TABLE}"
    assert main(["submit", "monitoring", *common, "--schedule", "0 * * * *", "--schedule-name", "hourly-monitoring"]) == 0
    [schedule] = fake_vertex.schedules.values()
    assert schedule["cron"] == "0 * * * *" and schedule["displayName"] == "hourly-monitoring"
    assert schedule["createPipelineJobRequest"]["pipelineJob"]["pipelineSpec"]["pipelineInfo"]["name"] == "monitoring"
