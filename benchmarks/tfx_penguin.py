"""The penguin training job as a TFX 1.16 pipeline, run by TFX's LocalDagRunner in this process.

    .bench-tfx/bin/python benchmarks/tfx_penguin.py --workdir DIR   # make bench-tfx runs it beside ours

The reference of the local penguin run's target (issue 17): the same data (our bundled
penguins CSV, split 4:1 like our ingest), the same preprocessing and model
(benchmarks/tfx_penguin_module.py), through CsvExampleGen, StatisticsGen, SchemaGen,
ExampleValidator, Transform, Trainer, Evaluator (TFMA, accuracy) and Pusher to a local
folder, with a SQLite metadata store in DIR and Beam's in-process runner (one worker, as
ours). Needs TFX in its own environment (it cannot be installed beside kfp 2.x):
benchmarks/requirements-tfx.txt. Writes DIR/summary.json: seconds per component (from the
metadata store's executions), the accuracy and whether the model was pushed.
"""
import argparse
import json
import os
import shutil
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TFX 1.16's Trainer and TFT's layer are Keras 2

HERE = os.path.dirname(os.path.abspath(__file__))
PENGUINS = os.path.join(os.path.dirname(HERE), "pipelines", "sample_data", "penguins.csv")
# The module's functions by import path (this script's folder is on sys.path), not
# module_file=: a module file is packaged as a wheel that Transform and Trainer each
# pip-install into a temporary folder first, seconds more for TFX; ours takes no module.
MODULE = "tfx_penguin_module"
# Our trainer's defaults, as chosen for the penguins (components/train/component.py, defaults.py).
TRAINING = {"epochs": 100, "batch_size": 32, "learning_rate": 0.005, "hidden_units": [32, 16], "dropout": 0.1,
            "l2": 1e-4, "seed": 42, "patience": 10, "validation_fraction": 0.15}
BEAM_ARGS = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def make_pipeline(workdir, data, epochs):
    import tensorflow_model_analysis as tfma
    from tfx import v1 as tfx

    data_dir = os.path.join(workdir, "data")
    os.makedirs(data_dir, exist_ok=True)
    shutil.copy(data, data_dir)
    splits = tfx.proto.SplitConfig(splits=[tfx.proto.SplitConfig.Split(name="train", hash_buckets=4),
                                           tfx.proto.SplitConfig.Split(name="eval", hash_buckets=1)])
    example_gen = tfx.components.CsvExampleGen(input_base=data_dir, output_config=tfx.proto.Output(split_config=splits))
    statistics = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema = tfx.components.SchemaGen(statistics=statistics.outputs["statistics"], infer_feature_shape=False)
    validator = tfx.components.ExampleValidator(statistics=statistics.outputs["statistics"],
                                                schema=schema.outputs["schema"])
    transform = tfx.components.Transform(examples=example_gen.outputs["examples"], schema=schema.outputs["schema"],
                                         preprocessing_fn=f"{MODULE}.preprocessing_fn")
    trainer = tfx.components.Trainer(
        run_fn=f"{MODULE}.run_fn", examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
        train_args=tfx.proto.TrainArgs(), eval_args=tfx.proto.EvalArgs(),
        custom_config=dict(TRAINING, epochs=epochs))
    eval_config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", label_key="species_xf",
                                    preprocessing_function_names=["transform_features"])],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="ExampleCount"),
            tfma.MetricConfig(class_name="SparseCategoricalAccuracy", threshold=tfma.MetricThreshold(
                value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 0.6})))])])
    evaluator = tfx.components.Evaluator(examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
                                         eval_config=eval_config)
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(filesystem=tfx.proto.PushDestination.Filesystem(
            base_directory=os.path.join(workdir, "serving_model"))))
    return tfx.dsl.Pipeline(
        pipeline_name="penguin-tfx", pipeline_root=os.path.join(workdir, "pipeline_root"),
        components=[example_gen, statistics, schema, validator, transform, trainer, evaluator, pusher],
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            os.path.join(workdir, "metadata.db")),
        beam_pipeline_args=BEAM_ARGS, enable_cache=False)


def component_seconds(workdir):
    """{component: seconds} from the executions in the metadata store."""
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = os.path.join(workdir, "metadata.db")
    store = metadata_store.MetadataStore(config)
    types = {t.id: t.name.rsplit(".", 1)[-1] for t in store.get_execution_types()}
    return {types[e.type_id]: round((e.last_update_time_since_epoch - e.create_time_since_epoch) / 1000, 1)
            for e in sorted(store.get_executions(), key=lambda e: e.create_time_since_epoch)}


def accuracy(workdir):
    import glob

    import tensorflow_model_analysis as tfma

    [evaluation] = glob.glob(os.path.join(workdir, "pipeline_root", "Evaluator", "evaluation", "*"))
    metrics = tfma.load_metrics(evaluation)
    for record in metrics:
        for key in record.metric_keys_and_values:
            if key.key.name == "sparse_categorical_accuracy":
                return key.value.double_value.value
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--data", default=PENGUINS, help="the CSV (default: our bundled penguins)")
    parser.add_argument("--epochs", type=int, default=TRAINING["epochs"])
    args = parser.parse_args(argv)

    from tfx import v1 as tfx

    started = time.perf_counter()
    tfx.orchestration.LocalDagRunner().run(make_pipeline(os.path.abspath(args.workdir), args.data, args.epochs))
    seconds = time.perf_counter() - started
    pushed = os.path.isdir(os.path.join(args.workdir, "serving_model")) and os.listdir(
        os.path.join(args.workdir, "serving_model"))
    summary = {"status": "succeeded", "seconds": round(seconds, 1), "task_seconds": component_seconds(args.workdir),
               "accuracy": accuracy(args.workdir), "pushed": bool(pushed)}
    with open(os.path.join(args.workdir, "summary.json"), "w") as handle:
        json.dump(summary, handle, indent=2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
