"""Every HTML artifact of a pipeline run, rendered in headless chromium with no network.

The runs are the end-to-end ones of tests/test_pipeline_end_to_end.py (session
fixtures of conftest.py, so no pipeline runs twice): the penguin training run (no
drift baseline), a binary-label training run that is not blessed, and the
data-validation run of a batch whose bill_length_mm drifted. Each page is rendered
alone and inside KFP's sandboxed ``srcdoc`` iframe (tests/browser.py); both must ask
for nothing outside the page, show ink, and show the numbers of the run's records.
A screenshot of each is kept under test-output/screenshots/.
"""
import json
import os
import re

import pytest

from browser import Browser, Rendered
from components.common.views.formatting import count, interval, number
from conftest import REPO_ROOT
from test_views import assert_tidy_markdown

SCREENSHOTS = os.path.join(REPO_ROOT, "test-output", "screenshots")
FEATURES = ("species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year")
# Anything in a page that would load a resource: a script, a link, a source or a CSS url().
_LOADS = re.compile(r"<script|<link|\bsrc\s*=|\bhref\s*=|url\(|@import|https?:", re.IGNORECASE)


@pytest.fixture(scope="module")
def browser():
    chromium = Browser()
    yield chromium
    chromium.close()


def test_the_browser_sees_external_requests_blank_pages_and_the_sandboxed_frame(browser):
    """The checks below can fail: a page that loads a script and an image is caught, a
    blank page has no ink, and text inside the srcdoc iframe is read from the frame."""
    loading = browser.render("<p>before</p><img src='https://example.com/a.png'><script src='http://cdn.example/b.js'></script>")
    assert loading.requests == ["http://cdn.example/b.js", "https://example.com/a.png"]
    assert Rendered.ink(browser.render("<html><body></body></html>").screenshot) == 0.0
    framed = browser.render("<h1>inside</h1><script>document.body.insertAdjacentHTML('beforeend', '<p>script ran</p>')</script>")
    assert "inside" in framed.frame_text and "script ran" in framed.frame_text  # allow-scripts, as KFP's viewer


def html_artifacts(pipeline, run_dir):
    """``{"<task>.<output>": path}`` of every HTML output (system.HTML in the compiled
    pipeline) that a task of the run wrote."""
    spec = pipeline.pipeline_spec
    found = {}
    for task_name, task in spec.root.dag.tasks.items():
        outputs = spec.components[task.component_ref.name].output_definitions.artifacts
        html_outputs = [name for name, a in outputs.items() if a.artifact_type.schema_title == "system.HTML"]
        executor_output = os.path.join(run_dir, task_name, "executor_output.json")
        if not html_outputs or not os.path.exists(executor_output):
            continue
        artifacts = json.load(open(executor_output))["artifacts"]
        for name in html_outputs:
            found[f"{task_name}.{name}"] = artifacts[name]["artifacts"][0]["uri"]
    return found


def render(browser, path, screenshot_name) -> Rendered:
    """Render one artifact, check what every view must satisfy, keep its screenshot."""
    document = open(path, encoding="utf-8").read()
    assert not _LOADS.findall(document), f"{path} refers to something outside itself: {_LOADS.findall(document)}"
    assert len(document) < 400_000, f"{path} is {len(document)} bytes"
    rendered = browser.render(document)
    assert rendered.requests == [], f"{path} asked for {rendered.requests}"
    assert Rendered.ink(rendered.screenshot) > 0.02 and Rendered.ink(rendered.frame_screenshot) > 0.02, path
    assert len(rendered.frame_text) > 100 and rendered.frame_text.split()[:3] == rendered.text.split()[:3], path
    os.makedirs(SCREENSHOTS, exist_ok=True)
    with open(os.path.join(SCREENSHOTS, screenshot_name + ".png"), "wb") as handle:
        handle.write(rendered.screenshot)
    return rendered


def shown(rendered: Rendered, *texts):
    """Each text is on the page, alone and inside the sandboxed iframe."""
    for text in texts:
        assert text in rendered.text, f"{text!r} is not on the page"
        assert text in rendered.frame_text, f"{text!r} is not in the sandboxed iframe"


def artifact_path(run_dir, task, output):
    executor_output = json.load(open(os.path.join(run_dir, task, "executor_output.json")))
    return executor_output["artifacts"][output]["artifacts"][0]["uri"]


def evaluation_record(run_dir):
    return json.load(open(os.path.join(artifact_path(run_dir, "evaluate", "evaluation"), "evaluation.json")))


