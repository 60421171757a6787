"""The container tier: the training pipeline, every task a container of the built image.

Needs a Docker daemon and the component image tagged ``COMPONENT_IMAGE``:
``make test-containers`` starts the one and builds the other, then runs this
file (``-m containers``). The plain suite deselects it (pyproject's addopts).
The same pipeline also runs with the subprocess runner, and both runs must
agree; the model the containers pushed must answer serialized tf.Examples.
"""
import os

import numpy as np
import pytest

from conftest import PENGUINS, read_csv_rows, serialized_examples

pytestmark = pytest.mark.containers

# Facts both runners must report identically (metrics only within tolerance: training
# in another process, or another libc build of numpy, need not be bit-identical).
SAME_FACTS = ("status", "rows", "rows_without_label", "anomaly_count", "task", "classes", "blessed")


@pytest.fixture(scope="module")
def docker_client():
    import docker

    client = docker.from_env()
    client.ping()  # fails the tier when no daemon answers: `make test-containers` starts one
    yield client
    client.close()


@pytest.fixture(scope="module")
def image(docker_client):
    from components.image import COMPONENT_IMAGE

    return docker_client.images.get(COMPONENT_IMAGE)


def _training(workdir, runner):
    from pipelines import training
    from pipelines.local import run_locally

    serving = os.path.join(workdir, "pipeline_root", "serving_model")
    arguments = {"data_path": PENGUINS, "label": "species", "serving_model_dir": serving}
    return run_locally(training, arguments, str(workdir), runner=runner)


def _accuracy_of(model_dir):
    import tensorflow as tf

    rows = read_csv_rows(PENGUINS)
    model = tf.saved_model.load(model_dir)
    outputs = model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
    np.testing.assert_allclose(outputs["probabilities"].numpy().sum(axis=1), 1.0, atol=1e-5)
    return float(np.mean([c.decode() == r["species"] for c, r in zip(outputs["classes"].numpy(), rows)]))


def test_image_is_lean_and_runs_as_non_root(docker_client, image):
    assert image.attrs["Config"]["User"] == "1000:1000"
    probe = (
        "id -u; python3 -c 'import sys; print(sys.version_info[:2])'; "
        "for p in /wheelhouse /opt/tools /root/.cache /home/kfp/.cache; do test -e $p && echo left:$p; done; "
        "for t in gcc cc make uv; do command -v $t >/dev/null && echo tool:$t; done; "
        "python3 -m pip --version >/dev/null && echo venv-pip; "
        "ls /opt/venv/lib/python3.11/site-packages/tensorflow/__pycache__ | grep -c pyc"
    )
    output = docker_client.containers.run(image.id, ["sh", "-c", probe], remove=True, network_mode="none").decode()
    lines = output.split()
    assert lines[0] == "1000" and "(3, 11)" in output
    assert "left:" not in output and "tool:" not in output, output
    # pip is the one tool kept, in the venv: Beam's boot (the image as an SDK harness)
    # runs `python -m pip show apache-beam` before it starts a worker.
    assert "venv-pip" in output, output
    assert int(lines[-1]) > 0  # bytecode compiled at build time


def test_training_in_containers_matches_the_subprocess_run(tmp_path, docker_client, image):
    existing = {c.id for c in docker_client.containers.list(all=True, filters={"ancestor": image.id})}
    before = open(PENGUINS, "rb").read()
    in_docker = _training(tmp_path / "docker", runner="docker")
    assert in_docker["status"] == "succeeded", in_docker
    tasks = set(in_docker["task_seconds"])
    assert {"ingest", "transform", "train", "evaluate", "push"} <= tasks

    # Every task ran in a container of the image that was built, as its non-root user.
    ours = [c for c in docker_client.containers.list(all=True, filters={"ancestor": image.id}) if c.id not in existing]
    try:
        assert len(ours) == len(tasks)
        assert {c.attrs["Config"]["User"] for c in ours} == {"1000:1000"}
        assert {c.attrs["State"]["ExitCode"] for c in ours} == {0}
    finally:
        for container in ours:
            container.remove()

    # The input was copied under the mounted pipeline root (copies removed at the end;
    # the summary names the user's path) and left as it was.
    assert in_docker["arguments"]["data_path"] == PENGUINS
    assert os.listdir(tmp_path / "docker" / "pipeline_root" / "inputs") == []
    assert open(PENGUINS, "rb").read() == before

    in_process = _training(tmp_path / "subprocess", runner="subprocess")
    assert {k: in_docker[k] for k in SAME_FACTS} == {k: in_process[k] for k in SAME_FACTS}
    assert set(in_process["task_seconds"]) == tasks
    assert in_docker["blessed"] is True
    for metric in ("accuracy", "example_count"):
        assert in_docker["metrics"][metric] == pytest.approx(in_process["metrics"][metric], abs=0.03)

    pushed = in_docker["pushed_model"]
    assert os.path.dirname(pushed) == str(tmp_path / "docker" / "pipeline_root" / "serving_model")
    assert os.path.basename(pushed).isdigit()
    assert _accuracy_of(pushed) >= 0.9
