"""Install from a wheel: the authoring layer alone (no TensorFlow) compiles and submits
from any folder, the templates coming from the package (pipelines/compiled_dir.py).

Builds the wheel from a copy of the source (nothing written into the checkout),
installs it with uv into a fresh venv and runs its ``kfp-tf`` from another
folder. Slow-marked: a cold uv cache downloads kfp and google-cloud-aiplatform.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

UV = os.path.join(os.path.dirname(sys.executable), "uv")
SOURCE = ("components", "pipelines", "compiled", "pyproject.toml", "README.md")


def _run(command, cwd, timeout=600):
    done = subprocess.run(command, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_an_installed_wheel_compiles_and_submits_a_dry_run_from_another_folder(tmp_path):
    source = tmp_path / "source"
    for name in SOURCE:
        path = os.path.join(REPO_ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    _run([UV, "build", "--quiet", "-o", str(tmp_path / "dist"), str(source)], tmp_path)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    venv = tmp_path / "venv"
    _run([UV, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp_path)
    python, kfp_tf = str(venv / "bin" / "python"), str(venv / "bin" / "kfp-tf")
    _run([UV, "pip", "install", "--quiet", "--python", python, str(wheel)], tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    printed = _run(
        [kfp_tf, "submit", "training", "--vertex", "--project", "p", "--region", "us-central1",
         "--pipeline-root", "gs://bucket/root", "--param", "data_path=gs://bucket/latest.csv",
         "--param", "label=species", "--param", "serving_model_dir=gs://bucket/serving", "--dry-run"],
        elsewhere,
    )
    request = json.loads(printed)
    assert request["dry_run"] and request["request"]["runtimeConfig"]["parameterValues"]["label"] == "species"
    printed = _run(
        [kfp_tf, "submit", "data-validation", "--kubeflow", "--host", "http://127.0.0.1:9",
         "--param", "data_path=gs://bucket/batch.csv", "--param", "curated_schema_path=gs://bucket/schema.pbtxt",
         "--dry-run"],
        elsewhere,
    )
    assert json.loads(printed)["dry_run"]

    written = _run([kfp_tf, "compile"], elsewhere).split()
    assert str(elsewhere / "compiled" / "training.yaml") in written  # not into site-packages
    assert os.listdir(elsewhere / "compiled" / "components")
    missing = subprocess.run([python, "-c", "import tensorflow"], capture_output=True, text=True)
    assert missing.returncode != 0 and "No module named 'tensorflow'" in missing.stderr
