"""Components at scale, each beside the direct library call on the same data, in the same run.

    make bench-scale                                   # 1,000,000 rows
    .venv/bin/python benchmarks/scale.py --rows 200000 # a quicker run
    .venv/bin/python benchmarks/scale.py --rows 100000,1000000,4000000 --sides ours \
        --steps data_validation,transform,train --keep /tmp/scaling   # a scaling table

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

``--sides`` and ``--steps`` run a subset. Several ``--rows`` sizes give one result per
size (``--keep DIR`` then keeps each in DIR/<rows>) and a scaling table: each step's
time per row and peak memory against the smallest size (linear time and flat memory
read about 1.0). Results: benchmarks/results/scaling.json. A subset without
data_validation reuses a kept folder's data (its params.json), e.g. to rerun evaluate.
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
SCALING_RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "scaling.json")
TARGET_RATIO = 1.25
SIDES = ("direct", "ours")
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


def prepare(work, rows, batch_size, seed, generate):
    """The steps' parameters: a fresh CSV of ``rows`` rows, or a kept folder's params.json."""
    kept = os.path.join(work, "params.json")
    if not generate:
        if not os.path.exists(kept):
            raise SystemExit(f"{kept} missing: run data_validation first (with --keep)")
        with open(kept) as handle:
            params = json.load(handle)
        return params, os.path.getsize(params["csv"]) / 1e6 if os.path.exists(params["csv"]) else None
    params = dict(artifact_paths(work), csv=os.path.join(work, "taxi.csv"), label=LABEL, task="regression",
                  batch_size=batch_size, seed=seed)
    started = time.perf_counter()
    write_taxi_csv(params["csv"], rows)
    csv_mb = os.path.getsize(params["csv"]) / 1e6
    print(f"generated {rows:,} rows ({csv_mb:.0f} MB) in {time.perf_counter() - started:.0f} s", flush=True)
    return params, csv_mb


def run_all(work, rows, batch_size, seed, repeat, steps=tuple(STEPS), sides=SIDES):
    """Each step in ``steps``, each side in ``sides``; per step the best run of each side (and ratios)."""
    params, csv_mb = prepare(work, rows, batch_size, seed, generate="data_validation" in steps)
    results = {}
    for step in steps:
        runs = {side: [] for side in sides}
        for attempt in range(repeat):  # alternate which side goes first
            for side in sides if attempt % 2 == 0 else sides[::-1]:
                for name in OUTPUTS[(step, side)]:
                    _remove(params[name])
                figures = run_step(step, side, params)
                runs[side].append(figures)
                print(f"  {step:<16}{side:<8}{figures['seconds']:>8.1f} s{figures['cpu_seconds']:>8.1f} cpu-s"
                      f"{figures['peak_rss_gib']:>7.2f} GiB  {figures['detail']}", flush=True)
        pair = {side: best_of(side_runs) for side, side_runs in runs.items()}
        if len(sides) == 2:
            pair["ratio"] = round(pair["ours"]["seconds"] / pair["direct"]["seconds"], 2)
            pair["cpu_ratio"] = round(pair["ours"]["min_cpu_seconds"] / pair["direct"]["min_cpu_seconds"], 2)
        results[step] = pair
        if step == "data_validation" and "ours" in sides:
            params["split_row_counts"] = runs["ours"][-1]["detail"]["split_row_counts"]
            with open(os.path.join(work, "params.json"), "w") as handle:  # to rerun or profile one step
                json.dump(params, handle, indent=2)
    return csv_mb, results


def print_table(report):
    """One size: each step, each side run, and the ratios when both sides ran."""
    sides = [side for side in SIDES if side in next(iter(report["steps"].values()))]
    print(f"\n{report['rows']:,} rows, best of {report['repeat']}; seconds after imports; "
          f"ratio = ours / direct (target <= {TARGET_RATIO}); cpu ratio: the same in CPU seconds")
    header = f"{'step':<17}" + "".join(f"{side + ' s':>8}{'rows/s':>9}{'GiB':>6}  " for side in sides[::-1])
    header += f"{'ratio':>7}{'cpu ratio':>10}" if len(sides) == 2 else ""
    print(header)
    print("-" * len(header))
    for step, pair in report["steps"].items():
        line = f"{step:<17}" + "".join(f"{pair[side]['seconds']:>8.1f}{pair[side]['rows_per_second']:>9,}"
                                       f"{pair[side]['peak_rss_gib']:>6.2f}  " for side in sides[::-1])
        if "ratio" in pair:
            line += (f"{pair['ratio']:>7.2f}{pair['cpu_ratio']:>10.2f}"
                     f"{'' if pair['ratio'] <= TARGET_RATIO else '  over target'}")
        print(line)
    for step in report["steps"]:
        print(f"  {step}: ours = {STEPS[step][0]}; direct = {STEPS[step][1]}")


def scaling_rows(reports):
    """(side, step, rows, seconds, cpu seconds, rows/s, GiB, time-per-row ratio, peak ratio) per size,
    the ratios against the smallest size; data validation's ingest and statistics parts beside it."""
    reports = sorted(reports, key=lambda report: report["rows"])
    for side in SIDES:
        for step in reports[0]["steps"]:
            if side not in reports[0]["steps"][step]:
                continue
            parts = [(step, None)]
            if side == "ours" and step == "data_validation":
                parts += [("  ingest", "ingest_s"), ("  statistics", "statistics_s")]
            for name, key in parts:
                base = None
                for report in reports:
                    figures = report["steps"][step][side]
                    seconds = figures["detail"][key] if key else figures["seconds"]
                    base = base or (seconds / figures["rows"], figures["peak_rss_gib"])
                    yield (side, name, figures["rows"], seconds, None if key else figures["cpu_seconds"],
                           round(figures["rows"] / seconds), None if key else figures["peak_rss_gib"],
                           seconds / figures["rows"] / base[0], None if key else figures["peak_rss_gib"] / base[1])


