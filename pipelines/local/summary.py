"""The run's facts: ``summary.json`` for machines, a few lines for people.

``build_summary`` reads what each task recorded (its ``executor_output.json``) and
what the console saw (task status and times, the error in the log);
``human_summary`` turns it into the console's closing lines, each fact once (when
the data gate stopped the run, the anomalies and drifted features are in its error
and are not listed again). ``write_summary`` replaces ``summary.json`` atomically:
``running`` when a run starts (so an older summary never looks current),
``succeeded``, ``failed`` or ``interrupted`` when it ends.
"""
import json
import os
import re
from typing import Dict, List, Optional

SUMMARY = "summary.json"

_USER_ERROR = re.compile(r"^components\.common\.errors\.(\w+): (.*)$")
_ANY_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.*)$")


def _task_outputs(run_dir: str, task: str) -> Dict[str, object]:
    """Artifact metadata and output parameters a task recorded in its executor output."""
    path = os.path.join(run_dir, task, "executor_output.json")
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        output = json.load(handle)
    found: Dict[str, object] = dict(output.get("parameterValues", {}))
    for name, artifact_list in output.get("artifacts", {}).items():
        artifacts = artifact_list.get("artifacts", [])
        if artifacts:
            found[name] = {"uri": artifacts[0].get("uri"), **artifacts[0].get("metadata", {})}
    return found


def find_error(lines: List[str]) -> Optional[Dict[str, str]]:
    """The last user-facing error (or else the last exception) in a task log."""
    chosen = None
    lines = [line.strip() for line in lines]
    for index, line in enumerate(lines):
        match = _USER_ERROR.match(line) or _ANY_ERROR.match(line)
        if not match:
            continue
        message = [match.group(2)]
        for following in lines[index + 1 :]:
            if not following or following.startswith(("[KFP", "Traceback")) or re.match(r"^\d\d:\d\d", following):
                break
            message.append(following)
        candidate = {"type": match.group(1).split(".")[-1], "message": "\n".join(message)}
        if _USER_ERROR.match(line) or chosen is None or chosen.get("user") is not True:
            chosen = dict(candidate, user=bool(_USER_ERROR.match(line)))
    if chosen:
        chosen.pop("user", None)
    return chosen


def _integer(value):
    """Artifact metadata numbers come back as floats (protobuf Struct): 17.0 -> 17."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def build_summary(
    pipeline_name: str, run_dir: Optional[str], console, arguments: Dict, seconds: float, interrupted: bool = False,
) -> Dict:
    """The run's facts from each task's recorded outputs.

    ``console`` is the run's ``pipelines.local.console.Console`` (task status, times,
    log lines). ``interrupted``: the user stopped the run (Ctrl-C); the status says so
    and ``interrupted_task`` names the task that was running, if any."""
    outputs = {task: _task_outputs(run_dir, task) for task in console.task_status} if run_dir else {}
    failed = [task for task, status in console.task_status.items() if status != "SUCCESS"]
    examples = outputs.get("ingest", {}).get("examples", {})
    anomalies = outputs.get("validate", {}).get("anomalies", {})
    evaluation = outputs.get("evaluate", {}).get("evaluation", {})
    blessing = outputs.get("evaluate", {}).get("blessing", {})
    pushed = outputs.get("push", {}).get("pushed_model", {})
    infra = outputs.get("infra-validate", {}).get("infra_blessing", {})
    baseline = evaluation.get("baseline") or {}
    transform_graph = outputs.get("transform", {}).get("transform_graph", {})
    model = outputs.get("train", {}).get("model", {})
    predictions = outputs.get("predict", {}).get("predictions", {})
    verdict = outputs.get("monitor", {}).get("verdict", {})
    alert = outputs.get("monitoring-alert", {}).get("alert", {})
    summary = {
        "pipeline": pipeline_name,
        "status": "interrupted" if interrupted else "failed" if failed or not console.task_status else "succeeded",
        "run_dir": run_dir,
        "arguments": arguments,
        "rows": examples.get("split_row_counts"),
        "rows_without_label": examples.get("rows_without_label"),
        "delimiter": examples.get("delimiter"),
        "ingest_warnings": examples.get("warnings") or [],
        "serving_inputs": transform_graph.get("serving_inputs") or {},
        "column_roles": transform_graph.get("column_roles"),
        "column_notes": transform_graph.get("column_notes") or [],
        "training": training_facts(model) if model else None,
        "anomalies": anomalies.get("anomalies") if anomalies else None,
        "anomaly_count": anomalies.get("anomaly_count") if anomalies else None,
        "drift": anomalies.get("drift") if anomalies else None,
        "statistics": outputs.get("statistics", {}).get("statistics", {}).get("uri"),
        "task": transform_graph.get("task"),
        "classes": transform_graph.get("classes"),
        "positive_class": transform_graph.get("positive_class"),
        "metrics": evaluation.get("overall"),
        "metric_intervals": evaluation.get("intervals"),
        "blessed": blessing.get("blessed") if blessing else None,
        "blessing_reasons": blessing.get("reasons"),
        "baseline": {"version": _integer(baseline.get("version")), "uri": baseline.get("uri")} if baseline.get("found") else None,
        "baseline_metrics": evaluation.get("baseline_overall"),
        "baseline_metric_intervals": evaluation.get("baseline_intervals"),
        "infra_blessed": infra.get("blessed") if infra else None,
        "infra_reasons": infra.get("reasons"),
        "infra_latency_ms": infra.get("latency_ms"),
        "push_reason": pushed.get("reason"),
        "pushed_model": pushed.get("pushed_destination") or None,
        "predictions": predictions.get("uri"),
        "predicted_rows": predictions.get("rows"),
        "prediction_model": predictions.get("model_dir"),
        "monitoring": {
            "healthy": verdict.get("healthy"), "breaches": verdict.get("breaches") or [],
            "window": verdict.get("window"), "instances": _integer(verdict.get("instances")),
            "model": verdict.get("model"), "default_thresholds": verdict.get("defaults") or [],
            "verdict": verdict.get("uri"), "alert_message_id": alert.get("message_id"),
            "retrain": alert.get("retrain"),
        } if verdict else None,
        "seconds": round(seconds, 1),
        "task_seconds": {k: round(v, 1) for k, v in console.task_seconds.items()},
    }
    if interrupted:
        summary["interrupted_task"] = console.running
    elif failed:
        summary["failed_task"] = failed[0]
        summary["error"] = find_error(console.lines)
    return summary


def running_summary(pipeline_name: str, arguments: Dict, log_path: str) -> Dict:
    """What ``summary.json`` says while a run is under way."""
    return {"pipeline": pipeline_name, "status": "running", "arguments": arguments, "log": log_path}


def write_summary(path: str, summary: Dict) -> None:
    """Replace ``path`` with ``summary`` atomically (readers see the old or the new file)."""
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w") as handle:
        json.dump(summary, handle, indent=2)
    os.replace(partial, path)


TRAINING_FACTS = ("epochs", "stopped_early", "best_epoch", "train_rows", "validation_rows", "batch_size",
                  "hidden_units", "class_weights", "probability_factors", "refit_epochs", "defaults")


def training_facts(model: Dict) -> Dict:
    """What train decided and how it went, from the model's metadata (``TRAINING_FACTS``)."""
    def plain(value):
        return [_integer(v) for v in value] if isinstance(value, list) else _integer(value)

    return {key: plain(model.get(key)) for key in TRAINING_FACTS if key in model}


