"""The ``kfp-tf`` command line: run pipelines locally and compile them.

    kfp-tf run training [--data PATH] [--label COLUMN] [--workdir DIR] [--param NAME=VALUE ...]
    kfp-tf run data-validation --data PATH --schema SCHEMA [--baseline PATH]
    kfp-tf run batch-prediction --data PATH [--model DIR] [--schema SCHEMA] [--baseline PATH]
    kfp-tf run monitoring --logs PATH [--model DIR] [--param start=... --param end=...]
    kfp-tf compile [--output-dir compiled] [--image URI]
    kfp-tf schema export [--run DIR] --output schema.pbtxt [--force]
    kfp-tf list
    kfp-tf submit PIPELINE --vertex|--kubeflow ... [--dry-run]   (pipelines/cloud/commands.py)
    kfp-tf upload [PIPELINE ...] --registry URL --tag T [--dry-run]

Importing this module loads kfp only; TensorFlow is imported by the tasks.
"""
import argparse
import json
import os
import sys
from typing import Dict, List, Optional

SAMPLE_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_data", "penguins.csv")
SAMPLE_LABEL = "species"
DEFAULT_WORKDIR = "local_runs"


def parse_params(pairs: List[str], allowed) -> Dict[str, object]:
    """``NAME=VALUE`` pairs to a dict, each VALUE read by the pipeline parameter's declared
    type (``pipelines.param_values``: a JSON integer for a float parameter, say).
    ``allowed``: {name: kfp type name} (``pipeline_parameter_types``), or a list of
    names (values then read as JSON when they parse, else as text)."""
    from pipelines.param_values import declared_type, parse_pairs

    declared = {name: declared_type(kind) for name, kind in allowed.items()} if isinstance(allowed, dict) else {}
    for pair in pairs:
        name = pair.split("=", 1)[0].strip().replace("-", "_")
        if "=" in pair and name not in allowed:
            raise SystemExit(f"Unknown pipeline parameter {name!r}. Parameters: {', '.join(allowed)}")
    try:
        return parse_pairs(pairs, declared)
    except ValueError as error:
        raise SystemExit(str(error)) from None


def pipeline_parameter_types(pipeline) -> Dict[str, str]:
    """{input name: kfp type name} of a pipeline (``Float``, ``typing.List[str]``, ...)."""
    return {name: spec.type for name, spec in pipeline.component_spec.inputs.items()}


def _local_path(path: Optional[str]) -> str:
    """Absolute for local paths (tasks run in other folders), untouched for URIs."""
    if not path:
        return ""
    return path if "://" in path else os.path.abspath(path)


def latest_training_run(workdir: str) -> Optional[str]:
    """The newest run folder of the training pipeline under ``workdir`` that got past schema."""
    root = os.path.join(workdir, "pipeline_root")
    runs = [
        os.path.join(root, name) for name in (os.listdir(root) if os.path.isdir(root) else [])
        if name.startswith("training-") and os.path.exists(os.path.join(root, name, "schema", "schema", "schema.pbtxt"))
    ]
    return max(runs, key=os.path.getmtime) if runs else None


def batch_prediction_arguments(args, workdir: str) -> Dict[str, object]:
    """``--model`` defaults to the workdir's serving folder; ``--schema`` and
    ``--baseline`` to the schema and statistics of the workdir's last training run."""
    if not args.data:
        raise SystemExit("batch-prediction needs --data PATH: the rows to predict (without the label column).")
    training_run = None if args.schema and args.baseline else latest_training_run(workdir)
    schema = _local_path(args.schema)
    if not schema and training_run:
        schema = os.path.join(training_run, "schema", "schema", "schema.pbtxt")
        print(f"[kfp-tf] schema: {schema} (the last training run's; --schema to choose)")
    if not schema:
        raise SystemExit(
            "batch-prediction needs --schema SCHEMA.pbtxt (the training schema; `kfp-tf schema export` "
            f"writes it), or a training run under --workdir {workdir} to take it from."
        )
    baseline = _local_path(args.baseline)
    if not baseline and training_run and os.path.isdir(os.path.join(training_run, "statistics", "statistics")):
        baseline = os.path.join(training_run, "statistics", "statistics")
        print(f"[kfp-tf] skew baseline: {baseline} (the last training run's statistics; --baseline to choose)")
    return {
        "data_path": _local_path(args.data),
        "model_path": _local_path(args.model or args.serving_model_dir) or os.path.join(workdir, "serving_model"),
        "curated_schema_path": schema,
        "baseline_statistics_path": baseline,
    }


