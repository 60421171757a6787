"""Apache Beam pipeline options for the runtime functions."""
from typing import Optional, Sequence


def pipeline_options(beam_pipeline_args: Optional[Sequence[str]] = None):
    """Beam options from a list of command-line style flags.

    With no ``--runner`` flag, Beam's FnApiRunner runs the pipeline in this
    process: the engine Beam's DirectRunner itself picks for batch pipelines, named
    explicitly because Beam 2.72's DirectRunner first tries to download its Prism
    runner from GitHub (slow or impossible in a locked-down container). Pass for example
    ``["--runner=DataflowRunner", "--project=P", "--region=R", "--temp_location=gs://..."]``
    to run on Dataflow.

    Beam's local multi-process mode (``--direct_num_workers=N
    --direct_running_mode=multi_processing``) is deliberately not used: with two
    workers it made the ingest of the benchmark's taxi CSV 1.5 times faster, but at
    2,000,000 rows two of six runs silently dropped 6% of the rows (Beam 2.72), and
    it did not speed up statistics, whose worker processes each import TensorFlow.
    """
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(beam_pipeline_args or [])
    if not any(arg.startswith("--runner") for arg in args):
        args.append("--runner=FnApiRunner")
    return PipelineOptions(args)
