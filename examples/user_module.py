"""A worked example of a user module, for the bundled penguin data (label: species).

Pass it to the training pipeline with ``--param module_file=$PWD/examples/user_module.py``
(a ``gs://`` URI works too). It defines both functions of the contract; a module may
define just one, and the other keeps its built-in default.

- ``preprocessing_fn`` adds what the default preprocessing does not: quantile
  buckets of flipper length and body mass, and a feature cross of island and sex.
- ``build_model`` is a wide-and-deep network: a linear ("wide") part over the
  one-hot categorical features, buckets and cross, plus a ("deep") stack of ReLU
  layers over the numeric features and embeddings; their logits are summed.

The contract (README, "User modules"):

- ``preprocessing_fn(inputs)``: TensorFlow Transform. ``inputs`` maps each raw
  column to a Tensor, or a SparseTensor when values may be missing. Return a dict
  of dense numeric tensors, one value (or a fixed number of values) per row. The
  label must come out as ``<label>_xf``; for classification as a class id from
  ``tft.compute_and_apply_vocabulary(..., vocab_filename="label_vocabulary")``.
  Every other output is a model feature.
- ``build_model(features, task, hyperparameters)``: return a ``keras.Model`` called
  on ``{feature.name: tensor}`` (a scalar feature is ``[batch, 1]``) that outputs
  softmax probabilities ``[batch, len(task["classes"])]`` (classification) or
  ``[batch, 1]`` in the label's units (regression; ``task["label_mean"]`` and
  ``task["label_std"]`` help to scale). Leave it uncompiled to get Adam at
  ``hyperparameters["learning_rate"]`` and the task's loss (64 batches per compiled
  call), or compile it yourself (give ``steps_per_execution`` too, for speed).
"""
import keras
import tensorflow as tf
import tensorflow_transform as tft

LABEL = "species"
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]
QUANTILE_BUCKETS = {"flipper_length_mm": 5, "body_mass_g": 5}
CROSS = ("island", "sex")


def _dense(tensor, default):
    """A [batch] tensor from a raw input (a SparseTensor when the column has missing values)."""
    if isinstance(tensor, tf.SparseTensor):
        batch = tf.shape(tensor, out_type=tf.int64)[0]
        tensor = tf.sparse.to_dense(
            tf.SparseTensor(tensor.indices, tensor.values, tf.stack([batch, 1])), default_value=default
        )
    return tf.reshape(tensor, [-1])


def _imputed(tensor):
    """Numeric values with missing ones replaced by the train mean."""
    values = _dense(tf.cast(tensor, tf.float32), float("nan"))
    present = tf.boolean_mask(values, tf.math.is_finite(values))
    return tf.where(tf.math.is_finite(values), values, tft.mean(present))


def preprocessing_fn(inputs):
    outputs = {}
    for name in NUMERIC:
        value = _imputed(inputs[name])
        outputs[f"{name}_xf"] = tft.scale_to_z_score(value)
        if name in QUANTILE_BUCKETS:
            outputs[f"{name}_bucket_xf"] = tft.bucketize(value, QUANTILE_BUCKETS[name])
    strings = {name: _dense(inputs[name], "") for name in CATEGORICAL}
    for name, value in strings.items():
        outputs[f"{name}_xf"] = tft.compute_and_apply_vocabulary(value, num_oov_buckets=1)
    crossed = tf.strings.join([strings[CROSS[0]], strings[CROSS[1]]], separator=" x ")
    outputs["_x_".join(CROSS) + "_xf"] = tft.compute_and_apply_vocabulary(crossed, num_oov_buckets=1)

    label = _dense(inputs[LABEL], "")
    outputs[f"{LABEL}_xf"] = tft.compute_and_apply_vocabulary(label, vocab_filename="label_vocabulary")
    # Optional: examples per class, which the evaluator's default threshold uses.
    tft.vocabulary(label, vocab_filename="label_frequencies", store_frequency=True)
    return outputs


def build_model(features, task, hyperparameters):
    inputs = {feature.name: feature.keras_input() for feature in features}
    classification = task["task"] == "classification"
    units = len(task["classes"]) if classification else 1

    wide = [
        keras.layers.CategoryEncoding(num_tokens=f.vocabulary_size, output_mode="one_hot")(inputs[f.name])
        for f in features
        if f.is_categorical
    ]
    deep = [inputs[f.name] for f in features if not f.is_categorical]
    deep += [
        keras.layers.Flatten()(keras.layers.Embedding(f.vocabulary_size, 4)(inputs[f.name]))
        for f in features
        if f.is_categorical
    ]
    wide_logits = keras.layers.Dense(units, name="wide")(keras.layers.Concatenate()(wide))
    x = keras.layers.Concatenate()(deep)
    for size in hyperparameters["hidden_units"]:
        x = keras.layers.Dense(size, activation="relu")(x)
    deep_logits = keras.layers.Dense(units, name="deep")(x)
    logits = keras.layers.Add()([wide_logits, deep_logits])
    if classification:
        outputs = keras.layers.Softmax(name="probabilities")(logits)
    else:
        outputs = keras.layers.Rescaling(task["label_std"], offset=task["label_mean"])(logits)
    return keras.Model(inputs, outputs, name="wide_and_deep")
