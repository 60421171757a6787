"""The batch-prediction pipeline: `kfp-tf run batch-prediction` with kfp's local
runner on a model the fixtures trained and pushed, and the CLI's defaults."""
import csv
import glob
import json
import os

import numpy as np
import pytest

from conftest import PENGUINS, read_csv_rows, row_key, serialized_examples


def _write_without_label(path, rows, change=None):
    columns = [c for c in rows[0] if c != "species"]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(change(dict(row)) if change else row)
    return str(path), columns


def _push(run, tmp_path):
    from components.push.runtime import push_model

    serving = str(tmp_path / "serving")
    return serving, push_model(run.model, serving, blessed=True)["pushed_destination"]


def _run_cli(tmp_path, data, serving, run):
    from pipelines.cli import main

    workdir = str(tmp_path / "work")
    code = main([
        "run", "batch-prediction", "--data", data, "--model", serving, "--workdir", workdir,
        "--schema", os.path.join(run.schema, "schema.pbtxt"), "--baseline", run.statistics,
    ])
    with open(os.path.join(workdir, "summary.json")) as handle:
        return code, json.load(handle)


@pytest.mark.slow
def test_batch_prediction_predicts_every_row_as_the_pushed_model_does(penguin_run, tmp_path):
    import tensorflow as tf

    rows = read_csv_rows(PENGUINS)
    data, columns = _write_without_label(tmp_path / "new_penguins.csv", rows)
    before = open(data, "rb").read()
    serving, pushed = _push(penguin_run, tmp_path)

    code, summary = _run_cli(tmp_path, data, serving, penguin_run)
    assert code == 0 and summary["status"] == "succeeded", summary
    assert list(summary["task_seconds"]) == ["fingerprint-inputs", "ingest", "statistics", "schema", "validate", "data-gate", "predict"]
    assert summary["anomaly_count"] == 0 and summary["drift"] and not any(d["drifted"] for d in summary["drift"])
    assert summary["prediction_model"] == pushed and summary["predicted_rows"] == len(rows) == 344

    files = sorted(glob.glob(os.path.join(summary["predictions"], "predictions-*.csv")))
    predicted = [row for path in files for row in read_csv_rows(path)]
    assert len(predicted) == len(rows)
    classes = [name[len("probability_"):] for name in predicted[0] if name.startswith("probability_")]
    assert list(predicted[0]) == columns + ["predicted_class"] + [f"probability_{c}" for c in classes]

    model = tf.saved_model.load(pushed)
    answers = model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
    expected = {}
    for index, row in enumerate(rows):
        expected[row_key(row, columns)] = (answers["classes"][index].numpy().decode(), answers["probabilities"][index].numpy())
    assert len(expected) == len(rows)  # every input row is told apart by its columns
    for row in predicted:
        predicted_class, probabilities = expected[row_key(row, columns)]
        assert row["predicted_class"] == predicted_class
        np.testing.assert_allclose([float(row[f"probability_{c}"]) for c in classes], probabilities, rtol=1e-5, atol=1e-7)
    species = {row_key(row, columns): row["species"] for row in rows}
    assert np.mean([row["predicted_class"] == species[row_key(row, columns)] for row in predicted]) >= 0.9
    assert open(data, "rb").read() == before


@pytest.mark.slow
def test_a_drifted_batch_is_stopped_by_validation_before_any_prediction(penguin_run, tmp_path):
    def longer_bills(row):
        if row["bill_length_mm"]:
            row["bill_length_mm"] = f"{float(row['bill_length_mm']) + 12:.1f}"
        return row

    data, _ = _write_without_label(tmp_path / "drifted.csv", read_csv_rows(PENGUINS), change=longer_bills)
    serving, _ = _push(penguin_run, tmp_path)

    code, summary = _run_cli(tmp_path, data, serving, penguin_run)
    assert code == 1 and summary["status"] == "failed" and summary["failed_task"] == "data-gate"
    assert summary["error"]["type"] == "ValidationFailedError"
    assert "bill_length_mm" in summary["error"]["message"] and "JENSEN_SHANNON" in summary["error"]["message"]
    assert {d["feature"] for d in summary["drift"] if d["drifted"]} == {"bill_length_mm"}
    assert "predict" not in summary["task_seconds"] and summary["predictions"] is None


