"""Predict: a pushed SavedModel applied to every ingested row on Beam, one output row each.

Reads the tf.Examples of every split of an examples artifact (the one split
``all`` of a batch, or train and eval), runs the model's signature on serialized tf.Examples (``serving_examples``;
``serving_default`` in older models) through Beam's ``RunInference`` (``components/predict/model.py`` says
why with our own model handler), and writes one row per input row: the key columns
of the input row, then ``predicted_class`` and ``probability_<class>`` (classifier)
or ``prediction`` (regressor). Rows are written in no particular order; the key
columns identify them.

The row guard (``components/common/row_guard.py``) counts each row as it is read
(``rows_read``, in the reading stage) and again just before it is written
(``rows_predicted``, after every transfer between stages); predict drops no row on
purpose, so any difference stops the run with ``DataLossError``.
"""
import logging
import os
from typing import Dict, Optional, Sequence

from components.common import layout, row_guard
from components.common.beam_options import pipeline_options
from components.common.errors import DataError
from components.predict import output
from components.predict.model import ModelOutputs, ServingSignatureHandler, resolve_model_dir

logger = logging.getLogger(__name__)

NAMESPACE = "predict"
ROWS_READ = "rows_read"
ROWS_COUNTER = "rows_predicted"  # counted immediately before the write


def predict(
    examples_uri: str,
    statistics_uri: str,
    model_path: str,
    output_uri: str,
    output_format: str = "csv",
    key_columns: Sequence[str] = (),
    column_order: Sequence[str] = (),
    splits: Optional[Sequence[str]] = None,
    beam_pipeline_args: Optional[Sequence[str]] = None,
    before_predict=None,
) -> Dict[str, object]:
    """Predict every example of ``examples_uri`` and write the predictions.

    Args:
      examples_uri: an examples artifact (``Split-<split>/*.gz``), as ingest writes it.
      statistics_uri: the TFDV statistics of those examples (the statistics
        component's output): they give the key columns' names and types, so the
        CSV header and Parquet schema are fixed before any row is read.
      model_path: a SavedModel folder, or a serving base folder (its highest integer
        version is used), local or ``gs://``.
      output_uri: folder that gets ``predictions-<shard>-of-<n>.csv`` (``.parquet``,
        ``.tfrecord.gz``).
      output_format: ``csv``, ``parquet`` or ``tfrecord`` (gzip TFRecord of tf.Example).
      key_columns: input columns copied to each output row; empty: every input
        column (a column empty in every row is not one).
      column_order: the order of the default key columns (ingest's CSV header);
        columns not in it follow by name.
      splits: the splits of the examples to predict (by default every split they hold).
      beam_pipeline_args: extra Beam flags.
      before_predict: an optional Beam PTransform applied to the serialized
        tf.Examples between reading and predicting (e.g. ``beam.Reshuffle()`` to spread
        them over workers). It must keep every row: the row guard counts on both sides
        and stops the run when a row goes missing.

    Returns:
      ``{"rows", "format", "files", "columns", "key_columns", "task", "classes",
      "model_dir", "model_version"}``.

    Raises:
      ConfigurationError: no model at ``model_path``, a model without the expected
        signature, an unknown format, a key column not in the batch or named like a
        prediction column.
      DataError: a row lacks a feature the model needs (named, with the row's key
        columns), or the examples hold no rows.
      DataLossError: fewer (or more) rows written than read (``row_guard``).
    """
    import apache_beam as beam
    from apache_beam.ml.inference.base import RunInference

    from components.common.metadata import load_statistics

    fmt = output.check_format(output_format)
    splits = list(splits or layout.split_names(examples_uri))
    model_dir, version = resolve_model_dir(model_path)
    model = ModelOutputs(model_dir)
    statistics = [load_statistics(statistics_uri, split) for split in splits]
    keys = output.choose_key_columns(output.batch_columns(statistics), list(key_columns), column_order)
    predictions = output.prediction_columns(model.task, model.classes)
    output.check_names(keys, predictions)
    columns = keys + predictions
    key_names = [c.name for c in keys]
    task, classes = model.task, model.classes
    read_counter = row_guard.counter(NAMESPACE, ROWS_READ)
    written_counter = row_guard.counter(NAMESPACE, ROWS_COUNTER)

    def count_read(example):
        read_counter.inc()
        return example

    def to_row(result):
        return output.prediction_row(result.example, result.inference, keys, task, classes)

    def count_written(row):
        written_counter.inc()
        return row

    prefix = os.path.join(output_uri, output.FILE_PREFIX)
    suffix = output.SUFFIXES[fmt]
    logger.info("Predicting %s with %s (%s) into %s files", examples_uri, model_dir, task, fmt)
    with beam.Pipeline(options=pipeline_options(beam_pipeline_args)) as pipeline:
        sources = [
            pipeline
            | f"Read{split.title()}" >> beam.io.ReadFromTFRecord(layout.examples_pattern(examples_uri, split))
            | f"CountRead{split.title()}" >> beam.Map(count_read)
            for split in splits
        ]
        examples = sources | "AllSplits" >> beam.Flatten()
        if before_predict is not None:
            examples = examples | "BeforePredict" >> before_predict
        rows = (
            examples
            | "Predict" >> RunInference(ServingSignatureHandler(model_dir, key_names))
            | "ToRows" >> beam.Map(to_row)
            | "CountWritten" >> beam.Map(count_written)
        )
        if fmt == "csv":
            _ = (
                rows
                | "ToCsv" >> beam.Map(output.csv_line, columns)
                | "WriteCsv" >> beam.io.WriteToText(prefix, file_name_suffix=suffix, header=output.csv_header(columns))
            )
        elif fmt == "parquet":
            _ = rows | "WriteParquet" >> beam.io.WriteToParquet(
                prefix, output.parquet_schema(columns), file_name_suffix=suffix
            )
        else:
            _ = (
                rows
                | "ToExamples" >> beam.Map(output.tf_example, columns)
                | "WriteTFRecord" >> beam.io.WriteToTFRecord(prefix, file_name_suffix=suffix)
            )
    counts = row_guard.counter_values(pipeline.result, NAMESPACE)
    count = counts.get(ROWS_COUNTER, 0)
    if counts.get(ROWS_READ, 0) == 0:
        raise DataError(f"The examples {examples_uri!r} hold no rows to predict.")
    row_guard.check_rows("Batch prediction", examples_uri, counts.get(ROWS_READ, 0), count)
    files = sorted(tf_glob(prefix + "-*" + suffix))
    logger.info("Wrote %d predictions to %d %s file(s) under %s", count, len(files), fmt, output_uri)
    return {
        "rows": count,
        "format": fmt,
        "files": files,
        "columns": [c.name for c in columns],
        "key_columns": key_names,
        "task": task,
        "classes": classes,
        "model_dir": model_dir,
        "model_version": version,
    }


def tf_glob(pattern: str):
    import tensorflow as tf

    return tf.io.gfile.glob(pattern)
