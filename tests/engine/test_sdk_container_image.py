"""A Beam step on a non-local runner sends its workers the component image it runs in.

The image carries its own URI (KFP_TF_SDK_CONTAINER_IMAGE, baked at build time by
containers/build_image.sh); components/common/beam_options.py adds it as
--sdk_container_image (Dataflow) or --environment_config (a portable runner), read when
the step runs. Fast checks, in the default suite.
"""
import logging

from components.common.beam_options import IMAGE_ENV, default_sdk_container_image, pipeline_options

IMAGE = "europe-docker.pkg.dev/p/r/kfp-tf-components:0.1.0"
DATAFLOW = ["--runner=DataflowRunner", "--project=p", "--region=europe-west4", "--temp_location=gs://b/tmp"]


def test_dataflow_and_docker_portable_runs_get_the_image_they_run_in():
    environ = {IMAGE_ENV: IMAGE}
    assert default_sdk_container_image(DATAFLOW, environ) == DATAFLOW + [f"--sdk_container_image={IMAGE}"]
    # Beam's portable client takes a DOCKER environment's image from --environment_config
    # (it ignores --sdk_container_image, which only Dataflow reads).
    portable = ["--runner", "PortableRunner", "--job_endpoint=localhost:8099"]
    assert default_sdk_container_image(portable, environ)[-1] == f"--environment_config={IMAGE}"
    docker = portable + ["--environment_type=DOCKER"]
    assert default_sdk_container_image(docker, environ)[-1] == f"--environment_config={IMAGE}"
    flink = ["--runner=FlinkRunner", "--flink_master=localhost:8081"]
    assert default_sdk_container_image(flink, environ)[-1] == f"--environment_config={IMAGE}"


def test_the_portable_environment_beam_builds_is_our_image():
    from apache_beam.options.pipeline_options import PortableOptions
    from apache_beam.transforms.environments import Environment

    args = default_sdk_container_image(["--runner=PortableRunner", "--job_endpoint=localhost:8099"], {IMAGE_ENV: IMAGE})
    environment = Environment.from_options(pipeline_options(args).view_as(PortableOptions))
    assert environment.container_image == IMAGE


def test_named_images_other_environments_and_local_runs_are_left_alone():
    environ = {IMAGE_ENV: IMAGE}
    for args in (
        DATAFLOW + ["--sdk_container_image=other:1"],
        DATAFLOW + ["--worker_harness_container_image", "other:1"],
        ["--runner=PortableRunner", "--environment_type=DOCKER", "--environment_config=other:1"],
        ["--runner=PortableRunner", "--environment_options=docker_container_image=other:1"],
        ["--runner=PortableRunner", "--environment_type=EXTERNAL", "--environment_config=localhost:50000"],
        ["--runner=FlinkRunner", "--environment_type=LOOPBACK"],
        ["--direct_num_workers=2"],
        ["--runner=DirectRunner"],
        [],
    ):
        assert default_sdk_container_image(args, environ) == args, args


def test_outside_the_image_the_flags_are_unchanged_and_a_warning_says_why(caplog):
    with caplog.at_level(logging.WARNING, logger="components.common.beam_options"):
        assert default_sdk_container_image(DATAFLOW, {}) == DATAFLOW
    assert "--sdk_container_image" in caplog.text and IMAGE_ENV in caplog.text


def test_the_image_is_read_when_the_step_runs_not_at_import(monkeypatch):
    monkeypatch.setenv(IMAGE_ENV, "first:1")
    assert pipeline_options(DATAFLOW).get_all_options()["sdk_container_image"] == "first:1"
    monkeypatch.setenv(IMAGE_ENV, "second:2")
    assert pipeline_options(DATAFLOW).get_all_options()["sdk_container_image"] == "second:2"
