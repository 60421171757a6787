"""KFP wrappers of the monitor runtime: measure (monitor), respond (monitoring_alert),
decide (monitoring_gate)."""
from typing import Dict

from kfp import dsl
from kfp.dsl import HTML, Artifact, Input, Markdown, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def monitor(
    logs: str,
    model: str,
    verdict: Output[Artifact],
    monitoring_report: Output[Markdown],
    skew_view: Output[HTML],
    start: str = "",
    end: str = "",
    window_hours: float = 24.0,
    skew_threshold: float = 0.1,
    drift_threshold: float = 0.1,
    prediction_drift_threshold: float = 0.1,
    volume_change_threshold: float = 0.5,
    schema_path: str = "",
    training_statistics_path: str = "",
    bigquery_project: str = "",
):
    """Measure one window of serving traffic against the deployed model's baseline.

    Always completes when the logs and the model could be read, so its evidence is
    uploaded; ``monitoring_gate`` stops the run on a breach.

    Args:
      logs: bq://PROJECT.DATASET.TABLE (Vertex AI request-response logging), or JSON
        Lines / CSV exports of it, or client JSON Lines ({"time", "instance",
        "prediction"}): a file, folder or glob, local or gs://.
      model: The serving folder (its newest complete version) or a version folder,
        local or gs://; it carries its baseline (assets.extra/: schema.pbtxt,
        training_statistics.pb, evaluation_record.json with the eval predictions).
      verdict: Output. monitoring.json (the verdict per feature and check),
        FeatureStats.pb of the window and SchemaDiff.pb; metadata healthy, breaches,
        instances, window.
      monitoring_report: Output. Markdown: breaches, volume, predictions, skew,
        drift, schema anomalies.
      skew_view: Output. Self-contained HTML: each served feature beside the training
        data, skewed features first.
      start: Window start (ISO 8601); empty: window_hours before end.
      end: Window end (ISO 8601), exclusive; empty: now.
      window_hours: The window's length when start is empty (24: the last day).
      skew_threshold: Feature distance to the training statistics above which a
        feature is skewed (L-infinity / Jensen-Shannon), unless the schema sets one.
      drift_threshold: Likewise against the previous window.
      prediction_drift_threshold: Distance of the predicted classes' shares
        (L-infinity) or values (Jensen-Shannon) to the eval split's at blessing.
      volume_change_threshold: Relative change of the instance count against the
        previous window (0.5: half or 1.5 times as many).
      schema_path: Replaces the schema stored with the model (a model pushed by
        another tool).
      training_statistics_path: Replaces the training statistics stored with the model.
      bigquery_project: Project the BigQuery query runs in (default: the table's).
    """
    from components.monitor.runtime import monitor as run_monitor

    result = run_monitor(
        logs, model, verdict.path, report_path=monitoring_report.path, start=start, end=end,
        window_hours=window_hours, skew_threshold=skew_threshold, drift_threshold=drift_threshold,
        prediction_drift_threshold=prediction_drift_threshold, volume_change_threshold=volume_change_threshold,
        schema_path=schema_path, training_statistics_path=training_statistics_path, bigquery_project=bigquery_project,
        view_path=skew_view.path,
    )
    verdict.metadata.update({
        "healthy": result["healthy"], "breaches": result["breaches"], "window": result["window"],
        "instances": result["volume"]["instances"], "defaults": result["defaults"], "model": result["model"],
    })


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def monitoring_alert(
    verdict: Input[Artifact],
    alert: Output[Artifact],
    alert_topic: str = "",
    retrain_target: str = "",
    retrain_pipeline: str = "training",
    retrain_parameters: Dict = {},
    retrain_settings: Dict = {},
    retrain_dry_run: bool = False,
):
    """On a breach, publish an alert and start retraining, when configured.

    Args:
      verdict: The verdict output of monitor.
      alert: Output. metadata breached, alert_topic, message_id, retrain (the
        submitted run's request and name, or the dry run's request).
      alert_topic: Pub/Sub topic (projects/P/topics/T); empty: no message.
      retrain_target: vertex or kubeflow; empty: no retraining.
      retrain_pipeline: The compiled pipeline to submit (a packaged name, or a YAML path).
      retrain_parameters: Its parameters, such as {"data_path": "gs://...", "label": "species",
        "serving_model_dir": "gs://..."}.
      retrain_settings: Where it runs: vertex {project, region, pipeline_root,
        service_account, ...}; kubeflow {host, experiment, ...}.
      retrain_dry_run: Build the submission without sending it.
    """
    from components.monitor.runtime import read_verdict, respond

    result = respond(
        read_verdict(verdict.path), alert_topic=alert_topic, retrain_target=retrain_target,
        retrain_pipeline=retrain_pipeline, retrain_parameters=retrain_parameters,
        retrain_settings=retrain_settings, retrain_dry_run=retrain_dry_run,
    )
    alert.metadata.update(result)


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def monitoring_gate(verdict: Input[Artifact], fail_on_breach: bool = True):
    """The monitoring gate: fail the run on a breach (so failure notifications fire).

    Args:
      verdict: The verdict output of monitor.
      fail_on_breach: Stop the run on a breach (default); false only warns.

    Raises:
      ValidationFailedError: a check breached; the message lists each breach.
    """
    from components.monitor.runtime import decide, read_verdict

    decide(read_verdict(verdict.path), fail_on_breach)
