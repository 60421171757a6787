"""What a local run shows on the console and keeps in run.log (pipelines/local/console.py),
fed with the lines kfp's local runner and the tasks really print."""
import io

from components.common import progress
from pipelines.local.console import HEARTBEAT_SECONDS, Console, RunLog
from pipelines.local.summary import human_summary

CYAN, GREEN, RESET = "\x1b[96m", "\x1b[92m", "\x1b[0m"


def _run(tmp_path, lines, verbose=False):
    screen = io.StringIO()
    console = Console(screen, RunLog(open(tmp_path / "run.log", "w")), verbose)
    for line in lines:
        console.write(line + "\n")
    console.finish()
    console.close_log()
    return screen.getvalue(), (tmp_path / "run.log").read_text(), console


def _task(name, *body):
    return [
        f"19:00:00.000 - INFO - Executing task {CYAN}'{name}'{RESET}",
        *body,
        f"19:00:09.000 - INFO - Task {CYAN}'{name}'{RESET} finished with status {GREEN}SUCCESS{RESET}",
    ]


def test_train_epochs_appear_on_the_console_as_they_come(tmp_path):
    shown, _, _ = _run(tmp_path, _task(
        "train",
        "[KFP Executor 2026-12-01 19:00:01,000 INFO]: No checkpoint to resume",
        progress.MARKER + "epoch 1/2: loss 0.7645, val_loss 0.4482 (3.1 s)",
        progress.MARKER + "epoch 2/2: loss 0.2425, val_loss 0.1251 (0.3 s)",
    ))
    assert shown.splitlines()[:3] == [
        "[kfp-tf] train: running",
        "[kfp-tf]   train: epoch 1/2: loss 0.7645, val_loss 0.4482 (3.1 s)",
        "[kfp-tf]   train: epoch 2/2: loss 0.2425, val_loss 0.1251 (0.3 s)",
    ]
    assert "No checkpoint" not in shown


def test_progress_report_writes_the_line_the_console_reads(capsys):
    progress.report("rows ingested: 1,000\nof 2,000")
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and progress.parse(line) == "rows ingested: 1,000 of 2,000"
    assert progress.parse("[KFP Executor x INFO]: an ordinary line") is None


def test_run_log_has_no_colour_codes(tmp_path):
    _, log, console = _run(tmp_path, _task("ingest", "Ingested 344 rows"))
    assert "\x1b" not in log
    assert "Task 'ingest' finished with status SUCCESS" in log
    assert console.task_status == {"ingest": "SUCCESS"}


def test_a_warning_repeated_n_times_is_written_once_with_its_count(tmp_path):
    repeated = [
        f"[KFP Executor 2026-12-01 19:00:0{i},000 WARNING]: Dropped 3 row(s) with no value in the label column"
        for i in range(5)
    ]
    python_warning = [
        "/venv/lib/python3.11/site-packages/tfx_bsl/x.py:12: UserWarning: a deprecated argument",
        "  warnings.warn(",
    ] * 4
    absl = [f"W1201 19:00:0{i}.123456 {4000 + i} saved_model.cc:99] Unknown op" for i in range(3)]
    shown, log, _ = _run(tmp_path, _task("ingest", *repeated, *python_warning, *absl, "done"))
    assert log.count("Dropped 3 row(s)") == 2  # once where it came, once in the closing count
    assert "5x Dropped 3 row(s) with no value in the label column" in log
    assert log.count("UserWarning: a deprecated argument") == 2 and log.count("warnings.warn(") == 1
    assert "4x /venv/lib/python3.11/site-packages/tfx_bsl/x.py:12: UserWarning: a deprecated argument" in log
    assert log.count("Unknown op") == 2 and "3x saved_model.cc:99] Unknown op" in log
    assert shown.count("Dropped 3 row(s)") == 1  # the console shows it once too
    assert "done" in log  # other lines are kept, once each


def test_a_quiet_long_task_is_said_to_be_still_running(tmp_path):
    screen = io.StringIO()
    console = Console(screen, RunLog(open(tmp_path / "run.log", "w")), verbose=False)
    console.write(_task("transform")[0] + "\n")
    started = console.task_started["transform"]
    console.heartbeat(now=started + HEARTBEAT_SECONDS / 2)
    assert "still running" not in screen.getvalue()
    console.heartbeat(now=started + 3 * HEARTBEAT_SECONDS)
    assert screen.getvalue().splitlines()[-1] == "[kfp-tf]   transform: still running (3 min)"
    console.close_log()


def test_nothing_is_shown_after_ctrl_c_but_the_log_keeps_it(tmp_path):
    screen = io.StringIO()
    console = Console(screen, RunLog(open(tmp_path / "run.log", "w")), verbose=False)
    console.write(_task("train")[0] + "\n")
    console.interrupt()
    console.write("Traceback (most recent call last):\nKeyboardInterrupt\n")
    console.close_log()
    assert "Traceback" not in screen.getvalue() and "KeyboardInterrupt" in (tmp_path / "run.log").read_text()
    assert console.running == "train"


def test_the_validate_warning_is_left_to_the_summary(tmp_path):
    shown, log, _ = _run(tmp_path, _task(
        "validate",
        "[KFP Executor 2026-12-01 19:00:01,000 WARNING]: Data validation found 1 anomaly:",
        "  - split 'all', feature 'bill_length_mm': COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH",
        "Continuing because fail_on_anomalies is False.",
    ))
    assert "anomal" not in shown and "bill_length_mm" not in shown
    assert "Data validation found 1 anomaly" in log


def test_drift_that_stopped_the_run_is_listed_once():
    drift = [{"split": "eval", "feature": "body_mass_g", "measure": "jensen_shannon_divergence",
              "distance": 0.41, "threshold": 0.1, "drifted": True},
             {"split": "eval", "feature": "island", "measure": "l_infinity", "distance": 0.02, "threshold": 0.1,
              "drifted": False}]
    error = ("Data validation found 1 anomaly:\n  - split 'eval', feature 'body_mass_g': "
             "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH: High JS divergence -> check the data\nThe run stops here.")
    text = human_summary({
        "pipeline": "data-validation", "status": "failed", "seconds": 30, "failed_task": "data-gate",
        "anomaly_count": 1, "drift": drift, "error": {"type": "ValidationFailedError", "message": error},
        "anomalies": [{"split": "eval", "feature": "body_mass_g", "kinds": "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"}],
        "run_dir": "/r", "log": "/r/run.log",
    })
    assert text.count("body_mass_g") == 1, text
    assert "drift vs baseline: 1 feature(s) drifted (see the error below)" in text
    # Without the gate stopping the run (fail_on_anomalies off), the summary is where it is listed.
    kept_going = human_summary({"pipeline": "data-validation", "status": "succeeded", "seconds": 30,
                                "anomaly_count": 1, "drift": drift, "run_dir": "/r", "log": "/r/run.log"})
    assert kept_going.count("body_mass_g") == 1 and "jensen_shannon_divergence 0.410 > 0.100" in kept_going