def _tiny_batch(tmp_path, count):
    """``count`` complete penguin rows without the label, bill sizes rounded to whole
    numbers (float columns whose values in this batch are all whole)."""
    rows = [row for row in read_csv_rows(PENGUINS) if all(row.values())][:count]
    for row in rows:
        for name in ("bill_length_mm", "bill_depth_mm"):
            row[name] = str(round(float(row[name])))
    return _write_without_label(tmp_path / f"batch_{count}.csv", rows)


def _answers_by_row(model_dir, examples_uri, columns):
    """{row key: (class, probabilities)} the SavedModel gives for every ingested example."""
    import tensorflow as tf

    files = glob.glob(os.path.join(examples_uri, "Split-*", "*.gz"))
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    outputs = tf.saved_model.load(model_dir).signatures["serving_examples"](examples=tf.constant(records))
    answers = {}
    for index, record in enumerate(records):
        features = tf.train.Example.FromString(record).features.feature
        values = {name: getattr(f, f.WhichOneof("kind")).value[0] for name, f in features.items()}
        values = {name: v.decode() if isinstance(v, bytes) else v for name, v in values.items()}
        answers[row_key(values, columns)] = (outputs["classes"][index].numpy().decode(), outputs["probabilities"][index].numpy())
    return answers


@pytest.mark.slow
def test_one_and_five_row_batches_are_checked_and_predicted_one_row_each(penguin_run, tmp_path):
    from components.ingest.runtime import ingest
    from components.predict.runtime import predict
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics
    from components.validate.runtime import validate_statistics

    serving, pushed = _push(penguin_run, tmp_path)
    training_schema = os.path.join(penguin_run.schema, "schema.pbtxt")
    for count in (1, 5):
        data, columns = _tiny_batch(tmp_path, count)
        run = {name: str(tmp_path / f"{name}_{count}") for name in ("examples", "statistics", "schema", "anomalies", "out")}
        assert ingest(data, run["examples"], split_mode="all", schema_path=training_schema)["split_row_counts"] == {"all": count}
        generate_statistics(run["examples"], run["statistics"])
        make_schema(run["statistics"], run["schema"], curated_schema_path=training_schema)
        assert validate_statistics(run["statistics"], run["schema"], run["anomalies"], environment="SERVING")["anomaly_count"] == 0
        result = predict(run["examples"], run["statistics"], serving, run["out"])
        predicted = [row for path in result["files"] for row in read_csv_rows(path)]
        assert result["rows"] == len(predicted) == count and result["model_dir"] == pushed
        answers = _answers_by_row(pushed, run["examples"], columns)
        assert sorted(row_key(row, columns) for row in predicted) == sorted(answers)
        for row in predicted:
            predicted_class, probabilities = answers[row_key(row, columns)]
            assert row["predicted_class"] == predicted_class
            np.testing.assert_allclose([float(row[f"probability_{c}"]) for c in result["classes"]], probabilities, rtol=1e-5, atol=1e-7)


@pytest.mark.slow
def test_a_single_row_batch_runs_through_the_batch_prediction_pipeline(penguin_run, tmp_path):
    from pipelines.cli import main

    data, _ = _tiny_batch(tmp_path, 1)
    serving, pushed = _push(penguin_run, tmp_path)
    workdir = str(tmp_path / "work")
    code = main([
        "run", "batch-prediction", "--data", data, "--model", serving, "--workdir", workdir,
        "--schema", os.path.join(penguin_run.schema, "schema.pbtxt"),
    ])
    with open(os.path.join(workdir, "summary.json")) as handle:
        summary = json.load(handle)
    assert code == 0 and summary["status"] == "succeeded", summary
    assert summary["rows"] == {"all": 1} and summary["anomaly_count"] == 0
    assert summary["prediction_model"] == pushed and summary["predicted_rows"] == 1
    (path,) = glob.glob(os.path.join(summary["predictions"], "predictions-*.csv"))
    assert len(read_csv_rows(path)) == 1


