"""Apache Beam pipeline options for the runtime functions, and the multi-worker fix.

Beam 2.72's FnApiRunner loses data with more than one worker
(``--direct_num_workers`` other than 1). It sends each stage's input to the workers
through a ``TimeBasedBufferingClosableOutputStream`` (``runners/worker/data_plane.py``):
a timer thread flushes the buffer every ``worker_handlers.DATA_BUFFER_TIME_LIMIT_MS``
(1000 ms) by sending ``get()`` and then calling ``_clear()`` under the stream's
``_flush_lock``, while the runner's writes (``fn_runner.py``, through the Cython
``OutputStream.write``) take no lock. A chunk written between the ``get()`` and the
``_clear()`` is discarded: whole elements vanish and nothing fails. The one-worker
mode uses no such stream and is not affected. benchmarks/README.md holds the report
for Beam (a plain pipeline that loses elements, the cause, the fix).

The fix here sets ``DATA_BUFFER_TIME_LIMIT_MS`` to 0 in the process that runs the
pipeline, before it starts: the data plane then uses its size-based stream, which
flushes only from the writing thread (when its buffer is full, and on close), so there
is no second thread to race with. It changes one documented module setting rather
than Beam's code; the timed flush only bounds latency for streaming, which a batch
step does not need. (The other cure, taking the flush lock around every write, means
replacing a method of a Cython class; it also passed every trial, but it patches code.)
It is applied only when more than one worker is asked for, and only on the Beam
versions it was verified on (``VERIFIED_BEAM``); on any other version ``pipeline_options``
refuses more than one worker until the fix is checked again
(``benchmarks/beam_race.py`` and tests/test_beam_multiworker.py show how).
"""
import logging
import os
from typing import List, Optional, Sequence

from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)

# The Beam versions the race and its fix were verified on (benchmarks/beam_race.py,
# tests/test_beam_multiworker.py): 2.72.0 (the tfx-1.16 track), 2.77.0 (tfx-1.21, in its image).
VERIFIED_BEAM = ("2.72.0", "2.77.0")

# The component image's own URI, baked into it at build time (Dockerfile, SDK_CONTAINER_IMAGE):
# workers of a non-local runner run that image, so they have this package and its TFDV/TFT/TFMA.
IMAGE_ENV = "KFP_TF_SDK_CONTAINER_IMAGE"
LOCAL_RUNNERS = ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner")


def worker_count(args: Sequence[str]) -> int:
    """The ``--direct_num_workers`` in ``args`` (1 when absent; 0 means one per core)."""
    import multiprocessing

    count = 1
    for index, arg in enumerate(args):
        if arg.startswith("--direct_num_workers="):
            count = int(arg.split("=", 1)[1])
        elif arg == "--direct_num_workers" and index + 1 < len(args):
            count = int(args[index + 1])
    return multiprocessing.cpu_count() if count == 0 else count


def apply_multiworker_fix(beam_version: str) -> None:
    """Turn off the FnApiRunner's timed flush of worker input (see the module docstring).

    Raises:
      ConfigurationError: ``beam_version`` is not one the fix was verified on.
    """
    if beam_version not in VERIFIED_BEAM:
        raise ConfigurationError(
            f"More than one local Beam worker (--direct_num_workers) is refused on Apache Beam {beam_version}: "
            f"Beam {' and '.join(VERIFIED_BEAM)}'s FnApiRunner silently dropped elements with several workers, and the "
            "fix in components/common/beam_options.py was verified on those versions only. Use one worker, or run "
            "benchmarks/beam_race.py (and tests/test_beam_multiworker.py) on this version and update VERIFIED_BEAM."
        )
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = 0


def _flag_values(args: Sequence[str], name: str) -> List[str]:
    """The values given to ``--name`` in ``args`` (``--name=v`` or ``--name v``)."""
    values = []
    for index, arg in enumerate(args):
        if arg.startswith(name + "="):
            values.append(arg.split("=", 1)[1])
        elif arg == name and index + 1 < len(args):
            values.append(args[index + 1])
    return values