@pytest.mark.slow
def test_every_view_of_a_training_run_renders_offline(browser, penguin_pipeline_run):
    from components.common.metadata import load_statistics
    from pipelines.training import training

    summary, _ = penguin_pipeline_run
    views = html_artifacts(training, summary["run_dir"])
    assert set(views) == {"statistics.statistics_view", "validate.comparison_view", "evaluate.evaluation_view"}

    statistics = render(browser, views["statistics.statistics_view"], "statistics")
    shown(statistics, *FEATURES, f"train: {count(summary['rows']['train'])} rows", f"eval: {count(summary['rows']['eval'])} rows")
    numeric = [f for f in load_statistics(summary["statistics"], "train").datasets[0].features if f.HasField("num_stats")]
    assert statistics.text.count("10th percentile") == len(numeric) == 5  # one table per numeric feature

    no_baseline = render(browser, views["validate.comparison_view"], "drift_no_baseline")
    shown(no_baseline, "No baseline was given", "--baseline PATH", "baseline_statistics_path", "baseline_path")

    record = evaluation_record(summary["run_dir"])
    evaluation = render(browser, views["evaluate.evaluation_view"], "evaluation")
    overall = record["overall"]
    shown(evaluation, "BLESSED", "No champion", *record["classes"],
          number(overall["accuracy"]), interval(record["intervals"]["accuracy"]), number(overall["loss"]),
          number(overall["macro_f1_score"]), "Confusion matrix", "Calibration")
    for row in record["confusion_matrix"]:  # every cell's count, row by row
        assert " ".join(count(v) for v in row) in re.sub(r"\s*\([^)]*%\)\s*", " ", evaluation.text)
    slices = evaluation.text[evaluation.text.index("Per slice"):]
    assert slices.index("Overall") < slices.index("island=Biscoe") < slices.index("sex=female")
    assert number(summary["metrics"]["accuracy"]) == number(overall["accuracy"])


@pytest.mark.slow
def test_the_evaluation_view_of_a_binary_model_shows_its_curves(browser, binary_pipeline_run):
    from pipelines.training import training

    summary, _ = binary_pipeline_run
    views = html_artifacts(training, summary["run_dir"])
    record = evaluation_record(summary["run_dir"])
    evaluation = render(browser, views["evaluate.evaluation_view"], "evaluation_binary")
    shown(evaluation, "NOT BLESSED", f"positive class {record['positive_class']}", "accuracy ≥ 0.9990",
          "ROC curve", "Precision-recall curve", "Calibration", number(record["overall"]["auc"]),
          number(record["calibration"]["expected_calibration_error"]))
    assert len(record["roc"][0]) > 3 and len(record["precision_recall"][0]) > 3
    report = open(artifact_path(summary["run_dir"], "evaluate", "evaluation_report")).read()
    assert_tidy_markdown(report)
    assert f"positive class {record['positive_class']!r}" in report and "| accuracy | accuracy ≥ 0.9990 | none |" in report


@pytest.mark.slow
def test_the_drift_view_shows_the_drifted_feature_first(browser, drifted_validation_run):
    from pipelines.data_validation import data_validation

    summary, moved, _ = drifted_validation_run
    views = html_artifacts(data_validation, summary["run_dir"])
    assert {"statistics.statistics_view", "validate.comparison_view"} <= set(views)
    drifted = [d for d in summary["drift"] if d["drifted"]]
    assert [d["feature"] for d in drifted] == ["bill_length_mm"]

    drift = render(browser, views["validate.comparison_view"], "drift")
    shown(drift, "1 feature(s) drifted beyond the threshold", "penguins.csv", number(drifted[0]["distance"]),
          number(drifted[0]["threshold"]), drifted[0]["current"], drifted[0]["baseline"], *FEATURES)
    measurements = drift.text[drift.text.index("Measurements"):drift.text.index("Per feature")]
    first_row = measurements.splitlines()[2]
    assert first_row.startswith("bill_length_mm") and "yes" in first_row
    cards = drift.text[drift.text.index("Per feature"):]
    assert cards.index("bill_length_mm") < min(cards.index(f) for f in FEATURES if f != "bill_length_mm")

    report = open(artifact_path(summary["run_dir"], "validate", "anomalies_report")).read()
    assert_tidy_markdown(report)
    assert f"| {drifted[0]['split']} | bill_length_mm | JENSEN_SHANNON_DIVERGENCE | {number(drifted[0]['distance'])} |" in report

    batch = render(browser, views["statistics.statistics_view"], "statistics_batch")
    shown(batch, *FEATURES, f"all: {count(sum(summary['rows'].values()))} rows")
