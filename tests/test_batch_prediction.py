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
    assert list(summary["task_seconds"]) == ["ingest", "statistics", "schema", "validate", "predict"]
    assert summary["anomaly_count"] == 0 and summary["drift"] and not any(d["drifted"] for d in summary["drift"])
    assert summary["prediction_model"] == pushed and summary["predicted_rows"] == len(rows) == 344

    files = sorted(glob.glob(os.path.join(summary["predictions"], "predictions-*.csv")))
    predicted = [row for path in files for row in read_csv_rows(path)]
    assert len(predicted) == len(rows)
    classes = [name[len("probability_"):] for name in predicted[0] if name.startswith("probability_")]
    assert list(predicted[0]) == columns + ["predicted_class"] + [f"probability_{c}" for c in classes]

    model = tf.saved_model.load(pushed)
    answers = model.signatures["serving_default"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
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
    assert code == 1 and summary["status"] == "failed" and summary["failed_task"] == "validate"
    assert summary["error"]["type"] == "ValidationFailedError"
    assert "bill_length_mm" in summary["error"]["message"] and "JENSEN_SHANNON" in summary["error"]["message"]
    assert {d["feature"] for d in summary["drift"] if d["drifted"]} == {"bill_length_mm"}
    assert "predict" not in summary["task_seconds"] and summary["predictions"] is None


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
