"""Train: a Keras model on the transformed examples, exported with its serving signature."""
import json
import logging
import os
from typing import Dict, Optional, Sequence

from components.common import layout
from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)


def make_dataset(transformed_examples_uri: str, split: str, feature_spec, task_info, batch_size: int, shuffle: bool):
    """(features, label) batches from the gzip TFRecords of one transformed split."""
    import tensorflow as tf

    files = tf.io.gfile.glob(layout.examples_pattern(transformed_examples_uri, split))
    label_key = task_info["label_key"]
    features = list(task_info["features"])
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    if shuffle:
        dataset = dataset.shuffle(10_000, seed=0, reshuffle_each_iteration=True)

    def parse(serialized):
        parsed = tf.io.parse_example(serialized, feature_spec)
        inputs = {name: tf.reshape(parsed[name], [-1, 1]) for name in features}
        return inputs, tf.reshape(parsed[label_key], [-1])

    return dataset.batch(batch_size).map(parse, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def train(
    transform_graph_uri: str,
    transformed_examples_uri: str,
    model_uri: str,
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 0.005,
    hidden_units: Sequence[int] = (64, 32),
    seed: Optional[int] = 42,
) -> Dict[str, object]:
    """Fit the default Keras model and export it (transform inside) to ``model_uri``.

    Returns:
      ``{"task", "epochs", "train_loss", "eval_loss", and the Keras metric of each}``
      from the last epoch.

    Raises:
      ConfigurationError: non-positive epochs, batch size, learning rate or layer sizes.
    """
    import keras
    import tensorflow_transform as tft

    from components.train.export import export_serving_model
    from components.train.model import build_model, categorical_sizes
    from components.transform.runtime import read_task_info

    if epochs < 1 or batch_size < 1 or learning_rate <= 0 or any(int(u) < 1 for u in hidden_units):
        raise ConfigurationError(
            f"epochs ({epochs}), batch_size ({batch_size}), learning_rate ({learning_rate}) and "
            f"hidden_units ({list(hidden_units)}) must all be positive."
        )
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    task_info = read_task_info(transform_graph_uri)
    tft_output = tft.TFTransformOutput(transform_graph_uri)
    spec = tft_output.transformed_feature_spec()
    features = list(task_info["features"])
    model = build_model(
        features,
        categorical_sizes(tft_output.transformed_metadata.schema, features),
        task_info,
        hidden_units=hidden_units,
        learning_rate=learning_rate,
    )
    train_data = make_dataset(transformed_examples_uri, layout.TRAIN, spec, task_info, batch_size, shuffle=True)
    eval_data = make_dataset(transformed_examples_uri, layout.EVAL, spec, task_info, batch_size, shuffle=False)
    history = model.fit(train_data, validation_data=eval_data, epochs=int(epochs), verbose=2)
    export_serving_model(model, tft_output, task_info, model_uri)
    last = {name: float(values[-1]) for name, values in history.history.items()}
    result = {"task": task_info["task"], "epochs": len(history.history["loss"]), **last}
    with open(os.path.join(model_uri, "training_summary.json"), "w") as handle:
        json.dump(result, handle, indent=2)
    logger.info("Training done: %s", result)
    return result
