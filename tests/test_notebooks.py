"""The notebooks run top to bottom (without cloud credentials) and are committed without outputs."""
import os

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


@pytest.mark.slow
def test_quickstart_runs_locally_and_shows_statistics_anomalies_and_metrics(tmp_path, monkeypatch):
    notebook = execute("quickstart.ipynb", tmp_path, monkeypatch, timeout=600)
    text = "\n".join(outputs_text(c) for c in notebook.cells if c.cell_type == "code")
    assert "Pipeline training SUCCEEDED" in text
    assert "facets-overview" in text or "facets" in text.lower()  # tfdv.visualize_statistics
    assert "anomalies in the eval split: 0" in text
    assert "overall" in text and "accuracy" in text  # the TFMA slicing table
    assert (tmp_path / "quickstart_runs" / "summary.json").exists()


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
