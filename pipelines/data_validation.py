"""The data-validation pipeline, for a new batch of data: ingest -> statistics ->
validate against a curated schema and (optionally) a baseline -> reports.

Run it on every new batch before it is trained on or served: it stops on schema
anomalies and on drift from the baseline, naming each feature: validate measures
and writes its report and comparison view (a finished task, so the UIs show them),
and data_gate after it stops the run. The batch is one
dataset, not a train/eval pair: ingest keeps every row in the one split "all" (so
a batch of any size is checked whole) and types the columns as the curated schema
says. Pure wiring, no
control flow, so it runs locally, on Kubeflow Pipelines and on Vertex AI.
"""
from typing import List

from kfp import dsl

from components.catalog import data_gate, fingerprint_inputs, ingest, schema, statistics, validate


@dsl.pipeline(
    name="data-validation",
    description="Validate a batch of tabular data against a curated schema and a baseline (drift).",
)
def data_validation(
    data_path: str,
    curated_schema_path: str,
    baseline_path: str = "",
    drift_threshold: float = 0.1,
    environment: str = "TRAINING",
    fail_on_anomalies: bool = True,
    input_format: str = "auto",
    beam_pipeline_args: List[str] = [],
):
    """Check a batch of data; fail (or warn) on anomalies and drift.

    Args:
      data_path: CSV, Parquet or TFRecord file, folder or glob (local or gs://).
      curated_schema_path: The reviewed schema.pbtxt the data must satisfy; it also
        types the columns at ingest.
      baseline_path: Earlier data, or its statistics (FeatureStats.pb or a statistics
        folder), to measure drift against; empty: no drift check.
      drift_threshold: Default drift threshold (L-infinity / Jensen-Shannon) per feature;
        thresholds set in the curated schema win.
      environment: TRAINING (labelled data) or SERVING (data without the label).
      fail_on_anomalies: Stop the run on anomalies or drift (false: warn only).
      input_format: csv, parquet, tfrecord, jsonl (JSON Lines) or auto (from the file extension).
      beam_pipeline_args: Extra Apache Beam flags.
    """
    # Never cached: keys ingest (and so every later task) on the files' state (README, "Caching").
    fingerprint_task = fingerprint_inputs(
        paths=[data_path, curated_schema_path, baseline_path]
    ).set_caching_options(False)
    ingest_task = ingest(
        data_path=data_path,
        input_fingerprint=fingerprint_task.output,
        split_mode="all",
        schema_path=curated_schema_path,
        input_format=input_format,
        beam_pipeline_args=beam_pipeline_args,
    )
    statistics_task = statistics(examples=ingest_task.outputs["examples"], beam_pipeline_args=beam_pipeline_args)
    schema_task = schema(statistics=statistics_task.outputs["statistics"], curated_schema_path=curated_schema_path)
    validate_task = validate(
        statistics=statistics_task.outputs["statistics"],
        schema=schema_task.outputs["schema"],
        baseline_statistics_path=baseline_path,
        drift_threshold=drift_threshold,
        environment=environment,
        beam_pipeline_args=beam_pipeline_args,
    )
    data_gate(anomalies=validate_task.outputs["anomalies"], fail_on_anomalies=fail_on_anomalies)
