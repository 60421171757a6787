"""Time (or profile) one step of a finished local run again, on that run's own artifacts.

    .venv/bin/kfp-tf run training --workdir /tmp/pw          # any finished local run
    .venv/bin/python benchmarks/run_step.py train /tmp/pw/pipeline_root/training-<time>
    .venv/bin/python benchmarks/run_step.py transform RUN_FOLDER --profile /tmp/transform.prof

STEP is ``transform`` or ``train``, run with the pipeline's defaults on the inputs the run
gave it, writing to a temporary folder (the run's own outputs are left alone). The
libraries are imported before the clock starts. Prints seconds, CPU seconds (this
process, all threads) and, for train, the epochs run, the best epoch and the refit's
epochs. A fixed cost of a small run shows here without the rest of the pipeline around it.
"""
import argparse
import cProfile
import os
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)


def run_transform(run_folder, out):
    from components.common.task import read_task_info
    from components.transform.runtime import transform

    label = read_task_info(os.path.join(run_folder, "transform", "transform_graph"))["label"]
    transform(os.path.join(run_folder, "ingest", "examples"), os.path.join(run_folder, "schema", "schema"),
              os.path.join(run_folder, "statistics", "statistics"), os.path.join(out, "transform_graph"),
              os.path.join(out, "transformed_examples"), label=label)
    return ""


def run_train(run_folder, out):
    from components.train.runtime import train

    result = train(os.path.join(run_folder, "transform", "transform_graph"),
                   os.path.join(run_folder, "transform", "transformed_examples"), os.path.join(out, "model"))
    return f" epochs {result['epochs']} best {result['best_epoch']} refit {result['refit_epochs']}"


STEPS = {"transform": run_transform, "train": run_train}
IMPORTS = {
    "transform": ["tensorflow", "apache_beam", "tensorflow_transform.beam", "tensorflow_data_validation",
                  "tfx_bsl.public.tfxio", "components.transform.runtime"],
    "train": ["tensorflow", "keras", "tensorflow_transform", "components.train.runtime"],
}


def main(argv=None):
    import importlib

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("run_folder", help="<workdir>/pipeline_root/<pipeline>-<time> of a finished local run")
    parser.add_argument("--profile", help="write cProfile statistics here")
    args = parser.parse_args(argv)
    for module in IMPORTS[args.step]:
        importlib.import_module(module)
    with tempfile.TemporaryDirectory(prefix=f"run-step-{args.step}-") as out:
        profiler = cProfile.Profile() if args.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        detail = STEPS[args.step](args.run_folder, out)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print(f"{args.step}: {time.perf_counter() - started:.1f} s, CPU {time.process_time() - cpu_started:.1f} s{detail}")


if __name__ == "__main__":
    main()
