"""The exported SavedModel: JSON-row features or serialized tf.Examples in, predictions out.

Parsing and the TensorFlow Transform graph run inside the serving signatures, around
the Keras model, so serving applies exactly the training preprocessing (no skew).
This pattern is used because tf.keras here is Keras 3, whose functional models
cannot take TFT's tf-keras layer or raw TF ops on symbolic inputs.

Signatures (names and input conventions: ``components.common.signatures``):
- ``serving_default(<one input per raw feature>: [N])`` -> the predictions. Numeric
  features are float64 inputs, cast to the type training read them as (an int64
  feature takes ``181`` or ``181.0``, and refuses ``181.5`` or an infinity); ``NaN``
  for a number and ``""`` for a string mean missing. The rows are turned into exactly
  what ``tf.io.parse_example`` gives for examples lacking those features (a
  ``VarLenFeature`` gets no value for that row; a ``FixedLenFeature`` its default, or,
  without a default, the call fails as the examples signature fails on an example
  without a required feature), so the transform treats a missing value as in training.
  The label is no input.
- ``serving_examples(examples: string[N])`` -> the same predictions from serialized raw
  ``tf.Example``s (no label needed).
- Predictions: classification: ``probabilities`` float[N, C], ``class_ids`` int64[N],
  ``classes`` string[N]; regression: ``predictions`` float[N]. A classifier trained
  with class weights over-predicts its rare classes; the signatures multiply its
  probabilities by one factor per class and renormalise (prior correction,
  ``components/train/prior_correction.py``), so the probabilities, and the class
  picked from them, are the unweighted ones.
- ``transform_features(examples: string[N])`` -> the transformed features, label
  included (used by TFMA to read the label as a class id).
"""
from typing import Dict, List, Optional, Sequence

from components.common import signatures
from components.common.errors import ConfigurationError


def _row_feature(name: str, spec, value):
    """The parsed tensor of one raw feature from its JSON-row input ``value`` ([N]),
    shaped as ``tf.io.parse_example`` returns it for ``spec``."""
    import tensorflow as tf

    if spec.dtype == tf.string:
        present = tf.not_equal(value, "")
        typed = value
    else:
        present = tf.logical_not(tf.math.is_nan(value))
        if spec.dtype.is_integer:
            whole = tf.logical_and(tf.math.is_finite(value), tf.equal(value, tf.round(value)))
            check = tf.debugging.Assert(
                tf.reduce_all(tf.logical_or(tf.logical_not(present), whole)),
                [f"Feature: {name} holds whole numbers ({spec.dtype.name} in training): send a whole number, or NaN when missing"],
            )
            with tf.control_dependencies([check]):
                typed = tf.cast(tf.where(present, value, tf.zeros_like(value)), spec.dtype)
        else:
            typed = tf.cast(value, spec.dtype)
    if isinstance(spec, tf.io.VarLenFeature):
        rows = tf.where(present)  # [k, 1]
        batch = tf.shape(value, out_type=tf.int64)[0]
        width = tf.cast(tf.reduce_any(present), tf.int64)  # as parse_example: 0 when no row has a value
        return tf.SparseTensor(
            indices=tf.concat([rows, tf.zeros_like(rows)], axis=1),
            values=tf.boolean_mask(typed, present),
            dense_shape=tf.stack([batch, width]),
        )
    shape = list(spec.shape)
    if spec.default_value is None:
        check = tf.debugging.Assert(
            tf.reduce_all(present),
            [f"Feature: {name} (data type: {spec.dtype.name}) is required but could not be found: "
             "training saw it in every row, so the model has no treatment for a missing value"],
        )
        with tf.control_dependencies([check]):
            filled = tf.identity(typed)
    else:
        default = tf.reshape(tf.constant(spec.default_value, dtype=spec.dtype), [])
        filled = tf.where(present, typed, tf.fill(tf.shape(typed), default))
    return tf.reshape(filled, [-1] + shape)


