"""Benchmarks of the local training pipeline and the authoring layer.

    make bench-quick      # or: .venv/bin/python benchmarks/run.py [--repeat N]
    make bench-tfx        # or: .venv/bin/python benchmarks/run.py --tfx [--repeat N]

Prints a table and writes benchmarks/results/latest.json. Every figure is process
wall time measured here, in this run, and the local pipeline is reported beside a
reference taken in the same run: the same pipeline with every task started as a
cold python3 process (what kfp's own SubprocessRunner does). The machines are
shared and noisy, so compare ratios, not seconds across runs.

With --tfx it alternates our local penguin run (warm worker) with the same job as a TFX
1.16 pipeline under LocalDagRunner (benchmarks/tfx_penguin.py, in the TFX environment
.bench-tfx), N times each, and writes benchmarks/results/tfx_penguin.json: each run's
process wall and CPU seconds (user + system of the reaped process tree) and the load
average around it, the medians, and ours / TFX against the target (issue 17: at most 0.3).
"""
import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "latest.json")
KFP_TF = os.path.join(os.path.dirname(sys.executable), "kfp-tf")
TFX_PYTHON = os.path.join(REPO_ROOT, ".bench-tfx", "bin", "python")
TFX_RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "tfx_penguin.json")
TFX_TARGET = 0.3  # issue 17: the local penguin run at most 0.3x TFX's LocalDagRunner
VERSIONS = ("tensorflow", "tensorflow-transform", "tensorflow-model-analysis", "apache-beam", "keras", "tf-keras")


def timed(command, **kwargs):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, **kwargs)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def load_average():
    with open("/proc/loadavg") as handle:
        return [float(value) for value in handle.read().split()[:3]]


def measured(command, **kwargs):
    """Process wall and CPU seconds of ``command`` (user + system of every process of its
    tree that was waited for), with the load average before and after."""
    load_before, before = load_average(), resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(command, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"process_wall_s": wall, "cpu_s": cpu, "load_before": load_before, "load_after": load_average()}


def authoring(repeat):
    imports = [timed([sys.executable, "-c", "import pipelines, components.catalog"]) for _ in range(repeat)]
    with tempfile.TemporaryDirectory() as out:
        compiles = [timed([KFP_TF, "compile", "--output-dir", out]) for _ in range(repeat)]
    return {"import_pipelines_s": statistics.median(imports), "compile_all_s": statistics.median(compiles)}


def penguin_run(cold):
    with tempfile.TemporaryDirectory() as workdir:
        command = [KFP_TF, "run", "training", "--workdir", workdir] + (["--cold"] if cold else [])
        run = measured(command)
        summary = json.load(open(os.path.join(workdir, "summary.json")))
    assert summary["status"] == "succeeded" and summary["blessed"], summary
    return dict(run, pipeline_s=summary["seconds"], task_seconds=summary["task_seconds"],
                accuracy=summary["metrics"]["accuracy"])


def tfx_penguin_run():
    with tempfile.TemporaryDirectory() as workdir:
        run = measured([TFX_PYTHON, os.path.join(REPO_ROOT, "benchmarks", "tfx_penguin.py"), "--workdir", workdir])
        summary = json.load(open(os.path.join(workdir, "summary.json")))
    assert summary["status"] == "succeeded" and summary["pushed"], summary
    return dict(run, pipeline_s=summary["seconds"], task_seconds=summary["task_seconds"], accuracy=summary["accuracy"])


def versions(python, names):
    code = ("import importlib.metadata as m, sys\nfor n in sys.argv[1:]:\n"
            "    try: print(n, m.version(n))\n    except m.PackageNotFoundError: pass")
    out = subprocess.run([python, "-c", code, *names], capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def against_tfx(repeat):
    """Our local penguin run and TFX's, alternated ``repeat`` times; written to TFX_RESULTS."""
    if not os.path.exists(TFX_PYTHON):
        raise SystemExit(f"{TFX_PYTHON} is missing: make bench-tfx creates it (benchmarks/requirements-tfx.txt)")
    runs = {"ours": [], "tfx": []}
    for index in range(repeat):  # alternated, so both see the same noise
        for side, run in (("ours", lambda: penguin_run(cold=False)), ("tfx", tfx_penguin_run)):
            runs[side].append(run())
            last = runs[side][-1]
            print(f"run {index + 1} {side:<5}wall {last['process_wall_s']:7.1f} s  CPU {last['cpu_s']:7.1f} s  "
                  f"load {last['load_before'][0]:.2f} -> {last['load_after'][0]:.2f}", flush=True)
    medians = {side: {key: statistics.median(r[key] for r in items) for key in ("process_wall_s", "cpu_s")}
               for side, items in runs.items()}
    ratio = {key: medians["ours"][key] / medians["tfx"][key] for key in ("process_wall_s", "cpu_s")}
    results = {"measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
               "versions": {"ours": versions(sys.executable, ("kfp",) + VERSIONS),
                            "tfx": versions(TFX_PYTHON, ("tfx",) + VERSIONS)},
               "runs": runs, "medians": medians, "ours_over_tfx": ratio, "target": TFX_TARGET,
               "met": ratio["process_wall_s"] <= TFX_TARGET}
    os.makedirs(os.path.dirname(TFX_RESULTS), exist_ok=True)
    with open(TFX_RESULTS, "w") as handle:
        json.dump(results, handle, indent=2)
    print(f"{'median':<10}{'wall (s)':>10}{'CPU (s)':>10}")
    for side, values in medians.items():
        print(f"  {side:<8}{values['process_wall_s']:>10.1f}{values['cpu_s']:>10.1f}")
    print(f"ours / TFX: wall {ratio['process_wall_s']:.2f}, CPU {ratio['cpu_s']:.2f} (target <= {TFX_TARGET}: "
          f"{'met' if results['met'] else 'missed'})")
    print(f"written to {os.path.relpath(TFX_RESULTS, REPO_ROOT)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, help="runs of each pipeline variant (median reported; default 1, 3 with --tfx)")
    parser.add_argument("--tfx", action="store_true", help="ours against TFX 1.16's LocalDagRunner on the same job")
    args = parser.parse_args(argv)
    if args.tfx:
        return against_tfx(args.repeat or 3)

    results = {"measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
               "authoring": authoring(3)}
    runs = {"warm": [], "cold": []}
    for _ in range(args.repeat or 1):  # interleaved, so both variants see the same noise
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