def training_line(facts: Dict) -> str:
    """``training: stopped early at epoch 23 (best 13) on a validation slice of 41 of 274 train rows,
    then refit on all 274 rows for 13 epochs; batch 32, ...; class weights: none``."""
    epochs = f"epoch {facts.get('epochs')}"
    ran = (f"stopped early at {epochs} (best {facts.get('best_epoch')})" if facts.get("stopped_early")
           else f"ran to {epochs}")
    rows = (f"validation slice of {facts['validation_rows']} of {facts.get('train_rows')} train rows"
            if facts.get("validation_rows") else "no validation slice")
    if facts.get("refit_epochs"):
        rows += f", then refit on all {facts.get('train_rows')} rows for {facts['refit_epochs']} epochs"
    weights = facts.get("class_weights")
    shown = ", ".join(f"{name} {value:.3g}" for name, value in weights.items()) if weights else "none"
    units = facts.get("hidden_units")
    return (f"training: {ran} on a {rows}; batch {facts.get('batch_size')}"
            + (f", hidden units {units}" if units else "") + f"; class weights: {shown}")


def column_roles_line(records: List[Dict]) -> str:
    """``numeric: a, b; date: when; identifier: id (override)`` from the transform's roles records."""
    by_role: Dict[str, List[str]] = {}
    for record in records:
        overridden = " (override)" if record.get("source") == "override" else ""
        by_role.setdefault(record["role"], []).append(f"{record['column']}{overridden}")
    return "; ".join(f"{role}: {', '.join(columns)}" for role, columns in by_role.items())


