"""Transform: TensorFlow Transform on Beam -> a transform graph and transformed examples.

The transform graph folder also holds ``task.json``, the facts the trainer and the
evaluator need: the label, the task (classification or regression), the class
names, and the raw label statistics used to scale a regression output.
"""
import logging
import os
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

from components.common import feature_names, layout, storage
from components.common.beam_options import pipeline_options
from components.common.errors import ConfigurationError, DataError
from components.common.task import CLASSIFICATION, infer_task, label_statistics, write_task_info
from components.transform import preprocessing, roles as column_roles

logger = logging.getLogger(__name__)

# Above this size of train split files (gzipped tf.Examples) the split is read twice, once
# to analyze and once to transform; at or below it, once (TFT's AnalyzeAndTransformDataset),
# and the in-process runner holds the decoded split in memory until the analysis ends: about
# 14 times the files' size (0.73 GiB for the 51 MB of 800,000 taxi rows), so at most ~0.9 GiB
# here. The second read costs time: on 1,000,000 taxi rows transform took 205.6 CPU s reading
# twice, TFT's one-read call 156.7 (benchmarks/README.md).
READ_ONCE_MAX_BYTES = 64 << 20

# Class names read as the positive class of a binary label, in this order of preference.
POSITIVE_CLASS_NAMES = ("1", "true", "yes", "y", "positive", "pos")


def user_preprocessing_fn(module_file: str, type_specs) -> Optional[Callable]:
    """The module's preprocessing_fn, traced once on the raw features' ``type_specs`` to fail
    early; None when the module defines only a model builder.

    Raises:
      ConfigurationError: the module breaks the contract, or its preprocessing_fn fails
        on the raw features (the message names the module's line).
    """
    import tensorflow_transform as tft

    from components.common.user_module import PREPROCESSING_FN, load_user_module, user_code_error

    module = load_user_module(module_file)
    if module.preprocessing_fn is None:
        logger.info("Module file %s defines no preprocessing_fn: using the default preprocessing", module_file)
        return None
    try:
        tft.get_analyze_input_columns(module.preprocessing_fn, type_specs)
    except Exception as error:
        raise user_code_error(module, PREPROCESSING_FN, error) from error
    return module.preprocessing_fn


def _read_train_split_twice(pattern: str) -> bool:
    """Whether the train split's files pass ``READ_ONCE_MAX_BYTES``; logged either way."""
    import tensorflow as tf

    size = sum(tf.io.gfile.stat(path).length for path in tf.io.gfile.glob(pattern))
    limit = f"{READ_ONCE_MAX_BYTES >> 20} MB"
    if size > READ_ONCE_MAX_BYTES:
        logger.info("Train split files: %.1f MB, above %s; read twice, to analyze and to transform: "
                    "memory stays flat", size / 1e6, limit)
        return True
    logger.info("Train split files: %.1f MB, at most %s; read once, and held in memory until analyzed",
                size / 1e6, limit)
    return False


def _tfxio(pattern: str, schema):
    from tfx_bsl.public import tfxio

    return tfxio.TFExampleRecord(
        file_pattern=pattern, schema=schema, telemetry_descriptors=["kfp-tf-components", "transform"]
    )


