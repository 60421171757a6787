"""The training pipeline: ingest -> statistics -> schema -> validate -> data_gate
(beside check_settings) -> transform -> train -> evaluate (against the baseline: the
last pushed model) -> infra_validate -> push.

Gates measure, then decide: validate always completes with its report and
comparison view, and the small data_gate task after it stops the run on
anomalies, so the evidence of a stopped run is the output of a finished task
(KFP's launcher uploads no outputs of a failed one). check_settings stops a run
with a threshold, slice or serving folder that cannot work before any work.
No dsl.If/ParallelFor/ExitHandler: push decides from both blessings itself, so the
same DAG runs on kfp's local runner, on Kubeflow Pipelines and on Vertex AI Pipelines.
"""
from typing import Dict, List

from kfp import dsl

from components.catalog import (
    baseline,
    check_settings,
    data_gate,
    evaluate,
    fingerprint_inputs,
    infra_validate,
    ingest,
    push,
    schema,
    statistics,
    train,
    transform,
    validate,
)

# Retries of the train task (each resumes from the last completed epoch).
TRAIN_RETRIES = 2


@dsl.pipeline(
    name="training",
    description="Train, evaluate and push a TensorFlow model on tabular data (CSV, Parquet or TFRecord).",
)
def training(
    data_path: str,
    label: str,
    serving_model_dir: str,
    train_ratio: float = 0.8,
    input_format: str = "auto",
    non_numeric_cells: str = "stop",
    curated_schema_path: str = "",
    fail_on_anomalies: bool = True,
    baseline_statistics_path: str = "",
    drift_threshold: float = 0.1,
    task: str = "auto",
    module_file: str = "",
    column_roles: Dict[str, str] = {},
    epochs: int = 100,
    batch_size: int = 0,
    learning_rate: float = 0.005,
    hidden_units: List[int] = [],
    seed: int = 42,
    checkpoint_dir: str = "",
    early_stopping_patience: int = 10,
    validation_fraction: float = 0.15,
    class_weight: str = "auto",
    dropout: float = 0.1,
    l2: float = 0.0001,
    deterministic: bool = False,
    train_cpu_limit: str = "4",
    train_memory_limit: str = "16G",
    train_accelerator_type: str = "",
    train_accelerator_count: int = 1,
    thresholds: Dict[str, Dict[str, float]] = {},
    change_thresholds: Dict[str, Dict[str, float]] = {},
    slices: List[str] = [],
    allow_small_eval_split: bool = False,
    accept_champion_collapse: bool = False,
    baseline_vertex_model: str = "",
    beam_pipeline_args: List[str] = [],
):
    """Train on tabular data to predict a label; push the model only if it is blessed.

    Args:
      data_path: CSV, Parquet or TFRecord file, folder or glob (local or gs://).
      label: The column to predict.
      serving_model_dir: Base folder blessed models are pushed to, as <dir>/<version>/;
        its newest version is the baseline the candidate must not fall behind.
      train_ratio: Fraction of rows in the train split (deterministic hash split).
      input_format: csv, parquet, tfrecord, jsonl (JSON Lines) or auto (from the file extension).
      non_numeric_cells: A CSV column of numbers with a few cells that are not numbers:
        stop (default: an error naming the column and cells), missing (read those cells
        as missing values, with a warning) or text (read the column as text, with a warning).
      curated_schema_path: A reviewed schema.pbtxt to validate against instead of
        inferring one; it also types the columns at ingest.
      fail_on_anomalies: Stop the run when validation finds anomalies (false: warn).
      baseline_statistics_path: Earlier data, or its statistics (FeatureStats.pb or a
        statistics folder), to check the new data's drift against; empty: no check.
      drift_threshold: Default drift threshold (L-infinity / Jensen-Shannon) per feature.
      task: auto, classification or regression.
      module_file: Python file (local or gs://) defining preprocessing_fn(inputs) and/or
        build_model(features, task, hyperparameters), replacing the defaults (README,
        "User modules"; examples/user_module.py).
      column_roles: {column: role} overriding the roles inferred from the statistics
        (numeric, categorical, date, identifier, text, boolean), e.g.
        {"order_id": "identifier", "when": "categorical"}; README, "Column roles".
      epochs: The most training epochs (early stopping usually stops sooner).
      batch_size: Training batch size; 0: chosen from the train rows (32..512).
      learning_rate: Adam learning rate.
      hidden_units: Sizes of the hidden layers; empty: scaled to the inputs and rows.
      seed: Random seed; -1 for none.
      checkpoint_dir: Stable folder (gs:// on a cluster) where train saves a checkpoint
        after every epoch, so a retried or re-run training resumes from it; empty:
        inside the model output.
      early_stopping_patience: Stop training after this many epochs without a lower
        loss on the validation slice (best weights kept); 0: off.
      validation_fraction: Share of the train split held out as the validation slice
        for early stopping (never the eval split); none under 128 train rows; 0: none.
      class_weight: auto (square-root balanced weights for imbalanced classes),
        balanced or none; the choice is logged and in the run summary.
      dropout: Dropout rate after each hidden layer of the default model.
      l2: L2 penalty on the default model's hidden-layer weights.
      deterministic: Deterministic TensorFlow ops in train (same data and seed, same model).
      train_cpu_limit: CPU limit of the train task ("4", "500m").
      train_memory_limit: Memory limit of the train task ("16G").
      train_accelerator_type: Accelerator of the train task: "nvidia.com/gpu" on
        Kubeflow, "NVIDIA_TESLA_T4" and the like on Vertex AI; empty: none.
      train_accelerator_count: How many accelerators (with train_accelerator_type).
      thresholds: {metric: {"lower_bound": x, "upper_bound": y}} for blessing; empty
        means the task's default.
      change_thresholds: How much worse than the baseline (the newest model in
        serving_model_dir) the candidate may be, e.g. {"accuracy": {"max_drop": 0.01}}
        or {"loss": {"max_increase": 0.05}}; empty means the task's default. Not
        used on the first run (no baseline).
      slices: Features to report metrics per value of ("a,b" crosses two); empty
        means every categorical feature.
      allow_small_eval_split: Judge an eval split too small to decide anything on its
        values alone (recorded in the blessing) instead of blessing nothing.
      accept_champion_collapse: Bless even when the champion, on this eval split,
        falls far below what it scored when it was blessed (recorded).
      baseline_vertex_model: A Vertex AI Model Registry model
        (projects/P/locations/L/models/M): its default version is the baseline
        instead of the newest version in serving_model_dir; empty: the serving folder.
      beam_pipeline_args: Extra Apache Beam flags for the Beam steps.
    """
    # Never cached: it lists the external files (names, sizes, mtimes or GCS
    # generations) so that ingest, and everything after it, is cached on their
    # state, not on their paths (README, "Caching").
    fingerprint_task = fingerprint_inputs(
        paths=[data_path, curated_schema_path, baseline_statistics_path, module_file]
    ).set_caching_options(False)
    ingest_task = ingest(
        data_path=data_path,
        input_fingerprint=fingerprint_task.output,
        label=label,
        train_ratio=train_ratio,
        input_format=input_format,
        beam_pipeline_args=beam_pipeline_args,
        schema_path=curated_schema_path,
        non_numeric_cells=non_numeric_cells,
    )
    statistics_task = statistics(
        examples=ingest_task.outputs["examples"], beam_pipeline_args=beam_pipeline_args
    )
    schema_task = schema(
        statistics=statistics_task.outputs["statistics"],
        label=label,
        curated_schema_path=curated_schema_path,
    )
    validate_task = validate(
        statistics=statistics_task.outputs["statistics"],
        schema=schema_task.outputs["schema"],
        baseline_statistics_path=baseline_statistics_path,
        drift_threshold=drift_threshold,
        beam_pipeline_args=beam_pipeline_args,
    )
    gate_task = data_gate(anomalies=validate_task.outputs["anomalies"], fail_on_anomalies=fail_on_anomalies)
    # Never cached: it reads the serving folder's state (is it writable).
    settings_task = check_settings(
        schema=schema_task.outputs["schema"],
        statistics=statistics_task.outputs["statistics"],
        label=label,
        serving_model_dir=serving_model_dir,
        task=task,
        thresholds=thresholds,
        change_thresholds=change_thresholds,
        slices=slices,
    ).set_caching_options(False)
    transform_task = transform(
        examples=ingest_task.outputs["examples"],
        schema=schema_task.outputs["schema"],
        statistics=statistics_task.outputs["statistics"],
        anomalies=validate_task.outputs["anomalies"],
        label=label,
        task=task,
        module_file=module_file,
        beam_pipeline_args=beam_pipeline_args,
        column_roles=column_roles,
    ).after(gate_task, settings_task)
    train_task = train(
        transform_graph=transform_task.outputs["transform_graph"],
        transformed_examples=transform_task.outputs["transformed_examples"],
        examples=ingest_task.outputs["examples"],
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        hidden_units=hidden_units,
        seed=seed,
        module_file=module_file,
        checkpoint_dir=checkpoint_dir,
        early_stopping_patience=early_stopping_patience,
        deterministic=deterministic,
        validation_fraction=validation_fraction,
        class_weight=class_weight,
        dropout=dropout,
        l2=l2,
    )
    # A killed or preempted train task is retried and resumes from its checkpoint.
    train_task.set_retry(TRAIN_RETRIES, backoff_duration="30s")
    train_task.set_cpu_limit(train_cpu_limit).set_memory_limit(train_memory_limit)
    train_task.set_accelerator_type(train_accelerator_type).set_accelerator_limit(train_accelerator_count)
    # Never cached: the same serving folder holds a newer version after each push.
    baseline_task = baseline(
        serving_model_dir=serving_model_dir, vertex_parent_model=baseline_vertex_model
    ).set_caching_options(False)
    evaluate_task = evaluate(
        model=train_task.outputs["model"],
        baseline_model=baseline_task.outputs["baseline_model"],
        examples=ingest_task.outputs["examples"],
        schema=schema_task.outputs["schema"],
        statistics=statistics_task.outputs["statistics"],
        transform_graph=transform_task.outputs["transform_graph"],
        thresholds=thresholds,
        change_thresholds=change_thresholds,
        slices=slices,
        allow_small_eval_split=allow_small_eval_split,
        accept_champion_collapse=accept_champion_collapse,
    )
    infra_validate_task = infra_validate(
        model=train_task.outputs["model"],
        examples=ingest_task.outputs["examples"],
        transform_graph=transform_task.outputs["transform_graph"],
    )
    # Never cached: it writes a new version into the serving folder.
    push(
        model=train_task.outputs["model"],
        blessing=evaluate_task.outputs["blessing"],
        infra_blessing=infra_validate_task.outputs["infra_blessing"],
        statistics=statistics_task.outputs["statistics"],
        schema=schema_task.outputs["schema"],
        serving_model_dir=serving_model_dir,
    ).set_caching_options(False)
