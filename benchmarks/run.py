"""Benchmarks of the local training pipeline and the authoring layer.

    make bench-quick      # or: .venv/bin/python benchmarks/run.py [--repeat N]

Prints a table and writes benchmarks/results/latest.json. Every figure is process
wall time measured here, in this run, and the local pipeline is reported beside a
reference taken in the same run: the same pipeline with every task started as a
cold python3 process (what kfp's own SubprocessRunner does). The machines are
shared and noisy, so compare ratios, not seconds across runs.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "latest.json")
KFP_TF = os.path.join(os.path.dirname(sys.executable), "kfp-tf")


def timed(command, **kwargs):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, **kwargs)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def authoring(repeat):
    imports = [timed([sys.executable, "-c", "import pipelines, components.catalog"]) for _ in range(repeat)]
    with tempfile.TemporaryDirectory() as out:
        compiles = [timed([KFP_TF, "compile", "--output-dir", out]) for _ in range(repeat)]
    return {"import_pipelines_s": statistics.median(imports), "compile_all_s": statistics.median(compiles)}


def penguin_run(cold):
    with tempfile.TemporaryDirectory() as workdir:
        command = [KFP_TF, "run", "training", "--workdir", workdir] + (["--cold"] if cold else [])
        wall = timed(command)
        summary = json.load(open(os.path.join(workdir, "summary.json")))
    assert summary["status"] == "succeeded" and summary["blessed"], summary
    return {"process_wall_s": wall, "pipeline_s": summary["seconds"], "task_seconds": summary["task_seconds"],
            "accuracy": summary["metrics"]["accuracy"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each pipeline variant (median reported)")
    args = parser.parse_args(argv)

    results = {"measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
               "authoring": authoring(3)}
    runs = {"warm": [], "cold": []}
    for _ in range(args.repeat):  # interleaved, so both variants see the same noise
        runs["warm"].append(penguin_run(cold=False))
        runs["cold"].append(penguin_run(cold=True))
    for variant, items in runs.items():
        best = sorted(items, key=lambda r: r["process_wall_s"])[len(items) // 2]
        results[f"penguins_{variant}"] = best
    results["penguins_warm_over_cold"] = results["penguins_warm"]["process_wall_s"] / results["penguins_cold"]["process_wall_s"]

    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as handle:
        json.dump(results, handle, indent=2)

    warm, cold = results["penguins_warm"], results["penguins_cold"]
    tasks = list(cold["task_seconds"])
    print(f"{'step':<28}{'warm worker (s)':>16}{'cold tasks (s)':>16}")
    for task in tasks:
        print(f"  {task:<26}{warm['task_seconds'].get(task, 0):>16.1f}{cold['task_seconds'][task]:>16.1f}")
    print(f"{'penguin run, process wall':<28}{warm['process_wall_s']:>16.1f}{cold['process_wall_s']:>16.1f}")
    print(f"warm / cold: {results['penguins_warm_over_cold']:.2f}")
    print(f"import pipelines: {results['authoring']['import_pipelines_s']:.2f} s; "
          f"compile every pipeline and component: {results['authoring']['compile_all_s']:.2f} s")
    print(f"written to {os.path.relpath(RESULTS, REPO_ROOT)}")


if __name__ == "__main__":
    main()
