"""Does a second local Beam worker make each Beam step faster? One vs N workers, same data.

    .venv/bin/python benchmarks/workers.py [--rows 200000] [--workers 2] [--repeat 1]

On the synthetic taxi CSV (``benchmarks/taxi_data.py``), the inputs of every Beam step
are prepared once with one worker (ingest, statistics, schema, transform, a one-epoch
train); then each Beam step — ingest, statistics, transform, evaluate, batch prediction
— runs with one worker and with ``--workers`` (``--direct_num_workers=N
--direct_running_mode=multi_processing``, the fix of components/common/beam_options.py
applied), each run in a fresh process. ``seconds`` is the step after its imports;
``cpu_seconds`` counts the step's process and its worker processes (the machine's
other load shows in wall time, much less in CPU time). ratio = N workers / 1 worker.
Results: benchmarks/results/workers.json.
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

RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "workers.json")
STEPS = ("ingest", "statistics", "transform", "evaluate", "predict")


def beam_args(workers: int):
    if workers == 1:
        return []
    return [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]


def prepare(p):
    """The inputs of every step, made once with one worker."""
    from benchmarks.taxi_data import LABEL
    from components.ingest.runtime import ingest
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics
    from components.train.runtime import train
    from components.transform.runtime import transform

    ingest(p["csv"], p["examples"], label=LABEL)
    generate_statistics(p["examples"], p["statistics"])
    make_schema(p["statistics"], p["schema"], label=LABEL)
    transform(p["examples"], p["schema"], p["statistics"], p["transform_graph"], p["transformed_examples"], label=LABEL)
    train(p["transform_graph"], p["transformed_examples"], p["model"], epochs=1, seed=42)


def run_step(step, p, args, out):
    """One step with the Beam flags ``args``, writing under ``out``; the rows it handled."""
    from benchmarks.taxi_data import LABEL

    if step == "ingest":
        from components.ingest.runtime import ingest

        return sum(ingest(p["csv"], out, label=LABEL, beam_pipeline_args=args)["split_row_counts"].values())
    if step == "statistics":
        from components.statistics.runtime import generate_statistics

        generate_statistics(p["examples"], out, beam_pipeline_args=args)
        return None
    if step == "transform":
        from components.transform.runtime import transform

        transform(p["examples"], p["schema"], p["statistics"], os.path.join(out, "graph"), os.path.join(out, "data"),
                  label=LABEL, beam_pipeline_args=args)
        return None
    if step == "evaluate":
        from components.evaluate.runtime import evaluate

        evaluate(p["model"], p["examples"], p["schema"], p["statistics"], p["transform_graph"],
                 os.path.join(out, "evaluation"), os.path.join(out, "blessing"), beam_pipeline_args=args)
        return None
    from components.predict.runtime import predict

    return predict(p["examples"], p["statistics"], p["model"], out, beam_pipeline_args=args)["rows"]


def _cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_main(step, workers, params_file, out):
    """In a fresh process: import, then time one step."""
    with open(params_file) as handle:
        p = json.load(handle)
    import apache_beam  # noqa: F401  the libraries, before the clock starts
    import tensorflow  # noqa: F401
    import tensorflow_data_validation  # noqa: F401
    import tensorflow_model_analysis  # noqa: F401
    import tensorflow_transform.beam  # noqa: F401

    cpu, started = _cpu_seconds(), time.perf_counter()
    rows = run_step(step, p, beam_args(workers), out)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "cpu_seconds": round(_cpu_seconds() - cpu, 1),
                      "rows": rows}))


def measure(step, workers, params_file, work):
    out = os.path.join(work, f"{step}-{workers}")
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, str(workers), params_file, out],
        capture_output=True, text=True, cwd=REPO_ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore"),
    )
    shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:  # recorded, so that one failing configuration does not hide the others
        return {"failed": done.stderr.strip().splitlines()[-1:], "seconds": None, "cpu_seconds": None, "rows": None}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--child", nargs=4, metavar=("STEP", "WORKERS", "PARAMS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        step, workers, params_file, out = args.child
        return child_main(step, int(workers), params_file, out)

    from benchmarks.taxi_data import write_taxi_csv

    work = tempfile.mkdtemp(prefix="kfp-tf-workers-")
    try:
        p = {name: os.path.join(work, name) for name in
             ("examples", "statistics", "schema", "transform_graph", "transformed_examples", "model")}
        p["csv"] = os.path.join(work, "taxi.csv")
        write_taxi_csv(p["csv"], args.rows)
        params_file = os.path.join(work, "params.json")
        with open(params_file, "w") as handle:
            json.dump(p, handle)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import sys, json; sys.path.insert(0, {REPO_ROOT!r}); "
                        f"from benchmarks.workers import prepare; prepare(json.load(open({params_file!r})))"],
                       check=True, cwd=REPO_ROOT, capture_output=True,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore"))
        print(f"prepared {args.rows:,} rows in {time.perf_counter() - started:.0f} s", flush=True)
        results = {}
        for step in args.steps.split(","):
            runs = {1: [], args.workers: []}
            for attempt in range(args.repeat):
                for workers in (1, args.workers) if attempt % 2 == 0 else (args.workers, 1):
                    figures = measure(step, workers, params_file, work)
                    runs[workers].append(figures)
                    print(f"  {step:<12}{workers} worker(s)  {figures}", flush=True)
            if any(f["seconds"] is None for r in runs.values() for f in r):
                results[step] = {"runs": {str(w): r for w, r in runs.items()}}
            else:
                best = {w: min(r, key=lambda f: f["seconds"]) for w, r in runs.items()}
                results[step] = {
                    "1_worker": best[1], f"{args.workers}_workers": best[args.workers],
                    "ratio": round(best[args.workers]["seconds"] / best[1]["seconds"], 2),
                    "cpu_ratio": round(best[args.workers]["cpu_seconds"] / best[1]["cpu_seconds"], 2),
                }
            _write(args, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


def _write(args, results):
    report = {
        "rows": args.rows, "workers": args.workers, "repeat": args.repeat,
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
        "steps": results,
    }
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as handle:
        json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