def monitoring_arguments(args, workdir: str) -> Dict[str, object]:
    """``--logs`` (required) and ``--model`` (default: the workdir's serving folder).
    Locally a configured retraining is a dry run (``retrain_dry_run``): it shows the
    submission without sending it; ``--param retrain_dry_run=false`` sends it."""
    if not args.logs:
        raise SystemExit(
            "monitoring needs --logs PATH: the serving logs (Vertex AI request-response logging rows as "
            "JSON Lines or CSV, client JSON Lines, or bq://PROJECT.DATASET.TABLE)."
        )
    return {
        "logs": _local_path(args.logs),
        "model": _local_path(args.model or args.serving_model_dir) or os.path.join(workdir, "serving_model"),
        "retrain_dry_run": True,
    }


def run_arguments(args, workdir: str) -> Dict[str, object]:
    """The pipeline arguments the ``run`` options stand for."""
    if args.pipeline == "batch-prediction":
        return batch_prediction_arguments(args, workdir)
    if args.pipeline == "monitoring":
        return monitoring_arguments(args, workdir)
    data = _local_path(args.data) or SAMPLE_DATA
    if args.pipeline == "training":
        if args.data and not args.label:
            raise SystemExit("--data needs --label: the column to predict.")
        arguments = {
            "data_path": data,
            "label": args.label or SAMPLE_LABEL,
            "serving_model_dir": _local_path(args.serving_model_dir) or os.path.join(workdir, "serving_model"),
            # A stable place for train's checkpoints, so a killed run resumes when run again;
            # under the pipeline root, which task containers (--runner docker) see too.
            "checkpoint_dir": os.path.join(workdir, "pipeline_root", "checkpoints"),
        }
        if args.schema:
            arguments["curated_schema_path"] = _local_path(args.schema)
        if args.baseline:
            arguments["baseline_statistics_path"] = _local_path(args.baseline)
        return arguments
    if not args.schema:
        raise SystemExit(
            f"{args.pipeline} needs --schema SCHEMA.pbtxt: the curated schema the data must satisfy "
            "(`kfp-tf schema export` writes the one a training run inferred)."
        )
    return {"data_path": data, "curated_schema_path": _local_path(args.schema), "baseline_path": _local_path(args.baseline)}


def _run(args) -> int:
    from pipelines import PIPELINES
    from pipelines.container_run import ContainerRunError
    from pipelines.local import LocalRunError, human_summary, run_locally

    if args.pipeline == "vertex-training":
        raise SystemExit(
            "vertex-training registers the model in the Vertex AI Model Registry, which imports from gs:// only: "
            "submit it with `kfp-tf submit vertex-training --vertex ...`; locally, run `kfp-tf run training`."
        )
    pipeline = PIPELINES[args.pipeline]
    workdir = os.path.abspath(args.workdir)
    arguments = run_arguments(args, workdir)
    arguments.update(parse_params(args.param or [], pipeline_parameter_types(pipeline)))
    if args.runner == "docker" and "serving_model_dir" in arguments and not args.serving_model_dir:
        # Containers see only the pipeline root (pipelines/container_run.py).
        arguments["serving_model_dir"] = os.path.join(workdir, "pipeline_root", "serving_model")
    print(f"[kfp-tf] running {args.pipeline} locally on {arguments.get('data_path') or arguments.get('logs')}")
    try:
        summary = run_locally(
            pipeline, arguments, workdir, verbose=args.verbose, warm=not args.cold, runner=args.runner
        )
    except (ContainerRunError, LocalRunError) as error:  # no daemon or image; an unwritable workdir
        raise SystemExit(str(error))
    print()
    print(human_summary(summary))
    print(f"  summary: {os.path.join(workdir, 'summary.json')}")
    return {"succeeded": 0, "interrupted": 130}.get(summary["status"], 1)


def _compile(args) -> int:
    from pipelines.compile import compile_all

    for path in compile_all(args.output_dir, image=args.image, train_image=args.train_image):
        print(path)
    return 0


