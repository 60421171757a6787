"""Compiled YAML is safe to ship and the cloud authoring layer stays light."""
import inspect
import json
import os
import re
import subprocess
import sys

from conftest import REPO_ROOT

COMPILED = os.path.join(REPO_ROOT, "compiled")
HEAVY = ("tensorflow", "tensorflow_data_validation", "tensorflow_transform", "tensorflow_model_analysis", "apache_beam", "tfx_bsl", "keras")
# Things that must never be baked into a template: credentials and paths of the machine that compiled it.
SECRET_PATTERNS = {
    "OAuth access token": r"ya29\.[0-9A-Za-z_-]{10,}",
    "Google API key": r"AIza[0-9A-Za-z_-]{35}",
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"",
    "bearer token": r"[Bb]earer\s+[0-9A-Za-z._-]{10,}",
    "client secret": r"client_secret",
    "GitHub token": r"gh[pousr]_[0-9A-Za-z]{20,}",
    "AWS key": r"AKIA[0-9A-Z]{16}",
}
LOCAL_PATHS = ("/work/", "/tmp/", "/home/", "/Users/", "/root/", "C:\\", REPO_ROOT, os.path.expanduser("~") + "/")


def compiled_files():
    for root, _, files in os.walk(COMPILED):
        for name in sorted(files):
            if name.endswith(".yaml"):
                yield os.path.join(root, name)


def test_no_credential_token_or_local_path_in_any_compiled_yaml():
    files = list(compiled_files())
    assert any(f.endswith("vertex-training.yaml") for f in files)
    for path in files:
        text = open(path).read()
        for what, pattern in SECRET_PATTERNS.items():
            assert not re.search(pattern, text), f"{what} in {path}"
        for local in LOCAL_PATHS:
            assert local not in text, f"local path {local!r} in {path}"


def test_vertex_training_takes_every_training_parameter_then_the_registry_ones():
    from pipelines.training import training
    from pipelines.vertex_training import vertex_training

    spec = vertex_training.component_spec.inputs
    for name, parameter in inspect.signature(training.pipeline_func).parameters.items():
        assert name in spec, f"vertex-training lacks training's parameter {name}"
        if parameter.default is not inspect.Parameter.empty:
            assert spec[name].default == parameter.default
    assert {"project", "location", "model_display_name", "version_aliases", "model_labels"} <= set(spec)
    assert not spec["project"].optional and spec["parent_model"].default == ""


def test_cloud_authoring_loads_no_tensorflow():
    code = ("import pipelines.cloud.vertex, pipelines.cloud.kubeflow, pipelines.cloud.registry, pipelines.cloud.commands, "
            "pipelines.vertex_training, components.vertex_push.runtime\n"
            "from pipelines.cli import main\n"
            "for argv in (['submit', '--help'], ['upload', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "import sys, json\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in %r)))" % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
