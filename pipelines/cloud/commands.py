"""``kfp-tf submit`` and ``kfp-tf upload``: a thin command line over :mod:`pipelines.cloud`.

    kfp-tf submit PIPELINE --vertex --project P --region R --pipeline-root gs://B/root
        [--service-account SA] [--network NET] [--encryption-key KEY] [--label K=V ...]
        [--no-caching] [--param NAME=VALUE ...] [--schedule CRON [--schedule-name N]]
        [--dry-run]
    kfp-tf submit PIPELINE --kubeflow --host URL [--experiment E] [--run-name N]
        [--recurring CRON] [--param NAME=VALUE ...] [--dry-run]
    kfp-tf upload [PIPELINE ...] --registry https://REGION-kfp.pkg.dev/PROJECT/REPO --tag T [--tag T ...] [--dry-run]

PIPELINE is a pipeline name (its ``compiled/<name>.yaml``) or a compiled YAML path.
``--dry-run`` prints the request and sends nothing (no credentials needed).
"""
import argparse
import json
import os
from typing import Dict

from pipelines.cloud.templates import (
    TemplateError, check_parameters, parameter_types, parse_labels, parse_params, template_path,
)

SPEC_KEYS = ("pipelineSpec", "pipeline_spec")


def _abbreviated(value, template: str):
    """The request for printing: the (long) pipeline spec replaced by a one-line note."""
    if isinstance(value, dict):
        return {key: (f"<the pipeline spec of {os.path.basename(template)}>" if key in SPEC_KEYS else _abbreviated(item, template))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_abbreviated(item, template) for item in value]
    return value


def _print(result, template: str, full: bool) -> None:
    print(json.dumps(result if full else _abbreviated(result, template), indent=2, sort_keys=True, default=str))


def loopback_credentials(api_endpoint):
    """Anonymous credentials for an emulator on this machine (tests); None (ADC) otherwise."""
    if api_endpoint and api_endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    return None


def _submit(args) -> int:
    vertex_only = [flag for flag, value in (("--schedule", args.schedule), ("--project", args.project), ("--region", args.region),
                                            ("--network", args.network), ("--encryption-key", args.encryption_key),
                                            ("--label", args.label)) if value]
    if args.kubeflow and vertex_only:
        raise SystemExit(f"kfp-tf submit: {', '.join(vertex_only)} apply to --vertex only (Kubeflow: --recurring CRON).")
    if args.vertex and (args.recurring or args.host):
        raise SystemExit("kfp-tf submit: --recurring and --host apply to --kubeflow only (Vertex AI: --schedule CRON).")
    try:
        template = template_path(args.pipeline, args.compiled_dir)
        parameters: Dict[str, object] = check_parameters(template, parse_params(args.param or [], parameter_types(template)))
        if args.vertex:
            from pipelines.cloud import vertex

            settings = vertex.VertexSettings(
                project=args.project, region=args.region, pipeline_root=args.pipeline_root,
                service_account=args.service_account, network=args.network, encryption_key=args.encryption_key,
                labels=parse_labels(args.label or []), enable_caching=args.caching, api_endpoint=args.api_endpoint,
                credentials=loopback_credentials(args.api_endpoint),
            )
            if args.schedule:
                result = vertex.schedule(template, parameters, settings, cron=args.schedule,
                                         schedule_name=args.schedule_name, dry_run=args.dry_run)
            else:
                result = vertex.submit(template, parameters, settings, display_name=args.run_name, dry_run=args.dry_run)
        else:
            from pipelines.cloud import kubeflow

            if not args.host:
                raise TemplateError("--kubeflow needs --host URL: the Kubeflow Pipelines API address.")
            result = kubeflow.submit(
                template, parameters, host=args.host, experiment=args.experiment, run_name=args.run_name,
                recurring=args.recurring, pipeline_root=args.pipeline_root, enable_caching=args.caching,
                service_account=args.service_account, namespace=args.namespace, dry_run=args.dry_run,
            )
    except TemplateError as error:
        raise SystemExit(f"kfp-tf submit: {error}")
    _print(result, template, args.full)
    return 0


