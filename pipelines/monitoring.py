"""The monitoring pipeline, for a deployed model: monitor -> monitoring_alert -> monitoring_gate.

monitor measures one window of serving traffic (request-response logs) against the
model's baseline (its training statistics, schema and eval predictions, stored with
it at push time) and the previous window, and writes the verdict and report (a
finished task, so the UIs show them); monitoring_alert publishes to Pub/Sub and
starts the training pipeline when configured; monitoring_gate then fails the run on
a breach, so Vertex AI's and Kubeflow's failure notifications fire. Pure wiring;
schedule it (``kfp-tf submit monitoring --schedule '0 * * * *'``) to watch a model.
"""
from typing import Dict

from kfp import dsl

from components.catalog import monitor, monitoring_alert, monitoring_gate


@dsl.pipeline(
    name="monitoring",
    description="Watch a deployed model's serving traffic: schema, skew, drift, prediction drift and volume.",
)
def monitoring(
    logs: str,
    model: str,
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
    alert_topic: str = "",
    retrain_target: str = "",
    retrain_pipeline: str = "training",
    retrain_parameters: Dict = {},
    retrain_settings: Dict = {},
    retrain_dry_run: bool = False,
    fail_on_breach: bool = True,
):
    """Check one window of serving traffic; alert, retrain and fail on a breach.

    Args:
      logs: bq://PROJECT.DATASET.TABLE (Vertex AI request-response logging), or its rows
        exported as JSON Lines or CSV, or client JSON Lines ({"time", "instance",
        "prediction"}); local or gs://.
      model: The serving folder (newest complete version) or version folder of the deployed model.
      start: Window start (ISO 8601); empty: window_hours before end.
      end: Window end (ISO 8601), exclusive; empty: now.
      window_hours: The window's length when start is empty (24: the last day).
      skew_threshold: Feature distance to the training statistics counted as skew.
      drift_threshold: Feature distance to the previous window counted as drift.
      prediction_drift_threshold: Distance of the predictions to the eval split's at blessing.
      volume_change_threshold: Relative change of traffic against the previous window.
      schema_path: Replaces the schema stored with the model.
      training_statistics_path: Replaces the training statistics stored with the model.
      bigquery_project: Project the BigQuery query runs in (default: the table's).
      alert_topic: Pub/Sub topic for alerts (projects/P/topics/T); empty: none.
      retrain_target: vertex or kubeflow: start retraining there on a breach; empty: none.
      retrain_pipeline: The compiled pipeline started (default: training).
      retrain_parameters: Its parameters (data_path, label, serving_model_dir, ...).
      retrain_settings: Where it runs (vertex: project, region, pipeline_root, ...;
        kubeflow: host, experiment, ...).
      retrain_dry_run: Build the retraining submission without sending it.
      fail_on_breach: Fail the run on a breach (default); false only warns.
    """
    # Never cached: the logs (a table, or files) grow under the same name.
    monitor_task = monitor(
        logs=logs,
        model=model,
        start=start,
        end=end,
        window_hours=window_hours,
        skew_threshold=skew_threshold,
        drift_threshold=drift_threshold,
        prediction_drift_threshold=prediction_drift_threshold,
        volume_change_threshold=volume_change_threshold,
        schema_path=schema_path,
        training_statistics_path=training_statistics_path,
        bigquery_project=bigquery_project,
    ).set_caching_options(False)
    alert_task = monitoring_alert(
        verdict=monitor_task.outputs["verdict"],
        alert_topic=alert_topic,
        retrain_target=retrain_target,
        retrain_pipeline=retrain_pipeline,
        retrain_parameters=retrain_parameters,
        retrain_settings=retrain_settings,
        retrain_dry_run=retrain_dry_run,
    ).set_caching_options(False)  # never cached: it publishes and submits
    # Never cached: it decides on this run's verdict (cheap, and never a stale pass).
    monitoring_gate(verdict=monitor_task.outputs["verdict"], fail_on_breach=fail_on_breach).after(
        alert_task
    ).set_caching_options(False)
