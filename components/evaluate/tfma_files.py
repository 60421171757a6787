"""Writes evaluation results in TFMA's output format, so ``tfma.load_eval_result`` reads them.

The folder holds what ``tfma.run_model_analysis`` writes: ``eval_config.json`` (an
``EvalRun``: the EvalConfig, TFMA's version, the data and model locations),
``metrics-00000-of-00001.tfrecord`` (one ``MetricsForSlice`` per slice),
``plots-00000-of-00001.tfrecord`` (``PlotsForSlice``) and ``validations.tfrecord``
(a ``ValidationResult``: nothing is validated by TFMA here, the blessing is
``components.evaluate.judge``'s). Metric keys follow TFMA's: ``model_name`` is
``candidate``/``baseline`` when a baseline was evaluated (empty otherwise), a binary
label's positive-class metrics carry its class id as sub key, and the candidate's
``is_diff`` entries hold candidate minus baseline.
"""
import os
from typing import Dict, List, Optional, Sequence, Tuple

from components.evaluate.metric_values import ModelValues
from components.evaluate.slicing import SliceKey

METRICS_FILE = "metrics-00000-of-00001.tfrecord"
PLOTS_FILE = "plots-00000-of-00001.tfrecord"
VALIDATIONS_FILE = "validations.tfrecord"
EVAL_RUN_FILE = "eval_config.json"
CLASS_CONFUSION_PLOT = "multi_class_confusion_matrix_plot"
CONFUSION_PLOT = "confusion_matrix_plot"


def _slice_key_proto(key: SliceKey):
    from tensorflow_model_analysis.proto import metrics_for_slice_pb2 as pb

    proto = pb.SliceKey()
    for column, value in key:
        single = proto.single_slice_keys.add(column=column)
        if isinstance(value, bytes):
            single.bytes_value = value
        elif isinstance(value, int):
            single.int64_value = value
        else:
            single.float_value = float(value)
    return proto


def _key(proto_class, name: str, model_name: str, class_id: Optional[int], is_diff: bool = False):
    from google.protobuf import wrappers_pb2

    key = proto_class(name=name, model_name=model_name, example_weighted=wrappers_pb2.BoolValue(value=False))
    if class_id is not None:
        key.sub_key.class_id.value = class_id
    if is_diff:
        key.is_diff = True
    return key


def _metric_entries(values: ModelValues, model_name: str, positive_id: Optional[int]):
    for name, value in values.metrics.items():
        yield name, model_name, None, value
    for name, value in values.positive_metrics.items():
        yield name, model_name, positive_id, value


def metrics_proto(key: SliceKey, models: Dict[str, ModelValues], positive_id: Optional[int], candidate: str,
                  baseline: Optional[str]):
    """One slice's ``MetricsForSlice``: every model's metrics, and the candidate's differences."""
    from tensorflow_model_analysis.proto import metrics_for_slice_pb2 as pb

    proto = pb.MetricsForSlice(slice_key=_slice_key_proto(key))
    for values_name, values in models.items():
        for name, model_name, class_id, value in _metric_entries(values, values_name, positive_id):
            entry = proto.metric_keys_and_values.add(key=_key(pb.MetricKey, name, model_name, class_id))
            entry.value.double_value.value = value
    if baseline is not None and baseline in models and candidate in models:
        theirs = {(n, c): v for n, _, c, v in _metric_entries(models[baseline], baseline, positive_id)}
        for name, model_name, class_id, value in _metric_entries(models[candidate], candidate, positive_id):
            if (name, class_id) in theirs and name != "example_count":
                entry = proto.metric_keys_and_values.add(key=_key(pb.MetricKey, name, model_name, class_id, True))
                entry.value.double_value.value = value - theirs[(name, class_id)]
    return proto


def plots_proto(key: SliceKey, models: Dict[str, ModelValues], positive_id: Optional[int]):
    """One slice's ``PlotsForSlice``: the class confusion matrix and, for a binary
    label, the positive class's confusion matrices at thresholds."""
    from tensorflow_model_analysis.metrics.binary_confusion_matrices import Matrices as TfmaMatrices
    from tensorflow_model_analysis.proto import metrics_for_slice_pb2 as pb

    proto = pb.PlotsForSlice(slice_key=_slice_key_proto(key))
    for model_name, values in models.items():
        if values.class_confusion is not None:
            entry = proto.plot_keys_and_values.add(key=_key(pb.PlotKey, CLASS_CONFUSION_PLOT, model_name, None))
            matrix = entry.value.multi_class_confusion_matrix_at_thresholds.matrices.add(threshold=0.0)
            for actual, predicted, count in values.class_confusion:
                matrix.entries.add(actual_class_id=actual, predicted_class_id=predicted, num_weighted_examples=count)
        if values.positive_matrices is not None:
            m = values.positive_matrices
            entry = proto.plot_keys_and_values.add(key=_key(pb.PlotKey, CONFUSION_PLOT, model_name, positive_id))
            entry.value.confusion_matrix_at_thresholds.CopyFrom(
                TfmaMatrices(m.thresholds, list(m.tp), list(m.tn), list(m.fp), list(m.fn)).to_proto()
                .confusion_matrix_at_thresholds
            )
    return proto


def write_eval_result(
    output_uri: str,
    eval_config,
    data_location: str,
    model_locations: Dict[str, str],
    slices: Sequence[Tuple[SliceKey, Dict[str, ModelValues]]],
    positive_id: Optional[int],
    candidate: str,
    baseline: Optional[str],
) -> List[str]:
    """Write the folder ``tfma.load_eval_result`` reads; returns the files written."""
    import tensorflow as tf
    from google.protobuf import json_format
    from tensorflow_model_analysis import version as tfma_version
    from tensorflow_model_analysis.proto import config_pb2, validation_result_pb2

    tf.io.gfile.makedirs(output_uri)
    run = config_pb2.EvalRun(eval_config=eval_config, version=tfma_version.VERSION, data_location=data_location,
                             file_format="tfrecords", model_locations=model_locations)
    paths = [os.path.join(output_uri, name) for name in (EVAL_RUN_FILE, METRICS_FILE, PLOTS_FILE, VALIDATIONS_FILE)]
    with tf.io.gfile.GFile(paths[0], "w") as handle:
        handle.write(json_format.MessageToJson(run))
    with tf.io.TFRecordWriter(paths[1]) as metrics, tf.io.TFRecordWriter(paths[2]) as plots:
        for key, models in slices:
            metrics.write(metrics_proto(key, models, positive_id, candidate, baseline).SerializeToString())
            plot = plots_proto(key, models, positive_id)
            if plot.plot_keys_and_values:
                plots.write(plot.SerializeToString())
    with tf.io.TFRecordWriter(paths[3]) as validations:
        validations.write(validation_result_pb2.ValidationResult(validation_ok=True).SerializeToString())
    return paths