def _upload(args) -> int:
    from pipelines import PIPELINES
    from pipelines.cloud import registry

    try:
        templates = [template_path(name, args.compiled_dir) for name in (args.pipelines or list(PIPELINES))]
        results = registry.upload(templates, args.registry, tags=args.tag or [], dry_run=args.dry_run)
    except TemplateError as error:
        raise SystemExit(f"kfp-tf upload: {error}")
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


def add_commands(commands, default_compiled_dir: str) -> None:
    """Add ``submit`` and ``upload`` to the ``kfp-tf`` sub-command parsers."""
    submit = commands.add_parser(
        "submit", help="submit a compiled pipeline to Vertex AI or Kubeflow (run, schedule or recurring run)",
        description="Submit a compiled pipeline. --dry-run prints the request instead of sending it.",
    )
    submit.add_argument("pipeline", help="pipeline name (compiled/<name>.yaml) or compiled YAML path")
    target = submit.add_mutually_exclusive_group(required=True)
    target.add_argument("--vertex", action="store_true", help="Vertex AI Pipelines")
    target.add_argument("--kubeflow", action="store_true", help="Kubeflow Pipelines")
    submit.add_argument("--param", action="append", metavar="NAME=VALUE", help="pipeline parameter; JSON values allowed")
    submit.add_argument("--run-name", help="the run's display name")
    submit.add_argument("--pipeline-root", help="where artifacts go (Vertex: required, gs://...)")
    submit.add_argument("--service-account", help="the runs' identity (Vertex: a Google service account; Kubeflow: a Kubernetes one)")
    submit.add_argument(
        "--no-caching", dest="caching", action="store_false", default=None,
        help="run every task (default: each task cached as compiled, keyed on the input fingerprint)",
    )
    submit.add_argument("--dry-run", action="store_true", help="print the request, send nothing")
    submit.add_argument("--full", action="store_true", help="print the whole request, pipeline spec included")
    submit.add_argument("--compiled-dir", default=default_compiled_dir, help="where compiled/<name>.yaml are looked up")
    vertex = submit.add_argument_group("Vertex AI")
    vertex.add_argument("--project", help="Google Cloud project id")
    vertex.add_argument("--region", help="Vertex AI region, e.g. us-central1")
    vertex.add_argument("--network", help="VPC network to peer: projects/NUMBER/global/networks/NAME")
    vertex.add_argument("--encryption-key", help="CMEK: projects/P/locations/L/keyRings/R/cryptoKeys/K")
    vertex.add_argument("--label", action="append", metavar="KEY=VALUE", help="label on the run (repeatable)")
    vertex.add_argument("--schedule", metavar="CRON", help="create or update (same name) a schedule instead of one run")
    vertex.add_argument("--schedule-name", help="the schedule's display name (default: <pipeline>-schedule)")
    vertex.add_argument("--api-endpoint", help=argparse.SUPPRESS)  # a test double's address
    kubeflow = submit.add_argument_group("Kubeflow Pipelines")
    kubeflow.add_argument("--host", help="the KFP API address, e.g. https://HOST/pipeline")
    kubeflow.add_argument("--experiment", default="Default", help="experiment name (created if missing)")
    kubeflow.add_argument("--recurring", metavar="CRON", help="create (or replace, same name) a recurring run")
    kubeflow.add_argument("--namespace", help="user namespace of a multi-user deployment")
    submit.set_defaults(handler=_submit)

    upload = commands.add_parser("upload", help="upload compiled templates to Artifact Registry with tags")
    upload.add_argument("pipelines", nargs="*", help="pipeline names or compiled YAML paths (default: every pipeline)")
    upload.add_argument("--registry", required=True, help="https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY")
    upload.add_argument("--tag", action="append", help="tag for the uploaded versions (repeatable)")
    upload.add_argument("--dry-run", action="store_true", help="print what would be uploaded, send nothing")
    upload.add_argument("--compiled-dir", default=default_compiled_dir, help="where compiled/<name>.yaml are looked up")
    upload.set_defaults(handler=_upload)
