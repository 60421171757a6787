"""One scale-benchmark step, ours or the direct library call, run in this process.

    python benchmarks/steps.py STEP SIDE PARAMS_JSON|PARAMS_FILE

STEP is data_validation, transform, train or evaluate; SIDE is ``ours`` (our runtime
functions, as the component runs them) or ``direct`` (the library call a user would
write without this project, on the same data). PARAMS_JSON names the input and output
paths (see ``benchmarks/scale.py``).

The libraries a side uses are imported before its clock starts, so ``seconds`` is the
work itself; the process's peak resident memory includes the imports. The last line
printed is JSON: ``{"rows", "seconds", "cpu_seconds", "peak_rss_gib", "detail"}``; CPU
seconds (all threads) are less disturbed than wall seconds by other work on a shared machine.
"""
import json
import os
import resource
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

BEAM_ARGS = ["--runner=FnApiRunner"]  # what our components default to (beam_options.py)
HIDDEN_UNITS = (64, 32)  # the training pipeline's defaults
LEARNING_RATE = 0.005

# What each side imports, loaded before the clock starts. Ours lists the libraries our
# runtime functions import inside their bodies.
IMPORTS = {
    ("data_validation", "direct"): ["tensorflow_data_validation"],
    ("data_validation", "ours"): [
        "tensorflow", "tensorflow_data_validation", "apache_beam", "pyarrow.compute",
        "tfx_bsl.coders.example_coder", "components.ingest.runtime", "components.statistics.runtime",
        "components.schema.runtime", "components.validate.runtime",
    ],
    ("transform", "direct"): [
        "tensorflow_transform.beam", "apache_beam", "tfx_bsl.public.tfxio", "tfx_bsl.coders.example_coder",
        "components.transform.preprocessing",
    ],
    ("transform", "ours"): [
        "tensorflow_transform.beam", "apache_beam", "tfx_bsl.public.tfxio", "tfx_bsl.coders.example_coder",
        "tensorflow_data_validation", "components.transform.runtime",
    ],
    ("train", "direct"): ["keras", "tensorflow_transform", "components.train.runtime", "components.train.model",
                          "components.train.builder"],
    ("train", "ours"): ["keras", "tensorflow_transform", "components.train.runtime", "components.train.model",
                        "components.train.builder", "components.train.checkpoints", "components.train.devices",
                        "components.train.export", "components.common.user_module"],
    ("evaluate", "direct"): ["tensorflow_model_analysis", "components.evaluate.config"],
    ("evaluate", "ours"): ["tensorflow_model_analysis", "tensorflow_data_validation", "components.evaluate.runtime"],
}


def _read_schema(path):
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    with open(path) as handle:
        return text_format.Parse(handle.read(), schema_pb2.Schema())


def data_validation_direct(p):
    import tensorflow_data_validation as tfdv

    stats = tfdv.generate_statistics_from_csv(p["csv"], output_path=p["direct_statistics"])
    return stats.datasets[0].num_examples, {}


