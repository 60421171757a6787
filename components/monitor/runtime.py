"""Monitor: measure one window of serving traffic against the deployed model's baseline.

Checks (each a verdict in ``monitoring.json``):

- **schema**: TFDV anomalies of the served features in the schema's SERVING
  environment (the label is not expected);
- **skew**: each feature against the train split's statistics recorded with the model
  at push time (L-infinity for categorical features, Jensen-Shannon divergence for
  numeric ones, as ``validate`` measures drift);
- **drift**: each feature against the previous window of the same length;
- **predictions**: the predicted classes (or values) against the eval split's
  predictions at blessing time (``components.monitor.predictions``);
- **volume**: no traffic, or a sudden change against the previous window
  (``components.monitor.volume``).

``monitor`` always completes when the logs and the model could be read, writing the
evidence (``monitoring.json``, the Markdown report); ``decide`` (the gate task) fails
the run with the reasons. Thresholds left at their defaults are named as such in the
verdict, the report and the log.
"""
import json
import logging
import os
from typing import Dict, List, Optional, Tuple

from components.common import model_record, serving_folder, storage
from components.common.files import read_json_artifact
from components.common.anomalies import DRIFT, SKEW, add_drift_comparators, describe_anomalies, describe_drift
from components.common.errors import ConfigurationError, ValidationFailedError
from components.monitor import logs as logs_lib
from components.monitor.predictions import prediction_drift
from components.monitor.report import markdown_report
from components.monitor.volume import volume_check

logger = logging.getLogger(__name__)

VERDICT_FILE = "monitoring.json"
DEFAULT_THRESHOLDS = {"skew_threshold": 0.1, "drift_threshold": 0.1, "prediction_drift_threshold": 0.1,
                      "volume_change_threshold": 0.5}


def resolve_model(model: str) -> Tuple[str, Optional[int]]:
    """The version folder ``model`` names: itself when it holds a SavedModel, else the
    newest complete version of the serving folder it is. Returns (folder, version)."""
    if not model:
        raise ConfigurationError("model is empty: give the serving folder (or a version folder) of the deployed model.")
    if storage.exists(os.path.join(model.rstrip("/"), serving_folder.SAVED_MODEL_FILE)):
        name = os.path.basename(model.rstrip("/"))
        return model.rstrip("/"), int(name) if name.isdigit() else None
    newest = serving_folder.newest_published(model)
    if newest is None:
        raise ConfigurationError(
            f"{model} holds no SavedModel and no complete version (<version>/{serving_folder.PUBLISHED}): "
            "give the serving folder the training pipeline pushes to, or a version folder."
        )
    version, path = newest
    return path, version


def load_baseline(model_dir: str, schema_path: str = "", training_statistics_path: str = ""):
    """(schema, training statistics, record) of the model: the files push stored with
    it, unless paths are given instead (a model pushed by another tool).

    Raises:
      ConfigurationError: a file is missing, naming it and what to pass instead.
    """
    from components.common.metadata import load_schema, load_statistics_file

    stored = model_record.baseline_paths(model_dir)
    schema_file = schema_path or stored["schema"]
    statistics_file = training_statistics_path or stored["training_statistics"]
    for what, path, parameter in (("schema", schema_file, "schema_path"),
                                  ("training statistics", statistics_file, "training_statistics_path")):
        if not storage.exists(path):
            raise ConfigurationError(
                f"The model's {what} {path} does not exist: the model was pushed before monitoring baselines "
                f"were stored with it. Push it again with this version, or pass {parameter} (the training "
                "run's schema.pbtxt / statistics Split-train/FeatureStats.pb)."
            )
    return load_schema(schema_file), load_statistics_file(statistics_file), model_record.read_record(model_dir) or {}


def _feature_verdicts(anomalies: List[Dict], skew: List[Dict], drift: List[Dict]) -> Dict[str, Dict]:
    features: Dict[str, Dict] = {}

    def entry(name):
        return features.setdefault(name, {"status": "ok", "anomalies": [], "skew": None, "drift": None})

    for row in anomalies:
        # Drift is read from the measurements below; what else TFDV found stays.
        kinds = [k for k in row["kinds"].split(", ") if not k.startswith("COMPARATOR_")]
        if not kinds:
            continue
        item = entry(row["feature"])
        item["anomalies"].append({"kinds": ", ".join(kinds), "description": row["description"], "advice": row["advice"]})
        item["status"] = "breach"
    for key, rows in (("skew", skew), ("drift", drift)):
        for row in rows:
            item = entry(row["feature"])
            item[key] = {k: row[k] for k in ("measure", "distance", "threshold", "drifted", "current", "baseline")}
            if row["drifted"]:
                item["status"] = "breach"
    return dict(sorted(features.items()))