def default_sdk_container_image(args: Sequence[str], environ=None) -> List[str]:
    """``args`` plus the image this runs in as the SDK workers' image, for a non-local runner:
    ``--sdk_container_image=<image>`` for Dataflow, ``--environment_config=<image>`` for a
    portable runner (Flink, Spark, a job endpoint), the flag each reads.

    Added only when the runner would start SDK containers (Dataflow, or a portable runner
    whose environment is DOCKER, Beam's default) and ``args`` name no image (no
    ``--sdk_container_image``, ``--worker_harness_container_image``, ``--environment_config``
    or ``--environment_options=docker_container_image=...``). The image is the ``KFP_TF_SDK_CONTAINER_IMAGE`` the component
    image carries, read now (at run time). Outside the image (no such variable) ``args`` are
    returned unchanged and a warning says the workers get Beam's default image, which lacks
    TFDV, TFT, TFMA and this package.
    """
    environ = os.environ if environ is None else environ
    runners = _flag_values(args, "--runner")
    if not runners or runners[-1] in LOCAL_RUNNERS:
        return list(args)
    named = any(_flag_values(args, flag) for flag in (
        "--sdk_container_image", "--worker_harness_container_image", "--environment_config")) or any(
        option.startswith("docker_container_image=") for option in _flag_values(args, "--environment_options"))
    environment = (_flag_values(args, "--environment_type") or ["DOCKER"])[-1].upper()
    if named or environment != "DOCKER":
        return list(args)
    image = environ.get(IMAGE_ENV, "")
    if not image:
        logger.warning(
            "Beam runner %s with no --sdk_container_image, outside the component image (%s unset): its workers "
            "get Beam's default image, without TFDV, TFT, TFMA and kfp-tf-components. Pass --sdk_container_image.",
            runners[-1], IMAGE_ENV)
        return list(args)
    logger.info("Beam runner %s: SDK workers run this component image, %s", runners[-1], image)
    if runners[-1] == "DataflowRunner":
        return [*args, f"--sdk_container_image={image}"]
    # A portable runner (Flink, Spark, a job server) takes its DOCKER image from
    # --environment_config; Beam's portable client ignores --sdk_container_image.
    return [*args, f"--environment_config={image}"]


def pipeline_options(beam_pipeline_args: Optional[Sequence[str]] = None):
    """Beam options from a list of command-line style flags.

    With no ``--runner`` flag, Beam's FnApiRunner runs the pipeline in this
    process: the engine Beam's DirectRunner itself picks for batch pipelines, named
    explicitly because Beam 2.72's DirectRunner first tries to download its Prism
    runner from GitHub (slow or impossible in a locked-down container). Pass for example
    ``["--runner=DataflowRunner", "--project=P", "--region=R", "--temp_location=gs://..."]``
    to run on Dataflow.

    On a non-local runner the workers run this component image unless the flags name
    another (``default_sdk_container_image``).

    One worker, whatever the data size, unless ``--direct_num_workers`` says otherwise:
    measured at 200,000 rows on two cores (benchmarks/README.md, "Two workers per Beam
    step"; ``benchmarks/workers.py``), a second worker made ingest, statistics,
    evaluation and batch prediction slower (each worker process starts and imports TensorFlow again) and
    gave transform 11 % less wall time for 1.5 times the CPU, on a machine other work
    kept busy. No step gained enough to pick two workers by size; where cores are
    free, pass ``["--direct_num_workers=2", "--direct_running_mode=multi_processing"]``
    in ``beam_pipeline_args`` and measure. With ``--direct_num_workers`` above 1 (or 0: one per core) and the
    FnApiRunner, the data-loss fix above is applied first.

    Raises:
      ConfigurationError: more than one FnApiRunner worker on an unverified Beam version.
    """
    import apache_beam
    from apache_beam.options.pipeline_options import PipelineOptions

    args: List[str] = list(beam_pipeline_args or [])
    runners = [arg.split("=", 1)[-1] for arg in args if arg.startswith("--runner")]
    if not runners:
        args.append("--runner=FnApiRunner")
    local = not runners or runners[-1] in LOCAL_RUNNERS
    args = default_sdk_container_image(args)
    if local and worker_count(args) > 1:
        apply_multiworker_fix(apache_beam.__version__)
        logger.info("Beam: %d local workers, with the multi-worker data-loss fix", worker_count(args))
    return PipelineOptions(args)