def _cli_args(*argv):
    from pipelines.cli import build_parser

    return build_parser().parse_args(["run", "batch-prediction", *argv])


def test_cli_takes_schema_and_baseline_from_the_last_training_run(tmp_path):
    from pipelines.cli import run_arguments

    workdir = str(tmp_path)
    with pytest.raises(SystemExit, match="needs --data"):
        run_arguments(_cli_args(), workdir)
    with pytest.raises(SystemExit, match="needs --schema"):
        run_arguments(_cli_args("--data", "new.csv"), workdir)

    for run, stamp in (("training-2026-01-01", 1_000), ("training-2026-02-01", 2_000), ("batch-prediction-2026-03-01", 3_000)):
        folder = tmp_path / "pipeline_root" / run
        (folder / "schema" / "schema").mkdir(parents=True)
        (folder / "schema" / "schema" / "schema.pbtxt").write_text("")
        (folder / "statistics" / "statistics").mkdir(parents=True)
        os.utime(folder, (stamp, stamp))
    arguments = run_arguments(_cli_args("--data", "new.csv"), workdir)
    latest = tmp_path / "pipeline_root" / "training-2026-02-01"
    assert arguments == {
        "data_path": os.path.abspath("new.csv"),
        "model_path": os.path.join(workdir, "serving_model"),
        "curated_schema_path": str(latest / "schema" / "schema" / "schema.pbtxt"),
        "baseline_statistics_path": str(latest / "statistics" / "statistics"),
    }
    chosen = run_arguments(
        _cli_args("--data", "gs://b/new.csv", "--model", "gs://b/serving/7", "--schema", "s.pbtxt", "--baseline", "old.csv"),
        workdir,
    )
    assert chosen == {
        "data_path": "gs://b/new.csv", "model_path": "gs://b/serving/7",
        "curated_schema_path": os.path.abspath("s.pbtxt"), "baseline_statistics_path": os.path.abspath("old.csv"),
    }


@pytest.mark.slow
def test_batch_prediction_reads_json_lines_of_request_instances(penguin_run, tmp_path):
    """The instances a client sends the endpoint, one per line (floats for every number,
    NaN and "" for missing values), predicted as the same rows given as tf.Examples."""
    import math

    rows = read_csv_rows(PENGUINS)
    columns = [c for c in rows[0] if c != "species"]
    data = tmp_path / "requests.jsonl"
    with open(data, "w") as handle:
        for row in rows:
            handle.write(json.dumps({c: (row[c] if c in ("island", "sex") else float(row[c]) if row[c] else math.nan)
                                     for c in columns}) + "\n")
    serving, pushed = _push(penguin_run, tmp_path)

    code, summary = _run_cli(tmp_path, str(data), serving, penguin_run)
    assert code == 0 and summary["status"] == "succeeded", summary
    assert summary["predicted_rows"] == len(rows) and summary["anomaly_count"] == 0
    predicted = [r for path in sorted(glob.glob(os.path.join(summary["predictions"], "predictions-*.csv"))) for r in read_csv_rows(path)]
    import tensorflow as tf

    answers = tf.saved_model.load(pushed).signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
    expected = {row_key(row, columns): answers["classes"][i].numpy().decode() for i, row in enumerate(rows)}
    assert sorted(predicted[0]) == sorted(columns + ["predicted_class"] + [n for n in predicted[0] if n.startswith("probability_")])
    assert all(expected[row_key(row, columns)] == row["predicted_class"] for row in predicted)
