"""Per-example predictions of the candidate (and the champion) on the eval split.

The blessing judges metrics by their uncertainty and compares models on the same
examples (``components.evaluate.significance``), which needs each example's label
and each model's output, not only TFMA's totals. Both models are the SavedModels
``train`` exports: their signature on serialized raw examples (``serving_examples``,
or ``serving_default`` in a champion exported before it:
``components.common.signatures.examples_signature``), and
``transform_features`` for the label as the candidate's transform reads it (a class
id in the candidate's class order, or the regression target), as TFMA reads it.

A champion whose classes are ordered differently (or differ) is re-aligned by class
name: its probability of each of the candidate's classes, 0 for a class it lacks.

The same pass reads the raw values of the features the report slices on
(``components.evaluate.slicing``), so the metrics of every slice come from these
predictions too (``components.evaluate.metric_values``).
"""
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from components.common import layout, signatures
from components.evaluate.significance import Predictions
from components.evaluate.slicing import FeatureValues

BATCH_SIZE = 2048


def _load(model_uri: str):
    import tensorflow as tf

    return tf.saved_model.load(model_uri)


def _class_names(model) -> Optional[List[str]]:
    names = getattr(model, "class_names", None)
    if names is None:
        return None
    return [n.decode("utf-8") for n in names.numpy()]


def eval_predictions(
    examples_uri: str,
    task_info: Dict[str, object],
    candidate_uri: str,
    baseline_uri: Optional[str] = None,
    slice_features: Optional[Mapping[str, object]] = None,
) -> Tuple[Dict[str, Predictions], Dict[str, FeatureValues]]:
    """``({"candidate": Predictions, "baseline": Predictions}, feature values)``, the
    baseline only when given.

    Reads the eval split of ``examples_uri`` once, in batches; both models see
    every example in the same order. ``slice_features`` maps feature names to their
    ``tf.DType``; the feature values are ``{name: (row of each value, value)}``, rows
    numbered like the predictions.
    """
    import tensorflow as tf

    classification = task_info["task"] == "classification"
    label_key = task_info["label_key"]
    classes = list(task_info.get("classes") or [])
    models = {"candidate": _load(candidate_uri)}
    if baseline_uri:
        models["baseline"] = _load(baseline_uri)
    output = "probabilities" if classification else "predictions"
    files = tf.io.gfile.glob(layout.examples_pattern(examples_uri, layout.EVAL))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(BATCH_SIZE)
    labels, outputs = [], {name: [] for name in models}
    transform = models["candidate"].signatures[signatures.TRANSFORM_FEATURES]
    predict = {name: signatures.examples_signature(model) for name, model in models.items()}
    spec = {name: tf.io.VarLenFeature(dtype) for name, dtype in (slice_features or {}).items()}
    parts = {name: ([], []) for name in spec}
    seen = 0
    for batch in dataset:
        labels.append(np.asarray(transform(examples=batch)[label_key]).reshape(-1))
        for name in models:
            outputs[name].append(np.asarray(predict[name](examples=batch)[output]))
        for name, sparse in (tf.io.parse_example(batch, spec) if spec else {}).items():
            parts[name][0].append(sparse.indices.numpy()[:, 0] + seen)
            parts[name][1].append(sparse.values.numpy())
        seen += int(batch.shape[0])
    feature_values = {
        name: (np.concatenate(rows) if rows else np.zeros(0, np.int64), np.concatenate(values) if values else np.zeros(0))
        for name, (rows, values) in parts.items()
    }
    label_array = np.concatenate(labels) if labels else np.zeros(0)
    positive = task_info.get("positive_class")
    positive_id = classes.index(positive) if classification and positive in classes else None
    found = {}
    for name, chunks in outputs.items():
        values = np.concatenate(chunks) if chunks else np.zeros((0, len(classes) or 1))
        if not classification:
            found[name] = Predictions(label_array.astype(np.float64), predictions=values.reshape(-1).astype(np.float64))
            continue
        if name == "baseline":
            values = _align_classes(values, _class_names(models[name]), classes)
        found[name] = Predictions(label_array.astype(np.int64), probabilities=values.astype(np.float64), positive_id=positive_id)
    return found, feature_values


def _align_classes(probabilities: np.ndarray, model_classes: Optional[List[str]], classes: List[str]) -> np.ndarray:
    """Columns of ``probabilities`` (in ``model_classes`` order) re-ordered to ``classes``."""
    if model_classes is None or model_classes == classes:
        return probabilities
    aligned = np.zeros((probabilities.shape[0], len(classes)))
    for index, name in enumerate(classes):
        if name in model_classes:
            aligned[:, index] = probabilities[:, model_classes.index(name)]
    return aligned
