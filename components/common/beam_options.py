"""Apache Beam pipeline options for the runtime functions."""
from typing import Optional, Sequence


def pipeline_options(beam_pipeline_args: Optional[Sequence[str]] = None):
    """Beam options from a list of command-line style flags.

    With no flags the DirectRunner runs in memory, which is the fastest choice
    for data that fits on one machine. Pass for example
    ``["--runner=DataflowRunner", "--project=P", "--region=R", "--temp_location=gs://..."]``
    to run on Dataflow, or ``["--direct_num_workers=0",
    "--direct_running_mode=multi_processing"]`` to use every local core.
    """
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(beam_pipeline_args or [])
    if not any(arg.startswith("--runner") for arg in args):
        args.append("--runner=DirectRunner")
    return PipelineOptions(args)
