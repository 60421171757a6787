"""The module file of benchmarks/tfx_penguin.py: Transform's preprocessing_fn and Trainer's run_fn.

It mirrors what our training pipeline does by default on the penguins, so the two runs do
the same job:

- preprocessing (components/transform/preprocessing.py): numeric columns z-scored with
  the mean and standard deviation of the present values, a missing value becoming 0 (the
  mean); string columns through a vocabulary with one out-of-vocabulary bucket, a missing
  value becoming ""; the label through a vocabulary to a class id;
- the model (components/train/model.py and defaults.py, as chosen for the penguins): the
  numbers as they are, the vocabularies one-hot, ReLU layers of 32 and 16 units, each with
  an L2 penalty of 1e-4 and dropout 0.1 after it, a softmax over the three species; Adam
  at 0.005, batches of 32, 64 batches per compiled call, at most 100 epochs;
- early stopping (components/train/runtime.py): 15 % of the train split held out, stop
  after 10 epochs without a lower validation loss and keep the best weights; then, as our
  refit does on small data, a fresh model (same seed) fitted on every train row for the
  best epoch count.

Written for TFX 1.16 with Keras 2 (tf_keras; tfx_penguin.py sets TF_USE_LEGACY_KERAS=1),
the Keras that TFX 1.16's Trainer and TFT's transform layer are built on.
"""
import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from tfx_bsl.public import tfxio

LABEL = "species"
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
CATEGORICAL = ["island", "sex"]
OOV_BUCKETS = 1


def xf(name):
    return f"{name}_xf"


def _dense(tensor, default):
    """[batch] values of a column that may be missing (a SparseTensor when the schema allows it)."""
    if isinstance(tensor, tf.SparseTensor):
        rows = tf.shape(tensor, out_type=tf.int64)[0]
        tensor = tf.sparse.to_dense(tf.SparseTensor(tensor.indices, tensor.values, tf.stack([rows, 1])), default)
    return tf.reshape(tensor, [-1])


def preprocessing_fn(inputs):
    outputs = {}
    for name in NUMERIC:
        values = _dense(tf.cast(inputs[name], tf.float32), float("nan"))
        present = tf.math.is_finite(values)
        mean = tft.mean(tf.boolean_mask(values, present), name=f"mean_{name}")
        std = tf.sqrt(tft.var(tf.boolean_mask(values, present), name=f"var_{name}"))
        scaled = (values - mean) / tf.where(std > 0, std, 1.0)
        outputs[xf(name)] = tf.where(present, scaled, 0.0)
    for name in CATEGORICAL:
        outputs[xf(name)] = tft.compute_and_apply_vocabulary(
            _dense(inputs[name], ""), num_oov_buckets=OOV_BUCKETS, vocab_filename=name)
    outputs[xf(LABEL)] = tft.compute_and_apply_vocabulary(_dense(inputs[LABEL], ""), vocab_filename=LABEL)
    return outputs


def _read_all(fn_args, files, tf_transform_output):
    """Every transformed row of ``files`` as numpy arrays (the penguins are 344 rows)."""
    dataset = fn_args.data_accessor.tf_dataset_factory(
        files, tfxio.TensorFlowDatasetOptions(batch_size=1024, num_epochs=1, shuffle=False),
        tf_transform_output.transformed_metadata.schema)
    columns = {}
    for batch in dataset:
        for name, tensor in batch.items():
            columns.setdefault(name, []).append(tensor.numpy())
    return {name: np.concatenate(parts) for name, parts in columns.items()}


def _build_model(vocabulary_sizes, classes, config):
    keras = tf.keras
    keras.utils.set_random_seed(config["seed"])
    inputs, encoded = {}, []
    for name in NUMERIC:
        inputs[xf(name)] = keras.Input(shape=(1,), name=xf(name), dtype=tf.float32)
        encoded.append(inputs[xf(name)])
    for name in CATEGORICAL:
        inputs[xf(name)] = keras.Input(shape=(1,), name=xf(name), dtype=tf.int64)
        encoded.append(keras.layers.CategoryEncoding(vocabulary_sizes[name], output_mode="one_hot")(inputs[xf(name)]))
    x = keras.layers.Concatenate()(encoded)
    for units in config["hidden_units"]:
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=keras.regularizers.L2(config["l2"]))(x)
        x = keras.layers.Dropout(config["dropout"], seed=config["seed"])(x)
    model = keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))
    model.compile(keras.optimizers.Adam(config["learning_rate"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=64)
    return model


def run_fn(fn_args):
    config = fn_args.custom_config
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    rows = _read_all(fn_args, fn_args.train_files, tf_transform_output)
    labels = rows.pop(xf(LABEL)).reshape(-1)
    features = {name: values.reshape(-1, 1) for name, values in rows.items()}
    vocabulary_sizes = {name: tf_transform_output.vocabulary_size_by_name(name) + OOV_BUCKETS for name in CATEGORICAL}
    classes = tf_transform_output.vocabulary_size_by_name(LABEL)

    held_out = np.random.default_rng(config["seed"]).random(len(labels)) < config["validation_fraction"]
    fit = {name: values[~held_out] for name, values in features.items()}
    validation = ({name: values[held_out] for name, values in features.items()}, labels[held_out])
    model = _build_model(vocabulary_sizes, classes, config)
    stopper = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=config["patience"], restore_best_weights=True)
    history = model.fit(fit, labels[~held_out], batch_size=config["batch_size"], epochs=config["epochs"],
                        validation_data=validation, callbacks=[stopper], verbose=0)
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    model = _build_model(vocabulary_sizes, classes, config)  # the refit on every train row
    model.fit(features, labels, batch_size=config["batch_size"], epochs=best_epoch, verbose=0)

    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = tf_transform_output.raw_feature_spec()
    serving_spec = {name: spec for name, spec in raw_spec.items() if name != LABEL}
    model_inputs = list(model.input_names)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        transformed = model.tft_layer(tf.io.parse_example(serialized, serving_spec))
        return {"probabilities": model({name: tf.reshape(transformed[name], [-1, 1]) for name in model_inputs})}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def transform_features(serialized):
        return model.tft_layer(tf.io.parse_example(serialized, raw_spec))

    model.save(fn_args.serving_model_dir, save_format="tf",
               signatures={"serving_default": serve, "transform_features": transform_features})
