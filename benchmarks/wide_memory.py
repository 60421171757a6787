"""Transform's memory on wide data: peak RSS of the whole process tree, CPU and wall seconds.

    .venv/bin/python benchmarks/wide_memory.py                       # 100,000 rows x 300 numeric columns
    .venv/bin/python benchmarks/wide_memory.py --rows 500 --columns 300   # the size issue 14 reported

A synthetic CSV (``--columns`` float columns, a few with missing cells, one heavy-tailed
column in every ten; a binary label) goes through ingest, statistics and schema in one
child process ("prepare", measured but not the figure), then transform alone in a fresh
child process ("transform", the figure). While a child runs, the resident memory of it
and of every process it started (Beam workers included) is summed from ``/proc`` every
``--interval`` seconds; the peak of that sum is ``peak_rss_gib``. CPU seconds are the
child's and its reaped descendants' user + system time (``os.wait4``), which other work
on a shared machine disturbs less than wall seconds. Imports are inside each child's
figures. The last line printed is JSON; it is also written to
``benchmarks/results/wide_memory.json``.

Exit status 1 when transform's peak is at or above ``--limit-gib`` (default 4).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "wide_memory.json")
LABEL = "label"
PAGE = os.sysconf("SC_PAGE_SIZE")


def write_wide_csv(path: str, rows: int, columns: int, seed: int = 0) -> None:
    """``rows`` x ``columns`` floats (``x000``...), every tenth heavy-tailed, every seventh
    with 5 % missing cells, and a binary ``label`` that depends on a few of them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = [f"x{i:03d}" for i in range(columns)]
    with open(path, "w") as handle:
        handle.write(",".join(names + [LABEL]) + "\n")
        for start in range(0, rows, 10_000):
            count = min(10_000, rows - start)
            values = rng.normal(size=(count, columns))
            values[:, ::10] = np.exp(3 * values[:, ::10])  # heavy right tail: log1p treatment
            logit = values[:, 1] + 0.5 * values[:, 2] - values[:, 3]
            labels = (logit + rng.normal(size=count) > 1.5).astype(int)
            text = np.char.mod("%.5g", values).astype(object)
            text[:, ::7][rng.random((count, len(range(0, columns, 7)))) < 0.05] = ""
            for row, label in zip(text, labels):
                handle.write(",".join(row) + f",{label}\n")


def _children_of() -> dict:
    """{pid: [child pids]} from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def tree_rss_bytes(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants now."""
    children, total, stack = _children_of(), 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:  # ended while we looked
            pass
        stack.extend(children.get(pid, []))
    return total


def measure(command, interval: float) -> dict:
    """Run ``command``; its wall and CPU seconds, and the peak RSS of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_bytes(process.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    return {
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_gib": round(peak[0] / 2**30, 2),
        "largest_process_max_rss_gib": round(usage.ru_maxrss / 2**20, 2),
    }


def child(step: str, workdir: str) -> None:
    """One step in this process: ``prepare`` (ingest, statistics, schema) or ``transform``."""
    sys.path.insert(0, REPO_ROOT)
    run = lambda name: os.path.join(workdir, name)  # noqa: E731
    if step == "prepare":
        from components.ingest.runtime import ingest
        from components.schema.runtime import make_schema
        from components.statistics.runtime import generate_statistics

        ingest(run("wide.csv"), run("examples"), label=LABEL)
        generate_statistics(run("examples"), run("statistics"))
        make_schema(run("statistics"), run("schema"), label=LABEL)
    else:
        from components.transform.runtime import transform

        transform(run("examples"), run("schema"), run("statistics"), run("transform_graph"),
                  run("transformed_examples"), LABEL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=300)
    parser.add_argument("--workdir", default="", help="default: a new folder under /tmp, removed afterwards")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between memory samples")
    parser.add_argument("--limit-gib", type=float, default=4.0)
    parser.add_argument("--reuse", action="store_true",
                        help="with --workdir: keep its CSV, examples, statistics and schema; measure transform only")
    parser.add_argument("--child", choices=("prepare", "transform"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workdir)
        return
    import shutil
    import tempfile

    workdir = args.workdir or tempfile.mkdtemp(prefix="wide-memory-")
    os.makedirs(workdir, exist_ok=True)
    try:
        steps = ("transform",) if args.reuse else ("prepare", "transform")
        if not args.reuse:
            started = time.perf_counter()
            write_wide_csv(os.path.join(workdir, "wide.csv"), args.rows, args.columns)
            print(f"CSV: {args.rows} rows x {args.columns} columns in {time.perf_counter() - started:.1f} s", flush=True)
        for folder in ("transform_graph", "transformed_examples"):
            shutil.rmtree(os.path.join(workdir, folder), ignore_errors=True)
        figures = {}
        for step in steps:
            figures[step] = measure(
                [sys.executable, os.path.abspath(__file__), "--child", step, "--workdir", workdir], args.interval)
            print(f"{step}: {figures[step]}", flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "rows": args.rows, "columns": args.columns, "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        **figures, "limit_gib": args.limit_gib,
        "under_limit": figures["transform"]["peak_rss_gib"] < args.limit_gib,
    }
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as handle:
        json.dump(result, handle, indent=2)
    print(json.dumps(result))
    sys.exit(0 if result["under_limit"] else 1)


if __name__ == "__main__":
    main()
