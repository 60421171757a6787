"""Fast checks of the container tooling, in the normal suite (no Docker needed).

`kfp-tf compile --image URI` must write URI into every compiled file, and the
arguments of a run in containers must point at paths the containers can see.
"""
import os

import pytest
import yaml

from conftest import PENGUINS


def test_compile_image_option_names_the_image_in_every_compiled_file(tmp_path, capsys):
    from components.image import COMPONENT_IMAGE
    from pipelines.cli import main

    image = "europe-docker.pkg.dev/p/r/kfp-tf-components@sha256:" + "b" * 64
    assert main(["compile", "--output-dir", str(tmp_path), "--image", image]) == 0
    written = capsys.readouterr().out.split()
    assert written and all(path.endswith(".yaml") for path in written)
    for path in written:
        with open(path) as handle:
            document = yaml.safe_load(handle)
        executors = document["deploymentSpec"]["executors"] if "deploymentSpec" in document else {}
        images = {e["container"]["image"] for e in executors.values()}
        assert images == {image}, path
        assert COMPONENT_IMAGE not in open(path).read()


def test_inputs_outside_the_pipeline_root_are_copied_under_it(tmp_path):
    from pipelines.container_run import stage_arguments

    root = tmp_path / "runs" / "pipeline_root"
    root.mkdir(parents=True)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("part-1.csv", "part-2.csv", "notes.txt"):
        (data / name).write_text("species,bill\nAdelie,1.0\n" if name.endswith(".csv") else "x")
    serving = str(root / "serving_model")
    arguments = {
        "data_path": str(data / "part-*.csv"),
        "curated_schema_path": PENGUINS,
        "baseline_statistics_path": "",
        "serving_model_dir": serving,
        "beam_pipeline_args": ["--direct_num_workers=1"],
        "label": "species",
    }
    staged = stage_arguments(arguments, str(root))

    inputs = str(root / "inputs")
    assert staged["data_path"].startswith(inputs) and staged["data_path"].endswith("part-*.csv")
    assert sorted(os.listdir(os.path.dirname(staged["data_path"]))) == ["part-1.csv", "part-2.csv"]
    assert staged["curated_schema_path"].startswith(inputs)
    assert open(staged["curated_schema_path"], "rb").read() == open(PENGUINS, "rb").read()
    # Inside already, empty, or not a path: unchanged. The originals stay where they were.
    for name in ("serving_model_dir", "baseline_statistics_path", "beam_pipeline_args", "label"):
        assert staged[name] == arguments[name]
    assert sorted(os.listdir(data)) == ["notes.txt", "part-1.csv", "part-2.csv"]


def test_a_push_target_the_containers_cannot_see_is_refused(tmp_path):
    from pipelines.container_run import ContainerRunError, stage_arguments

    root = tmp_path / "pipeline_root"
    with pytest.raises(ContainerRunError, match="serving_model_dir=.*outside the pipeline root"):
        stage_arguments({"data_path": PENGUINS, "serving_model_dir": str(tmp_path / "serving")}, str(root))
    assert not (root / "inputs").exists()  # refused before anything was copied
