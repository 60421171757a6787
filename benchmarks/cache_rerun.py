"""A full training run beside a re-run that changes only ``epochs``, with kfp's local cache.

    make bench-cache                      # inside the tfx-1.21 image (kfp 2.17's local cache)
    python benchmarks/cache_rerun.py [--repeat 3] [--epochs 15 20] [--json OUT]

Each repeat takes a fresh workdir and a private copy of the penguins, runs the training
pipeline (warm worker, as ``kfp-tf run``) with ``epochs=A`` — the full run, which also
fills ``<workdir>/kfp_cache`` — and then again in the same workdir with ``epochs=B``:
the re-run. For every run it reports the tasks that ran and the ones served from the
cache (every task of the full run that did not run again), the process wall time, the
CPU seconds of the whole process tree (this process, the warm worker and every task
child: user + system, from /proc), and wall and CPU seconds per task (tasks run one
at a time, so a task's CPU is what the tree spent between its start and end lines).

Needs kfp >= 2.17 (the tfx-1.21 track); on kfp 2.13 there is no local cache and it
says so. The machines are shared: compare the re-run with the full run of the same
repeat, and prefer CPU seconds, which other work disturbs far less than wall time.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
PENGUINS = os.path.join(REPO_ROOT, "pipelines", "sample_data", "penguins.csv")
_TICKS = os.sysconf("SC_CLK_TCK")
_STARTED = re.compile(r"\[kfp-tf\] ([\w-]+): running$")
_ENDED = re.compile(r"\[kfp-tf\] ([\w-]+): (\S+) in [\d.]+ s$")


def _stat(pid):
    """(ppid, utime + stime + cutime + cstime in seconds) of one process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICKS


def tree_cpu_seconds(root=None):
    """CPU seconds of ``root`` (this process) and all its live descendants, each with
    its reaped children: everything the tree has spent so far."""
    root = root or os.getpid()
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            found = _stat(int(name))
            if found:
                stats[int(name)] = found
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


class TaskClock:
    """Stands in for stdout while a run prints: on each runner line "<task>: running" and
    "<task>: ok in ..." it notes the tree's CPU seconds; passes everything through."""

    def __init__(self, stream):
        self._stream, self._pending = stream, ""
        self.started, self.cpu = {}, {}

    def write(self, text):
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            started, ended = _STARTED.search(line), _ENDED.search(line)
            if started:
                self.started[started.group(1)] = tree_cpu_seconds()
            elif ended and ended.group(1) in self.started:
                self.cpu[ended.group(1)] = round(tree_cpu_seconds() - self.started[ended.group(1)], 1)
            self._stream.write(line + "\n")
        return len(text)

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return False


def run_once(workdir, data, epochs, quiet):
    from pipelines import training
    from pipelines.local import run_locally

    arguments = {"data_path": data, "label": "species", "serving_model_dir": os.path.join(workdir, "serving"),
                 "epochs": epochs}
    clock = TaskClock(open(os.devnull, "w") if quiet else sys.stdout)
    real_stdout, sys.stdout = sys.stdout, clock
    cpu_before, started = tree_cpu_seconds(), time.perf_counter()
    try:
        summary = run_locally(training, arguments, workdir)
    finally:
        sys.stdout = real_stdout
    wall, cpu = time.perf_counter() - started, tree_cpu_seconds() - cpu_before
    if summary["status"] != "succeeded":
        raise SystemExit(f"epochs={epochs}: the run {summary['status']}: {summary.get('failed_task')} "
                         f"{summary.get('error')}")
    return {"epochs": epochs, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "blessed": summary.get("blessed"),
            "pushed": bool(summary.get("pushed_model")),
            "tasks": {task: {"wall_s": seconds, "cpu_s": clock.cpu.get(task)}
                      for task, seconds in summary["task_seconds"].items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs=2, default=(15, 20), metavar=("FULL", "RERUN"))
    parser.add_argument("--json", help="write the results here as JSON (- for stdout)")
    parser.add_argument("--verbose", action="store_true", help="show the runs' console lines")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import kfp

    from pipelines.local_cache import local_cache_supported

    if not local_cache_supported():
        raise SystemExit(f"kfp {kfp.__version__} has no local cache (kfp >= 2.17: the tfx-1.21 track)")
    repeats = []
    for repeat in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="kfp-tf-cache-bench-") as workdir:
            data = os.path.join(workdir, "penguins.csv")
            shutil.copyfile(PENGUINS, data)
            full = run_once(workdir, data, args.epochs[0], not args.verbose)
            rerun = run_once(workdir, data, args.epochs[1], not args.verbose)
        rerun["cached"] = sorted(set(full["tasks"]) - set(rerun["tasks"]))
        repeats.append({"full": full, "rerun": rerun})
        print(f"repeat {repeat + 1}: full {full['wall_s']} s wall, {full['cpu_s']} s CPU; re-run {rerun['wall_s']} s "
              f"wall, {rerun['cpu_s']} s CPU; cached: {', '.join(rerun['cached'])}", flush=True)

    def median(kind, key, task=None):
        values = [(r[kind]["tasks"].get(task, {}) if task else r[kind]).get(key) for r in repeats]
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 1) if values else None

    tasks = list(repeats[0]["full"]["tasks"])
    print(f"\nmedian of {len(repeats)} repeats (epochs {args.epochs[0]} then {args.epochs[1]}; kfp {kfp.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'task':<20}{'full wall':>10}{'full CPU':>10}{'re-run wall':>13}{'re-run CPU':>12}")
    for task in tasks:
        ran = all(task in r["rerun"]["tasks"] for r in repeats)
        cached = all(task not in r["rerun"]["tasks"] for r in repeats)
        wall = f"{median('rerun', 'wall_s', task):>13}" if ran else f"{'cached' if cached else 'mixed':>13}"
        cpu = f"{median('rerun', 'cpu_s', task):>12}" if ran else f"{'':>12}"
        print(f"{task:<20}{median('full', 'wall_s', task):>10}{median('full', 'cpu_s', task):>10}{wall}{cpu}")
    full_wall, full_cpu = median("full", "wall_s"), median("full", "cpu_s")
    rerun_wall, rerun_cpu = median("rerun", "wall_s"), median("rerun", "cpu_s")
    print(f"{'process (whole run)':<20}{full_wall:>10}{full_cpu:>10}{rerun_wall:>13}{rerun_cpu:>12}")
    print(f"re-run / full: wall {rerun_wall / full_wall:.2f}, CPU {rerun_cpu / full_cpu:.2f}")
    if args.json:
        results = {"epochs": args.epochs, "kfp": kfp.__version__, "repeats": repeats}
        if args.json == "-":  # inside the image (/src read-only): on stdout
            print(json.dumps(results))
        else:
            with open(args.json, "w") as handle:
                json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