def print_scaling(reports):
    """Time per row and peak memory of each step against the smallest size: ~1.00 is linear / flat."""
    print("\nscaling; rows = the rows the step processes; per-row and peak = against the smallest size")
    widths = (7, 17, 11, 9, 9, 9, 6, 9, 7)
    header = ("side", "step", "rows", "s", "cpu s", "rows/s", "GiB", "per-row", "peak")
    print("".join(f"{h:<{w}}" if i < 2 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(header, widths))))
    print("-" * sum(widths))
    formats = ("", "", ",", ".1f", ".1f", ",", ".2f", ".2f", ".2f")
    for row in scaling_rows(reports):
        print("".join(" " * w if value is None else f"{value:<{w}{f}}" if i < 2 else f"{value:>{w}{f}}"
                      for i, (value, w, f) in enumerate(zip(row, widths, formats))).rstrip())


def _choice(allowed):
    """An argparse type: a comma-separated subset of ``allowed``, in ``allowed``'s order."""
    def parse(text):
        chosen = {name.strip() for name in text.split(",")}
        if not chosen or chosen - set(allowed):
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return tuple(name for name in allowed if name in chosen)
    return parse


def measure(args, rows, work):
    """One size: every chosen step and side, and what the machine was doing meanwhile."""
    load_start = os.getloadavg()
    os.makedirs(work, exist_ok=True)
    try:
        csv_mb, steps = run_all(work, rows, args.batch_size, args.seed, args.repeat, args.steps, args.sides)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return {
        "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "rows": rows,
        "csv_mb": None if csv_mb is None else round(csv_mb),
        "batch_size": args.batch_size,
        "repeat": args.repeat,
        "target_ratio": TARGET_RATIO,
        "steps": steps,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda text: [int(size) for size in text.split(",")], default=[1_000_000],
                        help="rows, or several sizes for a scaling table: 100000,1000000,4000000")
    parser.add_argument("--steps", type=_choice(tuple(STEPS)), default=tuple(STEPS), help="default: all")
    parser.add_argument("--sides", type=_choice(SIDES), default=SIDES, help="ours, direct or both (default)")
    parser.add_argument("--batch-size", type=int, default=32, help="training batch size (the pipeline's default)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each side, alternating which goes first; the fastest is reported")
    parser.add_argument("--keep", metavar="DIR", help="write the data and artifacts here and keep them "
                        "(for profiling; with several sizes, in DIR/<rows>)")
    parser.add_argument("--results", help=f"where to write the JSON (default: {RESULTS}; with several sizes or "
                        f"one side, {SCALING_RESULTS})")
    args = parser.parse_args(argv)

    results = args.results or (RESULTS if len(args.rows) == 1 and len(args.sides) == 2 else SCALING_RESULTS)
    os.makedirs(os.path.dirname(os.path.abspath(results)), exist_ok=True)
    reports = []
    for rows in args.rows:
        if args.keep:
            work = os.path.join(args.keep, str(rows)) if len(args.rows) > 1 else args.keep
        else:
            work = tempfile.mkdtemp(prefix="kfp-tf-scale-")
        reports.append(measure(args, rows, work))
        print_table(reports[-1])
        with open(results, "w") as handle:  # after each size, so a later failure keeps the earlier ones
            json.dump(reports[0] if len(args.rows) == 1 else {"sizes": reports}, handle, indent=2)
    if len(reports) > 1:
        print_scaling(reports)
    print(f"written to {results}")


if __name__ == "__main__":
    main()
