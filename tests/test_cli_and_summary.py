"""CLI parsing and the local runner's log reading (no pipeline run)."""
import pytest

from pipelines.cli import parse_params
from pipelines.local import find_error, human_summary


def test_params_are_json_when_they_parse():
    allowed = ["epochs", "hidden_units", "thresholds", "task"]
    params = parse_params(
        ["epochs=5", "hidden_units=[16, 8]", 'thresholds={"accuracy": {"lower_bound": 0.9}}', "task=regression"], allowed
    )
    assert params == {"epochs": 5, "hidden_units": [16, 8], "thresholds": {"accuracy": {"lower_bound": 0.9}}, "task": "regression"}


def test_unknown_param_lists_the_valid_ones():
    with pytest.raises(SystemExit, match="Parameters: epochs"):
        parse_params(["epoch=5"], ["epochs"])


def test_user_error_is_found_in_a_task_log():
    log = [
        "    Traceback (most recent call last):",
        "      File \"x.py\", line 1, in <module>",
        "    components.common.errors.ValidationFailedError: Data validation found 1 anomaly:",
        "      - split 'eval', feature 'island': ENUM_TYPE_UNEXPECTED_STRING_VALUES: Unexpected values",
        "    The run stops here.",
        "",
        "12:00:00.000 - ERROR - Task 'validate' finished with status FAILURE",
    ]
    error = find_error(log)
    assert error["type"] == "ValidationFailedError"
    assert "feature 'island'" in error["message"] and "The run stops here." in error["message"]


def test_human_summary_of_a_failure_names_task_and_error():
    text = human_summary(
        {"pipeline": "training", "status": "failed", "seconds": 3, "failed_task": "ingest",
         "error": {"type": "DataError", "message": "Column label not found"}, "run_dir": "/r", "log": "/r/run.log"}
    )
    assert "FAILED" in text and "failed at: ingest" in text and "DataError: Column label not found" in text


def test_human_summary_names_the_positive_class_and_the_intervals():
    text = human_summary(
        {"pipeline": "training", "status": "succeeded", "seconds": 3, "task": "classification",
         "positive_class": "yes", "metrics": {"accuracy": 0.91, "auc": 0.95},
         "metric_intervals": {"accuracy": [0.85, 0.95]}, "run_dir": "/r"}
    )
    assert "classification, positive class 'yes' (95 % intervals): accuracy 0.91 [0.85, 0.95], auc 0.95" in text


def test_schema_export_copies_the_inferred_schema_and_never_overwrites(tmp_path):
    from pipelines.cli import main

    run_dir = tmp_path / "pipeline_root" / "training-1"
    (run_dir / "schema" / "schema").mkdir(parents=True)
    (run_dir / "schema" / "schema" / "schema.pbtxt").write_text("feature { name: 'x' type: INT }\n")
    (tmp_path / "summary.json").write_text('{"run_dir": "%s"}' % run_dir)
    output = tmp_path / "curated.pbtxt"
    assert main(["schema", "export", "--run", str(tmp_path), "--output", str(output)]) == 0
    assert "name: 'x'" in output.read_text()
    output.write_text("my edits")
    with pytest.raises(SystemExit, match="exists"):
        main(["schema", "export", "--run", str(run_dir), "--output", str(output)])
    assert output.read_text() == "my edits"


def test_console_shows_task_warnings_but_not_library_chatter(tmp_path):
    import io

    from pipelines.local.console import Console, RunLog

    screen = io.StringIO()
    with open(tmp_path / "run.log", "w") as log:
        tee = Console(screen, RunLog(log), verbose=False)
        tee.write(
            "[KFP Executor 2026-11-24 10:00:00,000 WARNING]: Analyzer (z_score_x/mean_and_var) node's cache key "
            "varies on repeated tracing. This warning is safe to ignore\n"
            "[KFP Executor 2026-11-24 10:00:01,000 WARNING]: Dropped 3 row(s) of data.csv with no value in the "
            "label column 'species'\n"
        )
    shown = screen.getvalue()
    assert "Dropped 3 row(s)" in shown
    assert "cache key" not in shown
    assert "cache key" in (tmp_path / "run.log").read_text()  # the log keeps everything
