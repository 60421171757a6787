"""Monitoring on serving logs: the runtime on the penguin model pushed with its baseline,
on a day of logs matching training, a day whose body mass moved, and a day whose
predicted classes moved; the log formats and their errors; volume."""
import csv
import glob
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from components.common import model_record
from components.common.blessing import blessing_record
from components.common.errors import ConfigurationError, DataError, ValidationFailedError
from components.monitor import logs as logs_lib
from components.monitor.volume import volume_check
from conftest import PENGUINS, read_csv_rows

LABEL = "species"
STRINGS = {"island", "sex"}
DAY = datetime(2026, 11, 30, tzinfo=timezone.utc)


def push_with_baseline(run, serving):
    """The model pushed as the training pipeline's push task pushes it."""
    from components.common import layout
    from components.push.runtime import push_model

    baseline = model_record.baseline_files(layout.statistics_path(run.statistics, layout.TRAIN), layout.schema_path(run.schema))
    return push_model(run.model, serving, True, record=blessing_record(run.blessing), baseline=baseline)["pushed_destination"]


def json_instance(row):
    """A CSV row as a JSON client sends it (README, "Calling the deployed model"): floats
    for every number, NaN for a missing number, "" for a missing string, no label."""
    return {name: cell if name in STRINGS else (float(cell) if cell else float("nan"))
            for name, cell in row.items() if name != LABEL}


def answered(model_dir, instances):
    """The model's answers to the instances through TF Serving's JSON row format."""
    import tensorflow as tf

    from fakes.tf_serving import predict_rows

    model = tf.saved_model.load(model_dir)
    body = json.dumps({"instances": instances})
    return predict_rows(model, body)["predictions"]


def vertex_rows(model_dir, rows, day, per_request=4):
    """Request-response logging rows as Vertex AI writes them (one request per row, the
    payloads REPEATED STRING), spread over ``day``."""
    instances = [json_instance(row) for row in rows]
    predictions = answered(model_dir, instances)
    logged = []
    for index in range(0, len(instances), per_request):
        moment = day + timedelta(seconds=int(86399 * index / max(len(instances), 1)))
        logged.append({
            "endpoint": "projects/p/locations/us-central1/endpoints/123",
            "deployed_model_id": "456",
            "logging_time": moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC"),
            "request_id": str(1000 + index),
            "request_payload": [json.dumps({"instances": instances[index:index + per_request]})],
            "response_payload": [json.dumps({"predictions": predictions[index:index + per_request]})],
        })
    return logged


def write_jsonl(path, rows):
    with open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def pushed(penguin_run, tmp_path_factory):
    serving = str(tmp_path_factory.mktemp("monitoring") / "serving")
    return serving, push_with_baseline(penguin_run, serving)


def _day_logs(pushed, tmp_path, today_rows):
    serving, version = pushed
    rows = read_csv_rows(PENGUINS)
    return write_jsonl(tmp_path / "logs.jsonl",
                       vertex_rows(version, rows, DAY - timedelta(days=1)) + vertex_rows(version, today_rows, DAY))


def _monitor(pushed, tmp_path, logs):
    from components.monitor.runtime import monitor

    return monitor(logs, pushed[0], str(tmp_path / "verdict"), str(tmp_path / "report.md"),
                   start=DAY.isoformat(), end=(DAY + timedelta(days=1)).isoformat())