def data_validation_ours(p):
    from components.ingest.runtime import ingest
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics
    from components.validate.runtime import validate_statistics

    detail = {}
    started = time.perf_counter()
    ingested = ingest(p["csv"], p["examples"], label=p["label"])
    detail["ingest_s"] = round(time.perf_counter() - started, 1)
    detail["ingest_peak_rss_gib"] = _peak_rss_gib()  # the process's peak so far: the imports and ingest
    started = time.perf_counter()
    generate_statistics(p["examples"], p["statistics"])
    detail["statistics_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    make_schema(p["statistics"], p["schema"], label=p["label"])
    validate_statistics(p["statistics"], p["schema"], p["anomalies"])
    detail["schema_validate_s"] = round(time.perf_counter() - started, 1)
    detail["split_row_counts"] = ingested["split_row_counts"]
    return sum(ingested["split_row_counts"].values()), detail


def transform_direct(p):
    """The textbook TFT job: analyze and transform train, transform eval, write both and the graph."""
    import apache_beam as beam
    import tensorflow_transform.beam as tft_beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from tfx_bsl.coders.example_coder import RecordBatchToExamples
    from tfx_bsl.public import tfxio

    from components.common import layout
    from components.transform.preprocessing import make_preprocessing_fn

    schema = _read_schema(os.path.join(p["schema"], layout.SCHEMA_FILE))
    preprocessing_fn = make_preprocessing_fn(schema, p["label"], p["task"])
    sources = {
        split: tfxio.TFExampleRecord(file_pattern=layout.examples_pattern(p["examples"], split), schema=schema)
        for split in layout.SPLITS
    }
    with beam.Pipeline(options=PipelineOptions(BEAM_ARGS)) as pipeline:
        with tft_beam.Context(temp_dir=os.path.join(p["direct_transform"], "tmp")):
            raw = {split: pipeline | f"Read{split}" >> source.BeamSource() for split, source in sources.items()}
            adapter = sources[layout.TRAIN].TensorAdapterConfig()
            (train, _), transform_fn = (raw[layout.TRAIN], adapter) | tft_beam.AnalyzeAndTransformDataset(
                preprocessing_fn, output_record_batches=True
            )
            evaluation, _ = ((raw[layout.EVAL], adapter), transform_fn) | tft_beam.TransformDataset(
                output_record_batches=True
            )
            _ = transform_fn | tft_beam.WriteTransformFn(os.path.join(p["direct_transform"], "graph"))
            for split, data in ((layout.TRAIN, train), (layout.EVAL, evaluation)):
                _ = (
                    data
                    | f"Encode{split}" >> beam.FlatMapTuple(lambda batch, _: RecordBatchToExamples(batch))
                    | f"Write{split}" >> beam.io.WriteToTFRecord(
                        os.path.join(p["direct_transform"], split, "data"), file_name_suffix=".gz"
                    )
                )
    return sum(p["split_row_counts"].values()), {}


def transform_ours(p):
    from components.transform.runtime import transform

    info = transform(p["examples"], p["schema"], p["statistics"], p["transform_graph"],
                     p["transformed_examples"], label=p["label"])
    return sum(p["split_row_counts"].values()), {"task": info["task"]}


def train_direct(p):
    """Model.fit of the same model, one epoch, on the same tf.data input, compiled with the
    same batches per call as ours; nothing else."""
    import keras
    import tensorflow_transform as tft

    from components.common import layout
    from components.train.builder import STEPS_PER_EXECUTION
    from components.train.model import build_model, model_features
    from components.train.runtime import make_dataset
    from components.common.task import read_task_info

    keras.utils.set_random_seed(int(p["seed"]))
    task_info = read_task_info(p["transform_graph"])
    tft_output = tft.TFTransformOutput(p["transform_graph"])
    hyperparameters = {"hidden_units": list(HIDDEN_UNITS), "learning_rate": LEARNING_RATE,
                       "batch_size": p["batch_size"], "epochs": 1, "seed": p["seed"]}
    model = build_model(model_features(tft_output, list(task_info["features"])), task_info, hyperparameters)
    # Compiled as ours is (the same batches per compiled call), so the ratio measures what
    # train() adds around fit, not a Keras setting.
    if task_info["task"] == "classification":
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        loss, metrics = "mse", ["mae"]
    model.compile(keras.optimizers.Adam(LEARNING_RATE), loss=loss, metrics=metrics,
                  steps_per_execution=STEPS_PER_EXECUTION)
    data = make_dataset(p["transformed_examples"], layout.TRAIN, tft_output.transformed_feature_spec(), task_info,
                        p["batch_size"], shuffle=True, seed=p["seed"])
    history = model.fit(data, epochs=1, verbose=0)
    return p["split_row_counts"][layout.TRAIN], {"loss": round(float(history.history["loss"][-1]), 4)}


def train_ours(p):
    """Our train(): the same fit, plus the eval split each epoch, a checkpoint and the serving export."""
    from components.common import layout
    from components.train.runtime import train

    result = train(p["transform_graph"], p["transformed_examples"], p["model"], epochs=1,
                   batch_size=p["batch_size"], learning_rate=LEARNING_RATE, hidden_units=HIDDEN_UNITS,
                   seed=p["seed"])
    return p["split_row_counts"][layout.TRAIN], {"loss": round(result["loss"], 4)}


def evaluate_direct(p):
    """tfma.run_model_analysis with the EvalConfig our evaluate builds, on the same eval split."""
    import tensorflow_model_analysis as tfma
    from apache_beam.options.pipeline_options import PipelineOptions
    from tensorflow_metadata.proto.v0 import statistics_pb2

    from components.common import layout
    from components.evaluate.config import build_eval_config
    from components.evaluate.runtime import categorical_slice_features
    from components.common.task import read_task_info

    task_info = read_task_info(p["transform_graph"])
    schema = _read_schema(os.path.join(p["schema"], layout.SCHEMA_FILE))
    statistics = statistics_pb2.DatasetFeatureStatisticsList()
    with open(layout.statistics_path(p["statistics"], layout.TRAIN), "rb") as handle:
        statistics.ParseFromString(handle.read())
    slices = categorical_slice_features(schema, statistics, task_info["label"])
    eval_config = build_eval_config(task_info, slices)
    started = time.perf_counter()
    shared_model = tfma.default_eval_shared_model(eval_saved_model_path=p["model"], eval_config=eval_config)
    tfma.run_model_analysis(
        eval_shared_model=shared_model,
        eval_config=eval_config,
        data_location=layout.examples_pattern(p["examples"], layout.EVAL),
        file_format="tfrecords",
        output_path=p["direct_evaluation"],
        schema=schema,
        pipeline_options=PipelineOptions(BEAM_ARGS),
    )
    analysis_s = round(time.perf_counter() - started, 1)
    return p["split_row_counts"][layout.EVAL], {"slices": slices, "run_model_analysis_s": analysis_s}


def evaluate_ours(p):
    from components.common import layout
    from components.evaluate.runtime import evaluate

    result = evaluate(p["model"], p["examples"], p["schema"], p["statistics"], p["transform_graph"],
                      p["evaluation"], p["blessing"])
    return p["split_row_counts"][layout.EVAL], {"blessed": result["blessed"]}


STEPS = {
    (name, side): globals()[f"{name}_{side}"]
    for name in ("data_validation", "transform", "train", "evaluate")
    for side in ("direct", "ours")
}


def _cpu_seconds():
    """User + system CPU time of this process (all its threads) and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_gib():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024 / 1024, 2)


def main(step, side, params_json):
    import importlib

    if os.path.isfile(params_json):  # scale.py --keep DIR writes DIR/params.json
        with open(params_json) as handle:
            params_json = handle.read()
    params = json.loads(params_json)
    for module in IMPORTS[(step, side)]:
        importlib.import_module(module)
    before = {name.partition(".")[0] for name in sys.modules}
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    rows, detail = STEPS[(step, side)](params)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    late = sorted(n for n in {name.partition(".")[0] for name in sys.modules} - before if not n.startswith("__"))
    if late:
        detail["imported_during_step"] = late  # a missing entry in IMPORTS (its import time is counted)
    print(json.dumps({"rows": rows, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                      "peak_rss_gib": _peak_rss_gib(), "detail": detail}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
