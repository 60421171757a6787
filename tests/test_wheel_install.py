"""Install from a wheel: the authoring layer alone (no TensorFlow) compiles and submits
from any folder, the templates coming from the package (pipelines/compiled_dir.py),
on every Python 3.10-3.13 this machine has and beside either protobuf line.

Builds the wheel from a copy of the source (nothing written into the checkout),
installs it with uv into a fresh venv and runs its ``kfp-tf`` from another
folder. Slow-marked: a cold uv cache downloads kfp and google-cloud-aiplatform.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

UV = os.path.join(os.path.dirname(sys.executable), "uv")
SOURCE = ("components", "pipelines", "compiled", "pyproject.toml", "README.md")


def _python(version):
    """A working interpreter of ``version`` ("3.13"): pyenv's newest, else ``python3.13`` on
    PATH (a pyenv shim for a version that is not selected does not run: checked)."""
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", "python")), reverse=True)
    candidates.append(shutil.which(f"python{version}"))
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    return None


def _build_wheel(tmp_path):
    source = tmp_path / "source"
    for name in SOURCE:
        path = os.path.join(REPO_ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    _run([UV, "build", "--quiet", "-o", str(tmp_path / "dist"), str(source)], tmp_path)
    return next((tmp_path / "dist").glob("*.whl"))


def _run(command, cwd, timeout=600):
    done = subprocess.run(command, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_an_installed_wheel_compiles_and_submits_a_dry_run_from_another_folder(tmp_path):
    wheel = _build_wheel(tmp_path)
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


# (Python, extra requirements, run the cloud-client tests): the newest kfp (2.17, protobuf 6) and
# aiplatform (2.x) on every Python; on the newest Python also the protobuf-4 line (kfp 2.13,
# aiplatform 1.x). The real-client tests run once per library line: the clients' requests depend
# on the library versions, not on the Python (the main venv covers kfp 2.13 on 3.11).
AUTHORING_INSTALLS = [
    ("3.10", [], False), ("3.11", [], False), ("3.12", [], False), ("3.13", [], True),
    ("3.13", ["kfp==2.13.0", "google-cloud-aiplatform<2"], True),
]

# Run by the venv's interpreter in a folder outside the checkout, so everything comes from the
# installed wheel: compile every pipeline, then dry-run submit each to Vertex AI and Kubeflow
# with a value for each parameter that has no default.
COMPILE_AND_SUBMIT = """
import contextlib, io, json, os, sys
from pipelines.cli import main
from pipelines.cloud.templates import required_parameters

def run(argv):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0, argv
    return printed.getvalue()

compiled = os.path.abspath("compiled")
paths = [line for line in run(["compile", "--output-dir", compiled]).split() if os.path.dirname(line) == compiled]
results = {}
for path in sorted(paths):
    params = [a for name in required_parameters(path) for a in ("--param", name + "=gs://bucket/" + name)]
    vertex = json.loads(run(["submit", path, "--vertex", "--project", "p", "--region", "us-central1",
                             "--pipeline-root", "gs://bucket/root", *params, "--dry-run"]))
    kubeflow = json.loads(run(["submit", path, "--kubeflow", "--host", "http://127.0.0.1:9", *params, "--dry-run"]))
    results[os.path.basename(path)] = [vertex["request"]["displayName"], vertex["dry_run"], kubeflow["dry_run"]]
print(json.dumps(results))
"""


@pytest.mark.slow
@pytest.mark.parametrize("version,pins,cloud_tests", AUTHORING_INSTALLS,
                         ids=[f"py{version}" + "".join("-" + pin for pin in pins) for version, pins, _ in AUTHORING_INSTALLS])
def test_the_authoring_install_compiles_and_submits_on_each_python(tmp_path, version, pins, cloud_tests):
    """A fresh venv of ``version`` installs the wheel (with ``pins``) and, from another folder,
    compiles every pipeline and dry-run submits each to Vertex AI and Kubeflow; with
    ``cloud_tests`` every compiled pipeline also goes through the real aiplatform and kfp
    clients to the loopback fakes (tests/test_cloud_vertex.py, tests/test_cloud_kubeflow.py)."""
    python = _python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine (PATH or pyenv)")
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    _run([UV, "venv", "--quiet", "--python", python, str(venv)], tmp_path)
    venv_python = str(venv / "bin" / "python")
    test_tools = ["pytest", "pytest-timeout"] if cloud_tests else []
    _run([UV, "pip", "install", "--quiet", "--python", venv_python, str(wheel), *pins, *test_tools], tmp_path)
    versions = json.loads(_run([venv_python, "-c", (
        "import json, sys, importlib.metadata as m; print(json.dumps({'python': sys.version.split()[0], "
        "**{name: m.version(name) for name in ('kfp', 'google-cloud-aiplatform', 'protobuf')}}))")], tmp_path))
    assert versions["python"].startswith(version + ".")
    print(f"\nauthoring install: {versions}")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    submitted = json.loads(_run([venv_python, "-c", COMPILE_AND_SUBMIT], elsewhere).splitlines()[-1])
    assert {"training.yaml", "data-validation.yaml", "batch-prediction.yaml", "vertex-training.yaml"} <= set(submitted)
    for name, (display_name, vertex_dry_run, kubeflow_dry_run) in submitted.items():
        assert display_name == name[: -len(".yaml")] and vertex_dry_run and kubeflow_dry_run
    if cloud_tests:
        _run([venv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "every_compiled_pipeline",
              "tests/test_cloud_vertex.py", "tests/test_cloud_kubeflow.py"], REPO_ROOT)
