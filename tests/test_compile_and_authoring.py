"""Authoring layer: compiled YAML in sync and loadable, image override, no TensorFlow import."""
import json
import os
import subprocess
import sys

import yaml

from conftest import REPO_ROOT

COMPILED = os.path.join(REPO_ROOT, "compiled")
HEAVY = ("tensorflow", "tensorflow_data_validation", "tensorflow_transform", "tensorflow_model_analysis", "apache_beam", "tfx_bsl", "keras")


def test_compiled_files_match_the_source():
    from pipelines.compile import drifted_files

    drifted = drifted_files(COMPILED)
    assert not drifted, f"compiled/ is stale for {drifted}: run `make compile` and commit the result"


def test_compiled_training_pipeline_loads_as_a_component():
    from kfp import components

    pipeline = components.load_component_from_file(os.path.join(COMPILED, "training.yaml"))
    assert pipeline.name == "training"
    assert {"data_path", "label", "serving_model_dir", "thresholds", "epochs"} <= set(pipeline.component_spec.inputs)
    for name in ("ingest", "statistics", "schema", "validate", "data_gate", "check_settings", "transform", "train", "baseline", "evaluate", "infra_validate", "push"):
        component = components.load_component_from_file(os.path.join(COMPILED, "components", f"{name}.yaml"))
        assert component.name == name.replace("_", "-")


def test_every_executor_uses_the_one_image_and_it_can_be_overridden(tmp_path):
    from components.image import COMPONENT_IMAGE, DEFAULT_TRACK, image_for_track
    from pipelines.compile import compile_all

    with open(os.path.join(COMPILED, "training.yaml")) as handle:
        document = yaml.safe_load(handle)
    executors = document["deploymentSpec"]["executors"]
    assert len(executors) == 13
    # Gates measure, then decide; the settings are checked before any work.
    tasks = document["root"]["dag"]["tasks"]
    assert tasks["data-gate"]["dependentTasks"] == ["validate"]
    assert {"data-gate", "check-settings"} <= set(tasks["transform"]["dependentTasks"])
    # compiled/ is compiled on the tfx-1.16 track: it names that track's image whichever
    # track runs this test (on tfx-1.21, COMPONENT_IMAGE is the -tfx-1.21 one).
    assert {e["container"]["image"] for e in executors.values()} == {image_for_track(DEFAULT_TRACK)}

    digest = "europe-docker.pkg.dev/p/r/kfp-tf-components@sha256:" + "a" * 64
    compile_all(str(tmp_path), image=digest)
    for path in [tmp_path / "training.yaml", tmp_path / "components" / "train.yaml"]:
        text = path.read_text()
        assert digest in text and COMPONENT_IMAGE not in text


def test_the_train_task_alone_can_run_on_the_gpu_image(tmp_path):
    from components.image import GPU_COMPONENT_IMAGE
    from pipelines.compile import compile_all

    image = "europe-docker.pkg.dev/p/r/kfp-tf-components@sha256:" + "b" * 64
    compile_all(str(tmp_path), image=image, train_image=GPU_COMPONENT_IMAGE)
    executors = yaml.safe_load((tmp_path / "training.yaml").read_text())["deploymentSpec"]["executors"]
    images = {name: e["container"]["image"] for name, e in executors.items()}
    assert images.pop("exec-train") == GPU_COMPONENT_IMAGE
    assert set(images.values()) == {image}
    train = yaml.safe_load((tmp_path / "components" / "train.yaml").read_text())["deploymentSpec"]["executors"]
    assert train["exec-train"]["container"]["image"] == GPU_COMPONENT_IMAGE


def test_compiled_yaml_holds_no_local_path_or_secret():
    for root, _, files in os.walk(COMPILED):
        for name in files:
            text = open(os.path.join(root, name)).read()
            assert REPO_ROOT not in text and "/home/" not in text and "/tmp/" not in text
            assert "token" not in text.lower() and "password" not in text.lower()


def _imported_after(code):
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in %r)))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_authoring_imports_load_no_tensorflow():
    assert _imported_after("import pipelines, components.catalog, pipelines.compile, pipelines.cli, pipelines.local") == []


def test_cli_help_loads_no_tensorflow():
    code = "from pipelines.cli import main\nfor argv in (['--help'], ['run', '--help'], ['compile', '--help']):\n    try:\n        main(argv)\n    except SystemExit:\n        pass"
    assert _imported_after(code) == []