def transform(
    examples_uri: str,
    schema_uri: str,
    statistics_uri: str,
    transform_graph_uri: str,
    transformed_examples_uri: str,
    label: str,
    task: str = "auto",
    module_file: str = "",
    beam_pipeline_args: Optional[Sequence[str]] = None,
    column_roles_override: Optional[Dict[str, str]] = None,
    roles_report_path: str = "",
) -> Dict[str, object]:
    """Analyze the train split, transform both splits, and save the transform graph.

    Args:
      examples_uri, schema_uri, statistics_uri: the upstream artifacts.
      transform_graph_uri: output TFTransformOutput folder (plus ``task.json``).
      transformed_examples_uri: output examples in the usual per-split layout.
      label: the label column.
      task: ``auto``, ``classification`` or ``regression``.
      module_file: optional user module (``components/common/user_module.py``); its
        ``preprocessing_fn(inputs)``, when defined, replaces the default and must
        output the label as ``<label>_xf`` (a class id for classification).
      column_roles_override: {column: role} replacing inferred roles
        (``components/transform/roles.py``); the roles, inferred and overridden,
        are written as ``column_roles.json`` / ``column_roles.md`` beside the graph.
      roles_report_path: where to write the roles' Markdown report too (a KFP
        Markdown artifact); empty: none.

    Returns:
      The task facts (also written to ``task.json``).

    Raises:
      DataError: the label is missing, or a classification label has fewer than two classes.
      ConfigurationError: bad task or module file.
    """
    import apache_beam as beam
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io
    from tfx_bsl.coders import example_coder
    from components.common.metadata import load_schema, load_statistics

    schema = load_schema(layout.schema_path(schema_uri))
    statistics = load_statistics(statistics_uri, layout.TRAIN)
    task = infer_task(schema, statistics, label, task)
    preprocessing_fn = None
    if module_file:
        type_specs = _tfxio(layout.examples_pattern(examples_uri, layout.TRAIN), schema).TensorAdapter().OriginalTypeSpecs()
        preprocessing_fn = user_preprocessing_fn(module_file, type_specs)
    records = None
    if preprocessing_fn is None:
        records = column_roles.infer_roles(
            schema, statistics, label, preprocessing.univalent_features(schema), column_roles_override,
            total_rows=_total_rows(statistics_uri),
        )
        preprocessing_fn = preprocessing.make_preprocessing_fn(schema, label, task, records)
    elif column_roles_override:
        raise ConfigurationError(
            f"column_roles is set, but the module file {module_file!r} defines its own preprocessing_fn, "
            "which decides every column's treatment: drop column_roles or the module's preprocessing_fn."
        )
    label_key = preprocessing.transformed_name(label)

    temp_dir = tempfile.mkdtemp(prefix="tft-")
    with beam.Pipeline(options=pipeline_options(beam_pipeline_args)) as pipeline:
        with tft_beam.Context(temp_dir=temp_dir):
            train_io = _tfxio(layout.examples_pattern(examples_uri, layout.TRAIN), schema)
            eval_io = _tfxio(layout.examples_pattern(examples_uri, layout.EVAL), schema)
            train_data = pipeline | "ReadTrain" >> train_io.BeamSource()
            eval_data = pipeline | "ReadEval" >> eval_io.BeamSource()
            if _read_train_split_twice(layout.examples_pattern(examples_uri, layout.TRAIN)):
                train_to_analyze = pipeline | "ReadTrainToAnalyze" >> train_io.BeamSource()
                transform_fn = (
                    (train_to_analyze, train_io.TensorAdapterConfig())
                    | "Analyze" >> tft_beam.AnalyzeDataset(preprocessing_fn)
                )
                transformed_train, transformed_metadata = (
                    ((train_data, train_io.TensorAdapterConfig()), transform_fn)
                    | "TransformTrain" >> tft_beam.TransformDataset(output_record_batches=True)
                )
            else:
                (transformed_train, transformed_metadata), transform_fn = (
                    (train_data, train_io.TensorAdapterConfig())
                    | "AnalyzeAndTransform" >> tft_beam.AnalyzeAndTransformDataset(
                        preprocessing_fn, output_record_batches=True
                    )
                )
            transformed_eval, _ = (
                ((eval_data, eval_io.TensorAdapterConfig()), transform_fn)
                | "TransformEval" >> tft_beam.TransformDataset(output_record_batches=True)
            )
            _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(transform_graph_uri)

            class EncodeExamples(beam.DoFn):
                """Transformed record batches -> serialized tf.Examples (encoder built once)."""

                def __init__(self):
                    self._encoder = None

                def process(self, batch_and_passthrough, metadata):
                    if self._encoder is None:
                        self._encoder = example_coder.RecordBatchToExamplesEncoder(metadata.schema)
                    yield from self._encoder.encode(batch_and_passthrough[0])

            deferred_metadata = beam.pvalue.AsSingleton(transformed_metadata.deferred_metadata)

            for split, data in ((layout.TRAIN, transformed_train), (layout.EVAL, transformed_eval)):
                _ = (
                    data
                    | f"Encode{split.title()}" >> beam.ParDo(EncodeExamples(), metadata=deferred_metadata)
                    | f"Write{split.title()}" >> beam.io.WriteToTFRecord(
                        layout.examples_prefix(transformed_examples_uri, split), file_name_suffix=".gz"
                    )
                )

    # The raw schema beside the graph, so the serving signature can parse raw examples.
    metadata_io.write_metadata(
        dataset_metadata.DatasetMetadata(schema),
        os.path.join(transform_graph_uri, tft.TFTransformOutput.RAW_METADATA_DIR),
    )
    tft_output = tft.TFTransformOutput(transform_graph_uri)
    transformed_spec = tft_output.transformed_feature_spec()
    if label_key not in transformed_spec:
        raise ConfigurationError(
            f"The preprocessing_fn must output the label as {label_key!r}; it outputs "
            f"{', '.join(sorted(transformed_spec))}."
        )
    info: Dict[str, object] = {
        "label": label,
        "label_key": label_key,
        "task": task,
        "raw_label_type": _raw_type(schema, label),
        "features": sorted(k for k in transformed_spec if k != label_key),
    }
    # Columns whose name TensorFlow does not take as it is, and the safe name used inside
    # the model and as the serving_default input instead (README, "Column names");
    # reports keep the column names.
    info["serving_inputs"] = feature_names.renamed(
        feature_names.safe_names(f.name for f in schema.feature if f.name != label)
    )
    if task == CLASSIFICATION:
        classes = _label_classes(tft_output)
        if len(classes) < 2:
            raise DataError(
                f"The label {label!r} has {len(classes)} class(es) in the train split ({classes}); "
                "classification needs at least two. Check the label column or the data."
            )
        info["classes"] = classes
        info["class_counts"] = _label_counts(tft_output, classes, transformed_examples_uri, label_key)
        if len(classes) == 2:
            info["positive_class"] = positive_class(classes)
    else:
        numeric = label_statistics(statistics, label).num_stats
        info["label_mean"] = float(numeric.mean)
        info["label_std"] = float(numeric.std_dev) or 1.0
    if records is not None:
        column_roles.write_roles(transform_graph_uri, records)
        if roles_report_path:
            storage.write_bytes(roles_report_path, column_roles.markdown(records).encode("utf-8"))
        info["column_roles"] = records
        info["column_notes"] = column_roles.excluded_notes(records)
    if roles_report_path and records is None:
        storage.write_bytes(roles_report_path, (
            "# Column roles\n\nThe module file's preprocessing_fn decides every column's treatment "
            f"({module_file}); no roles were inferred.\n").encode("utf-8"))
    write_task_info(transform_graph_uri, info)
    logger.info("Transform done: task %s, label %s, features %s", task, label, info["features"])
    return info


