"""Does a multi-worker ingest write every row? Ten runs in a row at 2,000,000 rows.

    .venv/bin/python benchmarks/multiworker_rows.py [--rows 2000000] [--runs 10] [--workers 2]

Issue 17's check of the Beam 2.72 data-loss fix (components/common/beam_options.py) at
scale: the synthetic taxi CSV (``benchmarks/taxi_data.py``) is ingested ``--runs`` times,
each in a fresh process with ``--direct_num_workers=N --direct_running_mode=multi_processing``.
After each run the examples it wrote are counted independently of ingest (every record
of every output file, read back through TensorFlow), and compared with the CSV's data
lines. A run passes when the files hold every row and ingest's own row guard agreed; a
run that lost rows fails loudly in ingest (the guard), and that is recorded too.
Results: benchmarks/results/multiworker_rows.json.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "multiworker_rows.json")


def _cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def count_written(examples_dir: str) -> int:
    """Every record in every TFRecord file ingest wrote under ``examples_dir``."""
    import tensorflow as tf

    from components.common import layout

    files = tf.io.gfile.glob(os.path.join(examples_dir, "Split-*", layout.EXAMPLES_GLOB))
    return sum(1 for _ in tf.data.TFRecordDataset(files, compression_type="GZIP"))


def child_main(csv_path: str, workers: int, out: str) -> None:
    """In a fresh process: one ingest with ``workers`` workers, then the independent count."""
    from benchmarks.taxi_data import LABEL
    from components.ingest.runtime import ingest

    args = [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"] if workers > 1 else []
    cpu, started = _cpu_seconds(), time.perf_counter()
    result = ingest(csv_path, out, label=LABEL, beam_pipeline_args=args)
    seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu
    print(json.dumps({"seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
                      "reported": sum(result["split_row_counts"].values()), "written": count_written(out)}))


def one_run(csv_path: str, workers: int, work: str) -> dict:
    out = os.path.join(work, "examples")
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", csv_path, str(workers), out],
        capture_output=True, text=True, cwd=REPO_ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore"),
    )
    shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:  # the row guard's error (or any other) is the run's result
        return {"failed": done.stderr.strip().splitlines()[-3:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--child", nargs=3, metavar=("CSV", "WORKERS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        csv_path, workers, out = args.child
        return child_main(csv_path, int(workers), out)

    from benchmarks.taxi_data import write_taxi_csv

    work = tempfile.mkdtemp(prefix="kfp-tf-multiworker-")
    try:
        csv_path = os.path.join(work, "taxi.csv")
        write_taxi_csv(csv_path, args.rows)
        runs = []
        for index in range(args.runs):
            figures = one_run(csv_path, args.workers, work)
            figures["every_row"] = figures.get("written") == args.rows == figures.get("reported")
            runs.append(figures)
            print(f"run {index + 1}/{args.runs}: {figures}", flush=True)
            _write(args, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    complete = sum(run["every_row"] for run in runs)
    print(f"{complete} of {len(runs)} runs wrote all {args.rows:,} rows")
    return 0 if complete == len(runs) else 1


def _write(args, runs):
    report = {
        "rows": args.rows, "workers": args.workers, "runs": runs,
        "complete_runs": sum(run["every_row"] for run in runs),
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
    }
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as handle:
        json.dump(report, handle, indent=2)


if __name__ == "__main__":
    sys.exit(main())
