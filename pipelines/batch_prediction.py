"""The batch-prediction pipeline: ingest a new batch -> statistics -> validate it
against the training schema (SERVING environment) and the training statistics
(skew) -> predict with a pushed model on Beam -> predictions with the key columns.

Pure wiring, no control flow: validation stops the run by failing its task, and
predict runs after it, so nothing is predicted on a batch that failed validation.
Runs locally, on Kubeflow Pipelines and on Vertex AI.
"""
from typing import List

from kfp import dsl

from components.catalog import data_gate, fingerprint_inputs, ingest, predict, schema, statistics, validate


@dsl.pipeline(
    name="batch-prediction",
    description="Validate a batch of unlabelled data against the training schema and statistics, then predict it with a pushed model.",
)
def batch_prediction(
    data_path: str,
    model_path: str,
    curated_schema_path: str,
    baseline_statistics_path: str = "",
    drift_threshold: float = 0.1,
    fail_on_anomalies: bool = True,
    output_format: str = "csv",
    key_columns: List[str] = [],
    input_format: str = "auto",
    beam_pipeline_args: List[str] = [],
):
    """Predict a batch of rows with a pushed model, after checking the batch.

    Args:
      data_path: CSV, Parquet or TFRecord file, folder or glob (local or gs://); the
        label column may be absent.
      model_path: The serving folder the training pipeline pushes to (its newest
        version is used) or one version folder in it.
      curated_schema_path: The training schema (schema.pbtxt, for example from
        `kfp-tf schema export`): it types the batch's columns, and the batch is
        checked in its SERVING environment, where the label is not expected.
      baseline_statistics_path: The training statistics (a training run's statistics
        folder or a FeatureStats.pb), or training data, to measure skew against;
        empty: no skew check.
      drift_threshold: Skew above which a feature stops the run (L-infinity for
        categorical, Jensen-Shannon for numeric features), where the schema sets none.
      fail_on_anomalies: Stop before predicting on anomalies or skew (false: warn only).
      output_format: csv, parquet or tfrecord.
      key_columns: Input columns written beside each prediction; empty: every column.
      input_format: csv, parquet, tfrecord, jsonl (JSON Lines) or auto (from the file extension).
      beam_pipeline_args: Extra Apache Beam flags.
    """
    # The batch is one split ("all"), so a batch of any size (one row included) is
    # validated and predicted whole; its columns are typed by the training schema,
    # not by this batch's values. Ingest (and the checks after it) is cached on the
    # fingerprint of the batch, schema and baseline files, never on their paths
    # alone; predict is never cached: the same serving folder may hold a newer
    # model version on the next run (README, "Caching").
    fingerprint_task = fingerprint_inputs(
        paths=[data_path, curated_schema_path, baseline_statistics_path]
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
        baseline_statistics_path=baseline_statistics_path,
        drift_threshold=drift_threshold,
        environment="SERVING",
        beam_pipeline_args=beam_pipeline_args,
    )
    # validate writes its report and always completes; the gate stops the run.
    gate_task = data_gate(anomalies=validate_task.outputs["anomalies"], fail_on_anomalies=fail_on_anomalies)
    predict(
        examples=ingest_task.outputs["examples"],
        statistics=statistics_task.outputs["statistics"],
        model_path=model_path,
        output_format=output_format,
        key_columns=key_columns,
        beam_pipeline_args=beam_pipeline_args,
    ).after(gate_task).set_caching_options(False)