def _row_input_specs(serving_spec: Dict[str, object]) -> Dict[str, object]:
    """{feature: TensorSpec} of the JSON-row signature, one [N] input per raw feature.

    Raises ConfigurationError for a feature one JSON value per row cannot give: a
    FixedLenFeature of more than one value, or a sparse or ragged feature.
    """
    import tensorflow as tf

    names = signatures.input_names(sorted(serving_spec))
    specs = {}
    for feature in sorted(serving_spec):
        spec = serving_spec[feature]
        single = isinstance(spec, tf.io.VarLenFeature) or (
            isinstance(spec, tf.io.FixedLenFeature) and int(tf.TensorShape(spec.shape).num_elements() or 0) == 1
        )
        if not single:
            raise ConfigurationError(
                f"Feature {feature!r} is read as {spec}: the {signatures.SERVING_DEFAULT!r} signature takes one "
                "value per feature per row. Give it one value per row in the schema (or drop it from the features)."
            )
        dtype = tf.string if spec.dtype == tf.string else tf.float64
        specs[feature] = tf.TensorSpec([None], dtype, name=names[feature])
    return specs


def export_serving_model(
    keras_model, tft_output, task_info: Dict[str, object], export_dir: str,
    probability_factors: Optional[Sequence[float]] = None,
) -> None:
    """Save ``keras_model`` wrapped with parsing and transform as a SavedModel with the
    signatures above; ``probability_factors`` (one per class id, from
    ``prior_correction``) multiply the probabilities, which are then renormalised.

    Raises ConfigurationError when a raw feature cannot be one JSON value per row, or
    two feature names give the same input name (``signatures.input_names``).
    """
    import tensorflow as tf

    from components.train.runtime import model_input

    label = task_info["label"]
    features: List[str] = list(task_info["features"])
    raw_spec = tft_output.raw_feature_spec()
    serving_spec = {k: v for k, v in raw_spec.items() if k != label}
    classification = task_info["task"] == "classification"
    row_specs = _row_input_specs(serving_spec)

    module = tf.Module()
    module.model = keras_model
    module.tft_layer = tft_output.transform_features_layer()
    if classification:
        module.class_names = tf.Variable(task_info["classes"], trainable=False, dtype=tf.string)
    prior_correction = None
    if classification and probability_factors:
        prior_correction = tf.constant([float(f) for f in probability_factors], dtype=tf.float32)

    def predict(parsed):
        transformed = module.tft_layer(parsed)
        outputs = module.model({name: model_input(transformed[name]) for name in features}, training=False)
        if classification:
            if prior_correction is not None:
                unweighted = outputs * tf.cast(prior_correction, outputs.dtype)
                outputs = unweighted / tf.reduce_sum(unweighted, axis=1, keepdims=True)
            class_ids = tf.argmax(outputs, axis=1)
            return {
                "probabilities": outputs,
                "class_ids": class_ids,
                "classes": tf.gather(module.class_names, class_ids),
            }
        return {"predictions": tf.reshape(outputs, [-1])}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=signatures.EXAMPLES_INPUT)], autograph=False)
    def serve_examples(examples):
        return predict(tf.io.parse_example(examples, serving_spec))

    @tf.function(autograph=False)
    def serve_rows(rows):
        return predict({name: _row_feature(name, serving_spec[name], rows[name]) for name in serving_spec})

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=signatures.EXAMPLES_INPUT)], autograph=False)
    def transform_features(examples):
        return module.tft_layer(tf.io.parse_example(examples, raw_spec))

    module.serve = serve_examples
    module.serve_rows = serve_rows
    module.transform_features = transform_features
    # TFT's layer is a tf_keras Model: by default saving it also traces its call functions and
    # a default signature through AutoGraph for Keras' own loader, which nothing here uses
    # (the signatures above serve) and which cost most of the export's time.
    with _without_tf_keras_traces():
        tf.saved_model.save(
            module,
            export_dir,
            signatures={
                signatures.SERVING_DEFAULT: serve_rows.get_concrete_function(row_specs),
                signatures.EXAMPLES: serve_examples,
                signatures.TRANSFORM_FEATURES: transform_features,
            },
        )


def _without_tf_keras_traces():
    """tf_keras' own switch for ``save_traces=False`` (what ``tf_keras.Model.save`` sets), for
    a tf.Module that holds a tf_keras layer; variables, tables and assets are still saved."""
    from tf_keras.src.saving.legacy.saved_model.utils import keras_option_scope

    return keras_option_scope(save_traces=False)