def _breaches(verdict: Dict) -> List[str]:
    reasons = []
    for name, item in verdict["features"].items():
        for anomaly in item["anomalies"]:
            reasons.append(f"feature '{name}': {anomaly['kinds']}: {anomaly['description']}")
        for key, label in (("skew", "skew against training"), ("drift", "drift against the previous window")):
            row = item[key]
            if row and row["drifted"]:
                reasons.append(f"feature '{name}': {label}: {row['measure']} {row['distance']:.3f} > "
                               f"{row['threshold']:.3f} ({row['baseline']} -> {row['current']})")
    predictions = verdict["predictions"]
    if predictions["status"] == "breach":
        reasons.append(f"prediction drift: {predictions['measure']} {predictions['distance']:.3f} > "
                       f"{predictions['threshold']:.3f} (p = {predictions['p_value']:.2g}); served "
                       f"{predictions['served']} against {predictions['baseline']} at blessing")
    volume = verdict["volume"]
    if volume["status"] == "breach":
        reasons.append("volume: " + (volume.get("note") or f"{volume['instances']} instances against "
                       f"{volume['previous_instances']} in the previous window ({volume['change']:+.0%}, "
                       f"p = {volume['p_value']:.2g})"))
    return reasons


def monitor(
    logs: str,
    model: str,
    output_dir: str,
    report_path: Optional[str] = None,
    start: str = "",
    end: str = "",
    window_hours: float = 24.0,
    skew_threshold: float = DEFAULT_THRESHOLDS["skew_threshold"],
    drift_threshold: float = DEFAULT_THRESHOLDS["drift_threshold"],
    prediction_drift_threshold: float = DEFAULT_THRESHOLDS["prediction_drift_threshold"],
    volume_change_threshold: float = DEFAULT_THRESHOLDS["volume_change_threshold"],
    schema_path: str = "",
    training_statistics_path: str = "",
    bigquery_project: str = "",
    view_path: Optional[str] = None,
) -> Dict[str, object]:
    """Measure the window ``[start, end)`` of ``logs`` (``components.monitor.logs``)
    against ``model`` and write ``<output_dir>/monitoring.json`` and the report.
    ``end`` defaults to now and ``start`` to ``window_hours`` before ``end``.
    ``view_path`` gets the skew view: the window's features beside the training data
    (``components.common.views.drift_view``).

    Returns:
      The verdict: ``{"healthy", "breaches": [reason], "window", "previous_window",
      "model", "model_version", "thresholds", "defaults", "features": {name: {"status",
      "anomalies", "skew", "drift"}}, "predictions", "volume"}``.

    Raises:
      ConfigurationError: bad window, thresholds, model or baseline files.
      DataError: a log file or row cannot be read (naming the file and line).
    """
    import tensorflow_data_validation as tfdv
    from components.monitor.features import statistics_of

    thresholds = {"skew_threshold": skew_threshold, "drift_threshold": drift_threshold,
                  "prediction_drift_threshold": prediction_drift_threshold,
                  "volume_change_threshold": volume_change_threshold}
    for name, value in thresholds.items():
        if not value > 0:
            raise ConfigurationError(f"{name} must be above 0, got {value}.")
    defaults = [name for name, value in thresholds.items() if value == DEFAULT_THRESHOLDS[name]]
    if defaults:
        logger.info("Thresholds left at their defaults: %s",
                    ", ".join(f"{name} {thresholds[name]}" for name in defaults))
    window = logs_lib.make_window(start, end, hours=window_hours)
    model_dir, version = resolve_model(model)
    schema, training, record = load_baseline(model_dir, schema_path, training_statistics_path)
    current_items, previous_items = logs_lib.read_traffic(logs, [window, window.previous()], bigquery_project)
    logger.info("%d served instance(s) in %s, %d in the window before.", len(current_items), window.text(), len(previous_items))

    environment = "SERVING" if "SERVING" in schema.default_environment else None
    add_drift_comparators(schema, drift_threshold, DRIFT)
    add_drift_comparators(schema, skew_threshold, SKEW)
    current = statistics_of([i.instance for i in current_items], schema)
    previous = statistics_of([i.instance for i in previous_items], schema)
    anomaly_rows, skew_rows, drift_rows = [], [], []
    if current is not None:
        anomalies = tfdv.validate_statistics(current, schema, environment=environment, previous_statistics=previous)
        anomaly_rows = describe_anomalies(anomalies)
        drift_rows = describe_drift(anomalies, current, previous) if previous is not None else []
        skewed = tfdv.validate_statistics(training, schema, environment=environment, serving_statistics=current)
        skew_rows = describe_drift(skewed, current, training, kind=SKEW)
        os.makedirs(output_dir, exist_ok=True)
        with open(os.path.join(output_dir, "SchemaDiff.pb"), "wb") as handle:
            handle.write(anomalies.SerializeToString())
        with open(os.path.join(output_dir, "FeatureStats.pb"), "wb") as handle:
            handle.write(current.SerializeToString())
    verdict: Dict[str, object] = {
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "previous_window": {"start": window.previous().start.isoformat(), "end": window.previous().end.isoformat()},
        "logs": logs,
        "model": model_dir,
        "model_version": version,
        "thresholds": thresholds,
        "defaults": defaults,
        "features": _feature_verdicts(anomaly_rows, skew_rows, drift_rows),
        "predictions": prediction_drift([i.prediction for i in current_items], record.get("predictions"),
                                        prediction_drift_threshold),
        "volume": volume_check(len(current_items), len(previous_items), volume_change_threshold),
    }
    if previous is None and current is not None:
        verdict["notes"] = ["the previous window holds no traffic: feature drift is not checked"]
    verdict["breaches"] = _breaches(verdict)
    verdict["healthy"] = not verdict["breaches"]
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, VERDICT_FILE), "w") as handle:
        json.dump(verdict, handle, indent=2)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(markdown_report(verdict))
    if view_path:
        write_view(view_path, skew_rows, current, training, verdict)
    logger.info("Monitoring verdict: %s", "healthy" if verdict["healthy"] else "; ".join(verdict["breaches"]))
    return verdict