def test_push_stores_the_monitoring_baseline_with_the_model(pushed):
    _, version = pushed
    paths = model_record.baseline_paths(version)
    assert os.path.getsize(paths["training_statistics"]) > 0 and os.path.getsize(paths["schema"]) > 0
    predictions = model_record.read_record(version)["predictions"]
    assert predictions["kind"] == "classification"
    assert set(predictions["counts"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert sum(predictions["counts"].values()) == predictions["count"] > 0


def test_a_day_like_training_is_healthy(pushed, tmp_path):
    from components.monitor.runtime import decide, read_verdict

    verdict = _monitor(pushed, tmp_path, _day_logs(pushed, tmp_path, read_csv_rows(PENGUINS)))
    assert verdict["healthy"], verdict["breaches"]
    assert verdict["volume"]["instances"] == verdict["volume"]["previous_instances"] == len(read_csv_rows(PENGUINS))
    assert verdict["features"]["body_mass_g"]["skew"]["distance"] < 0.1
    assert verdict["features"]["body_mass_g"]["drift"]["distance"] == 0  # the same rows as the day before
    assert LABEL not in verdict["features"]  # SERVING environment: no label expected
    assert verdict["predictions"]["status"] == "ok"
    assert set(verdict["defaults"]) == {"skew_threshold", "drift_threshold", "prediction_drift_threshold",
                                        "volume_change_threshold"}
    assert read_verdict(str(tmp_path / "verdict")) == json.loads(json.dumps(verdict))
    report = (tmp_path / "report.md").read_text()
    assert "Healthy: no breach" in report and "skew_threshold 0.1 (default)" in report
    decide(verdict)  # passes


def test_a_day_whose_body_mass_moved_fails_naming_the_feature(pushed, tmp_path):
    from components.monitor.runtime import decide

    moved = [dict(row, body_mass_g=str(int(row["body_mass_g"]) + 1500) if row["body_mass_g"] else "")
             for row in read_csv_rows(PENGUINS)]
    verdict = _monitor(pushed, tmp_path, _day_logs(pushed, tmp_path, moved))
    assert not verdict["healthy"]
    body_mass = verdict["features"]["body_mass_g"]
    assert body_mass["status"] == "breach" and body_mass["skew"]["drifted"] and body_mass["drift"]["drifted"]
    assert verdict["features"]["bill_length_mm"]["status"] == "ok"
    assert any("feature 'body_mass_g': skew against training" in reason for reason in verdict["breaches"])
    with pytest.raises(ValidationFailedError, match="body_mass_g"):
        decide(verdict)


def test_a_day_whose_predicted_classes_moved_fails_naming_the_prediction_drift(pushed, tmp_path):
    # Traffic from Torgersen and Dream only: no Gentoo lives there.
    today = [row for row in read_csv_rows(PENGUINS) if row["island"] != "Biscoe"]
    verdict = _monitor(pushed, tmp_path, _day_logs(pushed, tmp_path, today))
    predictions = verdict["predictions"]
    assert predictions["status"] == "breach"
    assert predictions["served"]["Gentoo"] < 0.05 < predictions["baseline"]["Gentoo"]
    assert predictions["p_value"] < 0.01
    assert any(reason.startswith("prediction drift:") for reason in verdict["breaches"])
    assert "## Predictions against the eval split at blessing" in (tmp_path / "report.md").read_text()


def test_schema_anomalies_of_served_features_are_named(pushed, tmp_path):
    serving, version = pushed
    rows = read_csv_rows(PENGUINS)
    today = vertex_rows(version, rows, DAY)
    for logged in today[::5]:  # a client that started sending an unknown island and a new field
        body = json.loads(logged["request_payload"][0])
        for instance in body["instances"]:
            instance.update(island="Atlantis", colour="blue")
        logged["request_payload"] = [json.dumps(body)]
    logs = write_jsonl(tmp_path / "logs.jsonl", vertex_rows(version, rows, DAY - timedelta(days=1)) + today)
    verdict = _monitor(pushed, tmp_path, logs)
    island = verdict["features"]["island"]
    assert island["status"] == "breach"
    assert any("ENUM_TYPE_UNEXPECTED_STRING_VALUES" in a["kinds"] for a in island["anomalies"])
    assert all("COMPARATOR" not in a["kinds"] for a in island["anomalies"])  # drift is its own entry
    assert verdict["features"]["colour"]["anomalies"][0]["kinds"] == "SCHEMA_NEW_COLUMN"
    assert any(reason.startswith("feature 'colour': SCHEMA_NEW_COLUMN") for reason in verdict["breaches"])


def test_a_model_without_a_baseline_is_refused_naming_what_to_pass(penguin_run, tmp_path):
    from components.monitor.runtime import monitor
    from components.push.runtime import push_model

    version = push_model(penguin_run.model, str(tmp_path / "serving"), True)["pushed_destination"]
    logs = write_jsonl(tmp_path / "client.jsonl", [{"time": DAY.isoformat(), "instance": {"island": "Biscoe"}, "prediction": "Adelie"}])
    with pytest.raises(ConfigurationError, match="schema_path"):
        monitor(logs, version, str(tmp_path / "verdict"))


# --- log formats (no model needed) ---------------------------------------------------

def test_vertex_rows_client_lines_and_csv_exports_read_alike(tmp_path):
    instance = {"island": "Biscoe", "body_mass_g": 3750.0}
    window = logs_lib.Window(DAY, DAY + timedelta(days=1))
    vertex = {"logging_time": "2026-11-30 10:00:00 UTC", "request_payload": [json.dumps({"instances": [instance, instance]})],
              "response_payload": [json.dumps({"predictions": [{"classes": "Adelie"}, {"classes": "Gentoo"}]})]}
    client = {"time": "2026-11-30T11:00:00Z", "instance": instance, "prediction": {"classes": "Adelie"}}
    outside = dict(client, time="2026-12-01T00:00:00Z")  # the window's end is exclusive
    write_jsonl(tmp_path / "a.jsonl", [vertex, client, outside])
    with open(tmp_path / "b.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["logging_time", "request_payload", "response_payload"])
        writer.writeheader()
        writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in vertex.items()})
    (current,) = logs_lib.read_files(str(tmp_path), [window])
    assert len(current) == 5
    assert all(item.instance == instance for item in current)
    assert sorted(str(item.prediction["classes"]) for item in current) == ["Adelie"] * 3 + ["Gentoo"] * 2


def test_bad_log_rows_name_the_file_and_line(tmp_path):
    window = logs_lib.Window(DAY, DAY + timedelta(days=1))
    path = write_jsonl(tmp_path / "bad.jsonl", [{"time": "2026-11-30T11:00:00Z", "instance": {"a": 1}},
                                                 {"time": "yesterday", "instance": {"a": 1}}])
    with pytest.raises(DataError, match=r"bad\.jsonl, line 2.*'yesterday'"):
        logs_lib.read_files(path, [window])
    path = write_jsonl(tmp_path / "pairs.jsonl", [{"logging_time": "2026-11-30T10:00:00Z",
                                                   "request_payload": [json.dumps({"instances": [{}, {}]})],
                                                   "response_payload": [json.dumps({"predictions": [1]})]}])
    with pytest.raises(DataError, match=r"pairs\.jsonl, line 1: 2 instance\(s\).*1 prediction"):
        logs_lib.read_files(path, [window])
    path = write_jsonl(tmp_path / "other.jsonl", [{"text": "hello"}])
    with pytest.raises(DataError, match="neither a Vertex AI request-response logging row"):
        logs_lib.read_files(path, [window])


def test_the_window_defaults_to_the_last_day_and_refuses_a_reversed_one():
    now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    window = logs_lib.make_window(now=now)
    assert (window.start, window.end) == (now - timedelta(days=1), now)
    assert window.previous() == logs_lib.Window(now - timedelta(days=2), now - timedelta(days=1))
    assert logs_lib.make_window(end="2026-12-01T12:00:00Z", hours=1).start == now - timedelta(hours=1)
    with pytest.raises(ConfigurationError, match="starts"):
        logs_lib.make_window(start="2026-12-02T00:00:00Z", end="2026-12-01T00:00:00Z")


def test_volume_no_traffic_and_a_sudden_change_beyond_chance():
    assert volume_check(0, 100, 0.5)["status"] == "breach"
    assert volume_check(40, 100, 0.5)["status"] == "breach"  # -60 %, far beyond Poisson noise
    assert volume_check(100, 110, 0.5)["status"] == "ok"
    assert volume_check(2, 6, 0.5)["status"] == "ok"  # -67 % of a handful: chance
    assert volume_check(50, 0, 0.5)["status"] == "ok"  # first window: nothing to compare


# --- the monitoring pipeline, run locally on the training pipeline's pushed model -------

RETRAIN = ["--param", "retrain_target=vertex",
           "--param", 'retrain_parameters={"data_path": "gs://data/penguins-latest.csv", "label": "species", '
                      '"serving_model_dir": "gs://models/penguins"}',
           "--param", 'retrain_settings={"project": "my-project", "region": "us-central1", '
                      '"pipeline_root": "gs://pipeline-bucket/root"}']


@pytest.fixture(scope="module")
def pipeline_model(penguin_pipeline_run):
    summary, workdir = penguin_pipeline_run
    assert summary["pushed_model"], summary
    return os.path.join(str(workdir), "serving"), summary["pushed_model"]


def _run_monitoring(pipeline_model, tmp_path, today_rows, *extra):
    from pipelines.cli import main

    logs = _day_logs(pipeline_model, tmp_path, today_rows)
    code = main(["run", "monitoring", "--logs", logs, "--model", pipeline_model[0], "--workdir", str(tmp_path / "work"),
                 "--param", f"start={DAY.isoformat()}", "--param", f"end={(DAY + timedelta(days=1)).isoformat()}", *extra])
    with open(tmp_path / "work" / "summary.json") as handle:
        return code, json.load(handle)


def test_kfp_tf_run_monitoring_passes_a_day_like_training(pipeline_model, tmp_path, capsys):
    code, summary = _run_monitoring(pipeline_model, tmp_path, read_csv_rows(PENGUINS), *RETRAIN)
    assert code == 0 and summary["status"] == "succeeded", summary.get("error")
    monitoring = summary["monitoring"]
    assert monitoring["healthy"] is True and monitoring["breaches"] == []
    assert monitoring["model"] == pipeline_model[1]  # the newest version of the serving folder
    assert monitoring["retrain"] is None  # nothing to retrain
    verdict_dir = monitoring["verdict"]
    with open(os.path.join(verdict_dir, "monitoring.json")) as handle:
        assert json.load(handle)["healthy"] is True
    assert "monitoring: 344 served instance(s)" in capsys.readouterr().out


def test_kfp_tf_run_monitoring_fails_on_moved_body_mass_and_prepares_retraining(pipeline_model, tmp_path, capsys):
    moved = [dict(row, body_mass_g=str(int(row["body_mass_g"]) + 1500) if row["body_mass_g"] else "")
             for row in read_csv_rows(PENGUINS)]
    code, summary = _run_monitoring(pipeline_model, tmp_path, moved, *RETRAIN)
    assert code == 1 and summary["failed_task"] == "monitoring-gate"
    assert "body_mass_g" in summary["error"]["message"]
    monitoring = summary["monitoring"]
    assert any("feature 'body_mass_g'" in reason for reason in monitoring["breaches"])
    retrain = monitoring["retrain"]
    assert retrain["dry_run"] is True and retrain["target"] == "vertex" and retrain["pipeline"] == "training"
    assert retrain["parameters"]["data_path"] == "gs://data/penguins-latest.csv"
    out = capsys.readouterr().out
    assert "retraining: training on vertex (dry run: prepared, not sent), data gs://data/penguins-latest.csv" in out
    [view] = glob.glob(os.path.join(summary["run_dir"], "monitor", "skew_view*"))
    html = open(view).read()
    assert "skewed beyond the threshold" in html and "body_mass_g" in html and "<script" not in html


def test_kfp_tf_run_monitoring_fails_naming_the_prediction_drift(pipeline_model, tmp_path):
    today = [row for row in read_csv_rows(PENGUINS) if row["island"] != "Biscoe"]
    code, summary = _run_monitoring(pipeline_model, tmp_path, today)
    assert code == 1 and summary["failed_task"] == "monitoring-gate"
    assert "prediction drift" in summary["error"]["message"]
    assert summary["monitoring"]["retrain"] is None  # no retrain target configured