def find_run_schema(run: str) -> str:
    """The schema.pbtxt of a local run: ``run`` is a run folder or a workdir (its latest run)."""
    candidates = [run]
    summary = os.path.join(run, "summary.json")
    if os.path.exists(summary):
        with open(summary) as handle:
            candidates.insert(0, json.load(handle).get("run_dir") or run)
    for folder in candidates:
        path = os.path.join(folder, "schema", "schema", "schema.pbtxt")
        if os.path.exists(path):
            return path
    raise SystemExit(
        f"No schema found under {run!r}: give a run folder (local_runs/pipeline_root/<run>) "
        "or a workdir whose last run got past the schema step."
    )


def _schema_export(args) -> int:
    import shutil

    source = find_run_schema(args.run)
    if os.path.exists(args.output) and not args.force:
        raise SystemExit(f"{args.output} exists; pass --force to replace it.")
    shutil.copyfile(source, args.output)
    print(f"wrote {args.output} (from {source}); review and tighten it, then pass it with "
          f"--param curated_schema_path={os.path.abspath(args.output)}")
    return 0


def _list(args) -> int:
    from components.catalog import ALL_COMPONENTS
    from pipelines import PIPELINES

    print("pipelines: " + ", ".join(PIPELINES))
    print("components: " + ", ".join(ALL_COMPONENTS))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from pipelines import PIPELINES
    from pipelines.compile import DEFAULT_OUTPUT_DIR
    from pipelines.compiled_dir import TEMPLATES_DIR

    parser = argparse.ArgumentParser(prog="kfp-tf", description="KFP v2 components for the TensorFlow model lifecycle.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run a pipeline locally with kfp's local runner")
    run.add_argument("pipeline", choices=sorted(PIPELINES))
    run.add_argument("--data", help="CSV, Parquet or TFRecord file, folder or glob (default: bundled penguins)")
    run.add_argument("--label", help=f"training: the column to predict (default with the sample: {SAMPLE_LABEL})")
    run.add_argument("--schema", help="curated schema.pbtxt to validate against (required by data-validation)")
    run.add_argument("--baseline", help="earlier data or its statistics, to check drift against")
    run.add_argument("--workdir", default=DEFAULT_WORKDIR, help="where runs, models and summary.json go")
    run.add_argument("--serving-model-dir", help="push destination (default: WORKDIR/serving_model)")
    run.add_argument(
        "--model", help="batch-prediction, monitoring: a serving folder (newest version) or a version folder (default: WORKDIR/serving_model)"
    )
    run.add_argument(
        "--logs", help="monitoring: serving logs (request-response logging rows as JSON Lines or CSV, client JSON Lines, "
        "or bq://PROJECT.DATASET.TABLE)"
    )
    run.add_argument("--param", action="append", metavar="NAME=VALUE", help="any pipeline parameter; JSON values allowed")
    run.add_argument("--verbose", action="store_true", help="show every task's log, not only progress")
    run.add_argument(
        "--cold", action="store_true",
        help="start every task as a fresh python3 process (no warm worker); slower, as in kfp's own runner",
    )
    run.add_argument(
        "--runner", choices=["subprocess", "docker"], default="subprocess",
        help="docker: every task in a container of the component image (make image first); "
        "the push target defaults to WORKDIR/pipeline_root/serving_model",
    )
    run.set_defaults(handler=_run)

    comp = commands.add_parser("compile", help="compile every pipeline and component to KFP IR YAML")
    comp.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR)
    comp.add_argument("--image", help="component image URI to compile against (default: the package's)")
    comp.add_argument(
        "--train-image",
        help="image of the train task only, e.g. the GPU variant (make image-gpu); default: --image",
    )
    comp.set_defaults(handler=_compile)

    schema = commands.add_parser("schema", help="work with schemas")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    export = schema_commands.add_parser("export", help="write the schema a local run inferred, for review")
    export.add_argument("--run", default=DEFAULT_WORKDIR, help="a run folder, or a workdir (its last run)")
    export.add_argument("--output", required=True, help="where to write schema.pbtxt")
    export.add_argument("--force", action="store_true", help="replace --output if it exists")
    export.set_defaults(handler=_schema_export)

    lister = commands.add_parser("list", help="list pipelines and components")
    lister.set_defaults(handler=_list)

    from pipelines.cloud.commands import add_commands as add_cloud_commands

    add_cloud_commands(commands, TEMPLATES_DIR)  # submit, upload: the packaged templates
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:  # outside a run (a run handles Ctrl-C itself and says so)
        print("\n[kfp-tf] interrupted (Ctrl-C)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
