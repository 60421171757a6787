"""The notebooks run top to bottom (without cloud credentials) and are committed without outputs."""
import html
import json
import os
import re

import nbformat
import pytest

from conftest import REPO_ROOT

NOTEBOOKS = os.path.join(REPO_ROOT, "notebooks")
CLOUD_VARIABLES = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_APPLICATION_CREDENTIALS", "PIPELINE_ROOT", "KFP_REGISTRY", "KFP_HOST",
                   "VERTEX_SERVICE_ACCOUNT", "CLOUDSDK_CONFIG")


def execute(name, tmp_path, monkeypatch, timeout):
    from nbclient import NotebookClient

    for variable in CLOUD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # google.auth: do not probe a metadata server
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no gcloud credentials either
    monkeypatch.setenv("PYTHONPATH", REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return notebook


def outputs_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.extend(str(value) for value in output.get("data", {}).values())
    return "\n".join(parts)


def html_outputs(notebook):
    """Every text/html output of the notebook's code cells, iframes' srcdoc pages unescaped."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            page = output.get("data", {}).get("text/html")
            if page:
                found.append(html.unescape(page) if "srcdoc=" in page else page)
    return found


def markdown_outputs(notebook):
    return [output["data"]["text/markdown"] for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "text/markdown" in output.get("data", {})]


@pytest.mark.slow
def test_quickstart_runs_locally_and_shows_the_views_reports_and_confusion_matrix(tmp_path, monkeypatch):
    from components.common.metadata import load_statistics
    from components.common.views.formatting import interval, number, with_interval

    notebook = execute("quickstart.ipynb", tmp_path, monkeypatch, timeout=600)
    text = "\n".join(outputs_text(c) for c in notebook.cells if c.cell_type == "code")
    assert "Pipeline training SUCCEEDED" in text
    assert "anomalies in the eval split: 0" in text
    summary = json.load(open(tmp_path / "quickstart_runs" / "summary.json"))
    pages, reports = html_outputs(notebook), markdown_outputs(notebook)

    # The statistics view, in its sandboxed iframe: the train split's flipper length as the run computed it.
    flipper = next(f.num_stats for f in load_statistics(summary["statistics"], "train").datasets[0].features
                   if f.path.step[0] == "flipper_length_mm")
    statistics_view = next(p for p in pages if "<title>Data statistics" in p)
    assert "sandbox=\"allow-scripts\"" in statistics_view and "<svg" in statistics_view
    assert f"<td class='num'>{number(flipper.mean)}</td>" in statistics_view
    assert any(r.startswith("# Data validation report") for r in reports)

    # The evaluation report and view: the accuracy with its interval, from the record.
    evaluate_dir = os.path.join(summary["run_dir"], "evaluate")
    output = json.load(open(os.path.join(evaluate_dir, "executor_output.json")))["artifacts"]["evaluation"]
    record = json.load(open(os.path.join(output["artifacts"][0]["uri"], "evaluation.json")))
    accuracy = with_interval(record["overall"]["accuracy"], record["intervals"]["accuracy"])
    assert any(f"| accuracy | {accuracy} |" in r for r in reports)
    evaluation_view = next(p for p in pages if "<title>Model evaluation" in p)
    assert f"<td class='num'>{number(record['overall']['accuracy'])}</td>" in evaluation_view
    assert f"<td class='num'>{interval(record['intervals']['accuracy'])}</td>" in evaluation_view
    assert "<svg" in evaluation_view  # the calibration plot

    # The confusion matrix as a table with the record's counts, row by row; no ROC for three classes.
    confusion = next(p for p in pages if "predicted" in p and "<title>" not in p)
    for name, row in zip(record["classes"], record["confusion_matrix"]):
        cells = r"\s*".join(f"<td>{int(v)}</td>" for v in row)
        assert re.search(rf"<th>{name}</th>\s*{cells}", confusion), (name, row)
    assert "3 classes: ROC curves are drawn for binary labels" in text

    # The slices, the overall slice first.
    slices = next(p for p in pages if "island=Biscoe" in p and "<title>" not in p)
    assert slices.index("<th>Overall</th>") < slices.index("<th>island=Biscoe</th>")


@pytest.mark.slow
def test_cloud_notebook_runs_without_credentials_and_skips_cleanly(tmp_path, monkeypatch):
    notebook = execute("cloud.ipynb", tmp_path, monkeypatch, timeout=300)
    text = "\n".join(outputs_text(c) for c in notebook.cells if c.cell_type == "code")
    assert "Google Cloud: no" in text
    for skipped in ("skipped the Vertex AI submit", "skipped the Vertex AI schedule", "skipped the upload",
                    "skipped the Kubeflow run"):
        assert skipped in text
    assert '"cron": "0 3 * * 1"' in text and '"0 0 3 * * 1"' in text  # Vertex schedule and KFP recurring dry runs
    assert '"gcsOutputDirectory": "gs://my-project-pipelines/root"' in text


@pytest.mark.parametrize("name", ["quickstart.ipynb", "cloud.ipynb"])
def test_committed_notebooks_have_no_outputs(name):
    notebook = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: strip outputs before committing"