def write_view(path: str, skew_rows: List[Dict], current, training, verdict: Dict[str, object]) -> None:
    """The self-contained HTML view: the served features beside the training statistics
    (skew), or a page saying there was no traffic to compare."""
    from components.common.views import page
    from components.common.views.drift_view import drift_page

    source = f"the training statistics stored with {verdict['model']}"
    if current is None:
        document = page.page("Monitoring: no traffic", page.note(
            f"No served instance in {verdict['window']['start']} to {verdict['window']['end']}: nothing to compare "
            "with the training data.", "bad"))
    else:
        document = drift_page({"served": skew_rows}, {"served": current}, training, source, kind="skew")
    page.write_page(path, document)


def read_verdict(output_dir: str) -> Dict[str, object]:
    """The verdict ``monitor`` wrote into its output folder."""
    return read_json_artifact(output_dir, VERDICT_FILE, "verdict", "monitor")


def decide(verdict: Dict[str, object], fail_on_breach: bool = True) -> None:
    """The monitoring gate: raise ValidationFailedError naming every breach (else log a warning)."""
    if verdict["healthy"]:
        logger.info("Monitoring: no breach in %s to %s.", verdict["window"]["start"], verdict["window"]["end"])
        return
    message = "Monitoring found %d breach(es) in %s to %s:\n%s" % (
        len(verdict["breaches"]), verdict["window"]["start"], verdict["window"]["end"],
        "\n".join(f"  - {reason}" for reason in verdict["breaches"]),
    )
    if fail_on_breach:
        raise ValidationFailedError(
            message + "\nThe monitor task's report and monitoring.json hold the evidence; the alert task "
            "says what was published and submitted. Set fail_on_breach=False to only warn."
        )
    logger.warning("%s\nContinuing because fail_on_breach is False.", message)


def respond(verdict: Dict[str, object], alert_topic: str = "", retrain_target: str = "",
            retrain_pipeline: str = "training", retrain_parameters: Optional[Dict[str, object]] = None,
            retrain_settings: Optional[Dict[str, object]] = None, retrain_dry_run: bool = False) -> Dict[str, object]:
    """What a breach sets off, when configured: a Pub/Sub alert (``components.monitor.alert``)
    and a training run (``components.monitor.retrain``). Nothing for a healthy verdict.

    Returns:
      ``{"breached", "alert_topic", "message_id", "retrain"}``; ``retrain`` is what the
      submission returned but its request (``target``, ``pipeline``, ``dry_run``, the run's
      job id or name, its ``parameters``), or None.
    """
    result: Dict[str, object] = {"breached": not verdict["healthy"], "alert_topic": alert_topic,
                                 "message_id": None, "retrain": None}
    if verdict["healthy"]:
        logger.info("No breach: nothing published, no retraining started.")
        return result
    if alert_topic:
        from components.monitor.alert import publish_alert

        result["message_id"] = publish_alert(alert_topic, verdict)
        logger.info("Alert published to %s (message %s).", alert_topic, result["message_id"])
    if retrain_target:
        from components.monitor.retrain import start_retraining

        submitted = start_retraining(retrain_target, retrain_pipeline, retrain_parameters or {}, retrain_settings or {},
                                     dry_run=retrain_dry_run)
        # The request itself (the whole compiled pipeline) stays out of the artifact's metadata.
        result["retrain"] = dict({k: v for k, v in submitted.items() if k != "request"},
                                 parameters=dict(retrain_parameters or {}))
        logger.info("Retraining %s on %s: %s", "prepared (dry run, nothing sent)" if retrain_dry_run else "submitted",
                    retrain_target, submitted.get("resource_name") or submitted.get("id") or submitted.get("job_id", ""))
    return result