def human_summary(summary: Dict) -> str:
    """A few lines for the console."""
    lines = [f"Pipeline {summary['pipeline']} {summary['status'].upper()} in {summary['seconds']:.0f} s"]
    if summary.get("status") == "interrupted":
        running = summary.get("interrupted_task")
        done = [task for task, seconds in (summary.get("task_seconds") or {}).items()]
        lines.append(
            "  stopped by Ctrl-C" + (f" during {running}" if running else "")
            + (f"; finished before: {', '.join(done)}" if done else "") + "; no task is left running"
        )
    if summary.get("rows"):
        dropped = summary.get("rows_without_label") or 0
        lines.append(
            "  rows: " + ", ".join(f"{k} {v}" for k, v in summary["rows"].items())
            + (f" ({dropped} without a label dropped)" if dropped else "")
            + (f"; read as {summary['delimiter']}-delimited" if summary.get("delimiter") not in (None, "comma") else "")
        )
    for warning in summary.get("ingest_warnings") or []:
        lines.append(f"  ingest warning: {warning}")
    if summary.get("serving_inputs"):
        lines.append("  serving_default inputs renamed (README, \"Column names\"): " + ", ".join(
            f"{column!r} -> {name!r}" for column, name in summary["serving_inputs"].items()
        ))
    if summary.get("column_roles"):
        lines.append("  column roles (column_roles.md in the transform graph): " + column_roles_line(summary["column_roles"]))
    for note in summary.get("column_notes") or []:
        lines.append(f"    {note}")
    if summary.get("anomaly_count") is not None:
        lines.append(f"  anomalies: {summary['anomaly_count']}")
    if summary.get("training"):
        lines.append("  " + training_line(summary["training"]))
        decided = summary["training"].get("defaults") or {}
        if summary["training"].get("class_weights"):
            lines.extend(f"    {decided[name]}" for name in ("class_weight", "prior_correction") if decided.get(name))
    drifted = [d for d in summary.get("drift") or [] if d["drifted"]]
    # When validation stopped the run, its error (shown last) lists the anomalies and
    # the drifted features: they are not listed twice.
    gated = summary.get("failed_task") == "data-gate"
    for anomaly in [] if gated else (summary.get("anomalies") or [])[:10]:
        lines.append(f"    {anomaly['split']} / {anomaly['feature']}: {anomaly['kinds']}")
    if summary.get("drift"):
        lines.append(
            f"  drift vs baseline: {len(drifted)} feature(s) drifted" + (" (see the error below)" if gated and drifted else "")
            + "".join(
                f"\n    {d['feature']} ({d['split']}): {d['measure']} {d['distance']:.3f} > {d['threshold']:.3f}"
                for d in ([] if gated else drifted)
            )
        )
    if summary.get("metrics"):
        shown = {k: v for k, v in summary["metrics"].items() if k != "example_count" and "[" not in k}
        intervals = summary.get("metric_intervals") or {}
        positive = f", positive class {summary['positive_class']!r}" if summary.get("positive_class") else ""
        lines.append(f"  {summary.get('task') or 'metrics'}{positive} (95 % intervals): " + ", ".join(
            f"{k} {v:.4g}" + (f" [{intervals[k][0]:.3g}, {intervals[k][1]:.3g}]" if k in intervals else "")
            for k, v in shown.items()
        ))
    if summary.get("baseline_metrics"):
        old = summary["baseline_metrics"]
        shown = [k for k in summary.get("metrics") or {} if k in old and k != "example_count" and "[" not in k]
        lines.append(
            f"  baseline (version {(summary.get('baseline') or {}).get('version')}): "
            + ", ".join(f"{k} {old[k]:.4g}" for k in shown)
        )
    if summary.get("infra_blessed") is not None:
        lines.append(f"  infra validation: {'passed' if summary['infra_blessed'] else 'FAILED'} ({'; '.join(summary.get('infra_reasons') or [])})")
    if summary.get("blessed") is not None:
        lines.append(f"  blessed: {summary['blessed']} ({'; '.join(summary.get('blessing_reasons') or [])})")
    if summary.get("status") == "succeeded" and summary["pipeline"] == "training":
        blocked = [n for n, ok in (("not blessed", summary.get("blessed")), ("infra validation failed", summary.get("infra_blessed"))) if ok is False]
        lines.append(f"  pushed model: {summary.get('pushed_model') or 'none'}" + (f" ({', '.join(blocked)})" if blocked else ""))
    if summary.get("predicted_rows") is not None:
        lines.append(f"  predictions: {summary['predicted_rows']} rows by {summary['prediction_model']}")
        lines.append(f"    in {summary['predictions']}")
    monitoring = summary.get("monitoring")
    if monitoring:
        lines.append(f"  monitoring: {monitoring['instances']} served instance(s), {monitoring['window']['start']} to "
                     f"{monitoring['window']['end']}: " + ("healthy" if monitoring["healthy"] else f"{len(monitoring['breaches'])} breach(es)"))
        if summary.get("failed_task") != "monitoring-gate":  # else the gate's error lists them
            lines += [f"    {reason}" for reason in monitoring["breaches"]]
        if monitoring["default_thresholds"]:
            lines.append(f"    thresholds at their defaults: {', '.join(monitoring['default_thresholds'])}")
        if monitoring.get("alert_message_id"):
            lines.append(f"  alert published: message {monitoring['alert_message_id']}")
        retrain = monitoring.get("retrain")
        if retrain:
            run = retrain.get("resource_name") or retrain.get("id") or retrain.get("job_id") or ""
            lines.append(f"  retraining: {retrain['pipeline']} on {retrain['target']} "
                         + ("(dry run: prepared, not sent)" if retrain.get("dry_run") else f"submitted {run}")
                         + f", data {retrain.get('parameters', {}).get('data_path', '')}")
    if summary.get("failed_task"):
        error = summary.get("error") or {}
        lines.append(f"  failed at: {summary['failed_task']}")
        if error:
            lines.append(f"  {error['type']}: {error['message']}")
    if summary.get("run_dir"):
        lines.append(f"  run folder: {summary['run_dir']}")
    lines.append(f"  full log: {summary.get('log')}")
    return "\n".join(lines)
