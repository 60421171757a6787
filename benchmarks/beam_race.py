"""The Beam 2.72 multi-worker data-loss race, reproduced with plain Beam.

    python benchmarks/beam_race.py [--elements 300000] [--flush-ms 20] [--fix] [--mode multi_threading]

A pipeline that only moves elements: Create -> FlatMap to ~1 KB strings -> a stage
boundary (the next step reads a side input computed from those strings, so the
FlatMap's output is shipped to the workers as the next stage's input) -> Count. It prints one JSON line:
``{"expected": N, "counted": M, "lost": N - M, ...}``.

``--flush-ms`` sets the runner's timed flush period
(``worker_handlers.DATA_BUFFER_TIME_LIMIT_MS``, 1000 in Beam); a short one makes the
race frequent. ``--fix`` builds the options through
``components.common.beam_options.pipeline_options``, which applies the project's fix
for two or more workers. Run it in its own process: both settings are process-wide.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SEEDS = 100  # Create's elements; each FlatMaps to elements / SEEDS payloads


def run(elements: int, flush_ms: int, fix: bool, mode: str, workers: int) -> dict:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = flush_ms
    args = ["--runner=FnApiRunner", f"--direct_num_workers={workers}", f"--direct_running_mode={mode}"]
    if fix:
        from components.common.beam_options import pipeline_options

        options = pipeline_options(args)
    else:
        options = PipelineOptions(args)
    per_seed = elements // SEEDS
    payload = "x" * 1000

    def expand(seed):
        for index in range(per_seed):
            yield f"{seed}-{index}-{payload}"

    import tempfile

    folder = tempfile.mkdtemp(prefix="beam-race-")
    count_file = os.path.join(folder, "count")

    def write_count(count):
        with open(count_file, "w") as handle:
            handle.write(str(count))

    started = time.monotonic()
    with beam.Pipeline(options=options) as pipeline:
        expanded = pipeline | "Seeds" >> beam.Create(range(SEEDS)) | "Expand" >> beam.FlatMap(expand)
        first = expanded | "First" >> beam.combiners.Sample.FixedSizeGlobally(1)
        counted = (
            expanded
            # A side input computed from the same elements: this step cannot be fused
            # with Expand, so Expand's output is buffered by the runner and sent to the
            # workers over the data plane as this stage's input.
            | "AfterBoundary" >> beam.Map(lambda element, side: 1, side=beam.pvalue.AsSingleton(first))
            | "Count" >> beam.combiners.Count.Globally()
        )
        # The count is written by a worker (a thread or another process): through a file.
        counted | "Keep" >> beam.Map(write_count)
    seconds = time.monotonic() - started
    with open(count_file) as handle:
        counted = int(handle.read())
    os.remove(count_file)
    os.rmdir(folder)
    return {"counted": counted, "seconds": round(seconds, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=300_000)
    parser.add_argument("--flush-ms", type=int, default=20)
    parser.add_argument("--fix", action="store_true")
    parser.add_argument("--mode", default="multi_threading", choices=["multi_threading", "multi_processing"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    outcome = run(args.elements, args.flush_ms, args.fix, args.mode, args.workers)
    expected = (args.elements // SEEDS) * SEEDS
    print(json.dumps({"expected": expected, **outcome, "lost": expected - outcome["counted"],
                      "fix": args.fix, "mode": args.mode, "flush_ms": args.flush_ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
