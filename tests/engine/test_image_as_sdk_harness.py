"""The component image is a Beam SDK harness: Beam steps run in it through the engine.

`make test-engine-image` builds the image (`make image`), starts the engine and runs
these (markers ``engine`` and ``containers``). The Flink job server starts the SDK
workers in the image:

- with Beam's DOCKER environment (``--environment_config=<image>``, as on Dataflow): the
  TaskManagers `docker run` the image with only the harness flags, its entrypoint hands
  them to Beam's boot. That environment mounts nothing, so the check reads what only the
  image holds (the bundled penguins under /opt/package) and reports through Beam's metrics;
- with the PROCESS environment and engine/docker_harness.sh, which runs the same image
  the same way with the test's folder mounted: the statistics step on files, whose result
  must equal the local runner's.
"""
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import PENGUINS, REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "engine"))
import cluster  # noqa: E402

pytestmark = [pytest.mark.engine, pytest.mark.containers]

IMAGE_PENGUINS = "/opt/package/pipelines/sample_data/penguins.csv"  # only inside the image


@pytest.fixture(scope="module")
def image():
    from components.image import COMPONENT_IMAGE

    found = subprocess.run(["docker", "image", "inspect", COMPONENT_IMAGE], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.fail(f"{COMPONENT_IMAGE} is not built: `make image` builds it ({found.stderr.strip()})")
    for port in (cluster.JOB_PORT, cluster.WORKER_POOL_PORT):
        with socket.socket() as sock:
            sock.settimeout(2)
            if sock.connect_ex((cluster.HOST, port)) != 0:
                pytest.fail(f"The engine is not running (nothing on {cluster.HOST}:{port}): `make engine` starts it.")
    return COMPONENT_IMAGE


def _engine_args(environment):
    args = [a for a in cluster.beam_args() if not a.startswith(("--environment_type", "--environment_config"))]
    return args + environment


def test_docker_environment_runs_the_workers_in_the_image(image):
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter

    from components.common.beam_options import pipeline_options

    assert not os.path.exists(IMAGE_PENGUINS)

    def count_in_worker(path):
        """Runs in an SDK worker (a nested function, so it is pickled by value): the rows of
        ``path`` and whether this package imports there."""
        import csv

        from apache_beam.metrics import Metrics

        import components.ingest.runtime  # noqa: F401  (the package and its Beam/TF stack)

        with open(path, newline="") as handle:
            rows = sum(1 for _ in csv.DictReader(handle))
        Metrics.counter("harness", "rows").inc(rows)
        Metrics.counter("harness", "package_imported").inc()
        return rows

    # no --environment_config: beam_options supplies the image, as a step in the image would
    os.environ["KFP_TF_SDK_CONTAINER_IMAGE"] = image
    try:
        options = pipeline_options(_engine_args(["--environment_type=DOCKER"]))
    finally:
        del os.environ["KFP_TF_SDK_CONTAINER_IMAGE"]
    assert options.get_all_options()["environment_config"] == image  # what a portable DOCKER environment reads
    pipeline = beam.Pipeline(options=options)
    _ = pipeline | beam.Create([IMAGE_PENGUINS]) | beam.Map(count_in_worker)
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed or c.attempted
                for c in result.metrics().query(MetricsFilter().with_namespace("harness"))["counters"]}
    assert counters == {"rows": 344, "package_imported": 1}


def test_statistics_step_in_the_image_equals_the_local_run(image, tmp_path):
    from components.ingest.runtime import ingest
    from components.statistics.runtime import generate_statistics

    from test_beam_steps_on_flink import _statistics

    examples = str(tmp_path / "examples")
    ingest(PENGUINS, examples, label="species")
    generate_statistics(examples, str(tmp_path / "local"))
    harness = {"command": os.path.join(REPO_ROOT, "engine", "docker_harness.sh"),
               "env": {"HARNESS_IMAGE": image, "HARNESS_SHARED": str(tmp_path)}}
    generate_statistics(examples, str(tmp_path / "image"), beam_pipeline_args=_engine_args(
        ["--environment_type=PROCESS", "--environment_config=" + json.dumps(harness)]))
    local, in_image = _statistics(str(tmp_path / "local")), _statistics(str(tmp_path / "image"))
    assert set(in_image) == set(local) == {"Split-train", "Split-eval"}
    for split, (count, features) in local.items():
        assert in_image[split][0] == count and count > 0
        for name, stats in features.items():
            assert in_image[split][1][name].SerializeToString(deterministic=True) == stats.SerializeToString(deterministic=True) \
                or _close(in_image[split][1][name], stats), (split, name)


def _close(a, b):
    """Two features' statistics agree up to float summation order and sketch error."""
    import math

    if a.HasField("num_stats"):
        x, y = a.num_stats, b.num_stats
        return (x.common_stats.num_non_missing == y.common_stats.num_non_missing and (x.min, x.max) == (y.min, y.max)
                and math.isclose(x.mean, y.mean, rel_tol=1e-9) and abs(x.median - y.median) <= 0.01 * ((y.max - y.min) or 1))
    x, y = a.string_stats, b.string_stats
    return x.common_stats.num_non_missing == y.common_stats.num_non_missing and x.unique == y.unique
