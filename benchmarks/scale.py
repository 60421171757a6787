"""Components at scale, each beside the direct library call on the same data, in the same run.

    make bench-scale                                   # 1,000,000 rows
    .venv/bin/python benchmarks/scale.py --rows 200000 # a quicker run

On a synthetic taxi-like CSV (``benchmarks/taxi_data.py``; label ``tip_amount``, so a
regression), four steps each run twice, ours and direct, every run in a fresh process
(``benchmarks/steps.py``) so its peak memory is its own:

- data validation: ingest + statistics + schema + validate vs ``tfdv.generate_statistics_from_csv``;
- transform: our transform vs ``tft_beam.AnalyzeAndTransformDataset`` (train) and
  ``TransformDataset`` (eval) with the same preprocessing_fn, both splits written;
- train, one epoch: our train (which also evaluates the eval split and exports the
  serving model) vs a bare Keras ``Model.fit`` of the same model on the same tf.data input;
- evaluate: our evaluate vs ``tfma.run_model_analysis`` with the same EvalConfig.

Each direct call reads what our previous step wrote, so both sides see the same data.
``seconds`` is the step after its imports; ratio = ours / direct. Results:
benchmarks/results/scale.json.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
from benchmarks.taxi_data import LABEL, write_taxi_csv  # noqa: E402

RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "scale.json")
STEPS_SCRIPT = os.path.join(REPO_ROOT, "benchmarks", "steps.py")
TARGET_RATIO = 1.25
STEPS = {
    "data_validation": ("ingest+statistics+schema+validate", "tfdv.generate_statistics_from_csv"),
    "transform": ("transform", "tft_beam.AnalyzeAndTransformDataset"),
    "train": ("train, 1 epoch (+eval, export)", "keras Model.fit, 1 epoch"),
    "evaluate": ("evaluate", "tfma.run_model_analysis"),
}


def run_step(step, side, params):
    """Run one side of a step in a fresh process; its figures plus the process wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, STEPS_SCRIPT, step, side, json.dumps(params)],
        capture_output=True, text=True, cwd=REPO_ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore"),
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{step} ({side}) failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = round(wall, 1)
    figures["rows_per_second"] = round(figures["rows"] / figures["seconds"])
    return figures


# What each side writes (removed before each of its runs, so a repeat starts clean and
# our trainer finds no checkpoint to resume from).
OUTPUTS = {
    ("data_validation", "direct"): ["direct_statistics"],
    ("data_validation", "ours"): ["examples", "statistics", "schema", "anomalies"],
    ("transform", "direct"): ["direct_transform"],
    ("transform", "ours"): ["transform_graph", "transformed_examples"],
    ("train", "direct"): [],
    ("train", "ours"): ["model"],
    ("evaluate", "direct"): ["direct_evaluation"],
    ("evaluate", "ours"): ["evaluation", "blessing"],
}


def artifact_paths(work):
    paths = {name: os.path.join(work, name) for outputs in OUTPUTS.values() for name in outputs}
    paths["direct_statistics"] = os.path.join(work, "direct_statistics.pb")
    return paths


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def best_of(runs):
    """The run least disturbed by other work on the machine (lowest wall time), with every run's seconds."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["runs_seconds"] = [r["seconds"] for r in runs]
    best["min_cpu_seconds"] = min(r["cpu_seconds"] for r in runs)
    return best


def run_all(work, rows, batch_size, seed, repeat):
    params = dict(artifact_paths(work), csv=os.path.join(work, "taxi.csv"), label=LABEL, task="regression",
                  batch_size=batch_size, seed=seed)
    started = time.perf_counter()
    write_taxi_csv(params["csv"], rows)
    csv_mb = os.path.getsize(params["csv"]) / 1e6
    print(f"generated {rows:,} rows ({csv_mb:.0f} MB) in {time.perf_counter() - started:.0f} s", flush=True)
    results = {}
    for step in STEPS:
        runs = {"direct": [], "ours": []}
        for attempt in range(repeat):  # alternate which side goes first
            for side in ("direct", "ours") if attempt % 2 == 0 else ("ours", "direct"):
                for name in OUTPUTS[(step, side)]:
                    _remove(params[name])
                figures = run_step(step, side, params)
                runs[side].append(figures)
                print(f"  {step:<16}{side:<8}{figures['seconds']:>8.1f} s{figures['cpu_seconds']:>8.1f} cpu-s"
                      f"{figures['peak_rss_gib']:>7.2f} GiB  {figures['detail']}", flush=True)
        pair = {side: best_of(side_runs) for side, side_runs in runs.items()}
        pair["ratio"] = round(pair["ours"]["seconds"] / pair["direct"]["seconds"], 2)
        pair["cpu_ratio"] = round(pair["ours"]["min_cpu_seconds"] / pair["direct"]["min_cpu_seconds"], 2)
        results[step] = pair
        if step == "data_validation":
            params["split_row_counts"] = runs["ours"][-1]["detail"]["split_row_counts"]
            with open(os.path.join(work, "params.json"), "w") as handle:  # to rerun or profile one step
                json.dump(params, handle, indent=2)
    return csv_mb, results


def print_table(report):
    print(f"\n{report['rows']:,} rows, best of {report['repeat']}; seconds after imports; "
          f"ratio = ours / direct (target <= {TARGET_RATIO}); cpu ratio: the same in CPU seconds")
    header = (f"{'step':<17}{'ours s':>8}{'rows/s':>9}{'GiB':>6}  {'direct s':>8}{'rows/s':>9}{'GiB':>6}"
              f"{'ratio':>7}{'cpu ratio':>10}")
    print(header)
    print("-" * len(header))
    for step in STEPS:
        pair = report["steps"][step]
        o, d = pair["ours"], pair["direct"]
        print(f"{step:<17}{o['seconds']:>8.1f}{o['rows_per_second']:>9,}{o['peak_rss_gib']:>6.2f}  "
              f"{d['seconds']:>8.1f}{d['rows_per_second']:>9,}{d['peak_rss_gib']:>6.2f}"
              f"{pair['ratio']:>7.2f}{pair['cpu_ratio']:>10.2f}{'' if pair['ratio'] <= TARGET_RATIO else '  over target'}")
    for step, (ours_name, direct_name) in STEPS.items():
        print(f"  {step}: ours = {ours_name}; direct = {direct_name}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=32, help="training batch size (the pipeline's default)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each side, alternating which goes first; the fastest is reported")
    parser.add_argument("--keep", metavar="DIR", help="write the data and artifacts here and keep them (for profiling)")
    parser.add_argument("--results", default=RESULTS, help="where to write the JSON (default: %(default)s)")
    args = parser.parse_args(argv)

    work = args.keep or tempfile.mkdtemp(prefix="kfp-tf-scale-")
    os.makedirs(work, exist_ok=True)
    try:
        csv_mb, steps = run_all(work, args.rows, args.batch_size, args.seed, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = {
        "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "rows": args.rows,
        "csv_mb": round(csv_mb),
        "batch_size": args.batch_size,
        "repeat": args.repeat,
        "target_ratio": TARGET_RATIO,
        "steps": steps,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "w") as handle:
        json.dump(report, handle, indent=2)
    print_table(report)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