def _total_rows(statistics_uri: str) -> int:
    """Rows of the train and eval splits together (from their statistics)."""
    from components.common.metadata import load_statistics

    return sum(int(load_statistics(statistics_uri, split).datasets[0].num_examples) for split in (layout.TRAIN, layout.EVAL))


def positive_class(classes: Sequence[str]) -> str:
    """The positive class of a binary label: a name like 1/true/yes, else the rarer class."""
    for name in POSITIVE_CLASS_NAMES:
        for candidate in classes:
            if candidate.strip().lower() == name:
                return candidate
    return classes[1]  # classes are ordered most frequent first


def _label_counts(tft_output, classes: Sequence[str], transformed_examples_uri: str, label_key: str) -> Dict[str, int]:
    """Train examples per class: from the label_frequencies vocabulary the default
    preprocessing writes, else counted from the transformed train split's class ids
    (a user preprocessing_fn). The evaluator's "better than the most frequent class"
    test needs them, so they are never left out."""
    import numpy as np
    import tensorflow as tf

    path = tft_output.vocabulary_file_by_name(preprocessing.LABEL_FREQUENCIES)
    if path is not None:
        counts = {}
        with tf.io.gfile.GFile(path) as handle:
            for line in handle:
                count, _, name = line.rstrip("\n").partition(" ")
                counts[name] = int(float(count))
        return {name: counts.get(name, 0) for name in classes}
    files = tf.io.gfile.glob(layout.examples_pattern(transformed_examples_uri, layout.TRAIN))
    spec = {label_key: tf.io.FixedLenFeature([], tf.int64)}
    ids = np.zeros(len(classes), dtype=np.int64)
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(4096)
    for batch in dataset.map(lambda records: tf.io.parse_example(records, spec)[label_key]):
        ids += np.bincount(np.clip(batch.numpy(), 0, len(classes) - 1), minlength=len(classes))
    return {name: int(ids[index]) for index, name in enumerate(classes)}


def _raw_type(schema, label: str) -> str:
    from tensorflow_metadata.proto.v0 import schema_pb2

    for feature in schema.feature:
        if feature.name == label:
            return schema_pb2.FeatureType.Name(feature.type)
    return "UNKNOWN"


def _label_classes(tft_output) -> List[str]:
    """Class names in class-id order, when the label went through the default vocabulary."""
    try:
        return [
            v.decode("utf-8") if isinstance(v, bytes) else str(v)
            for v in tft_output.vocabulary_by_name(preprocessing.LABEL_VOCABULARY)
        ]
    except Exception:
        raise ConfigurationError(
            "A classification preprocessing_fn must map the label through "
            f"tft.compute_and_apply_vocabulary(..., vocab_filename={preprocessing.LABEL_VOCABULARY!r}) "
            "so the class names are known."
        ) from None
