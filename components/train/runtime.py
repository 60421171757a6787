"""Train: a Keras model on the transformed examples, exported with its serving signature.

The model is the default (``components/train/model.py``) or a user module's
``build_model``; either is checked on a real batch before training. Training
resumes from the last completed epoch when it runs again after being killed
(``components/train/checkpoints.py``), can stop early on the eval loss, writes
TensorBoard logs, and spreads over the GPUs present.
"""
import json
import logging
import math
import os
import time
from typing import Dict, Optional, Sequence

from components.common import layout
from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)

SUMMARY_FILE = "training_summary.json"


def model_input(tensor):
    """A parsed or transformed feature as the model takes it: ``[batch, 1]`` for a scalar."""
    import tensorflow as tf

    return tf.reshape(tensor, [-1, 1]) if tensor.shape.rank == 1 else tensor


def make_dataset(
    transformed_examples_uri: str, split: str, feature_spec, task_info, batch_size: int, shuffle: bool, seed: int = 0
):
    """(features, label) batches from the gzip TFRecords of one transformed split."""
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(layout.examples_pattern(transformed_examples_uri, split)))
    label_key = task_info["label_key"]
    features = list(task_info["features"])
    wanted = {name: feature_spec[name] for name in features + [label_key]}
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    if shuffle:
        dataset = dataset.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)

    def parse(serialized):
        parsed = tf.io.parse_example(serialized, wanted)
        inputs = {name: model_input(parsed[name]) for name in features}
        return inputs, tf.reshape(parsed[label_key], [-1])

    return dataset.batch(batch_size).map(parse, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _check_hyperparameters(epochs, batch_size, learning_rate, hidden_units, early_stopping_patience) -> None:
    if epochs < 1 or batch_size < 1 or learning_rate <= 0 or any(int(u) < 1 for u in hidden_units):
        raise ConfigurationError(
            f"epochs ({epochs}), batch_size ({batch_size}), learning_rate ({learning_rate}) and "
            f"hidden_units ({list(hidden_units)}) must all be positive."
        )
    if early_stopping_patience < 0:
        raise ConfigurationError(
            f"early_stopping_patience must be 0 (off) or a number of epochs, got {early_stopping_patience}."
        )


def _epoch_progress(epochs: int):
    """A Keras callback reporting each finished epoch as one progress line
    (``components.common.progress``): ``epoch 3/20: loss 0.412, accuracy 0.88, ...``."""
    import keras

    from components.common import progress

    class EpochProgress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._started = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            values = ", ".join(f"{name} {float(value):.4g}" for name, value in (logs or {}).items())
            progress.report(f"epoch {epoch + 1}/{epochs}: {values} ({time.monotonic() - self._started:.1f} s)")

    return EpochProgress()


def _callbacks(checkpoint: str, early_stopping_patience: int, tensorboard_uri: str, epochs: int):
    import keras

    from components.train.checkpoints import backup_callback

    callbacks = [backup_callback(checkpoint), _epoch_progress(epochs)]
    early_stopping = None
    if early_stopping_patience:
        early_stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=int(early_stopping_patience), restore_best_weights=True, verbose=1
        )
        callbacks.append(early_stopping)
    if tensorboard_uri:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=tensorboard_uri, write_graph=False, profile_batch=0))
    return callbacks, early_stopping


def train(
    transform_graph_uri: str,
    transformed_examples_uri: str,
    model_uri: str,
    epochs: int = 20,
    batch_size: int = 32,
    learning_rate: float = 0.005,
    hidden_units: Sequence[int] = (64, 32),
    seed: Optional[int] = 42,
    module_file: str = "",
    checkpoint_dir: str = "",
    early_stopping_patience: int = 0,
    deterministic: bool = False,
    tensorboard_uri: str = "",
    examples_uri: str = "",
) -> Dict[str, object]:
    """Fit the model and export it (transform inside) to ``model_uri``.

    Args:
      transform_graph_uri, transformed_examples_uri: the transform's outputs.
      model_uri: output SavedModel folder.
      epochs, batch_size, learning_rate, hidden_units, seed: the usual; seed None
        for unseeded.
      module_file: optional user module (local or gs://); its ``build_model``, when
        defined, replaces the default model (see ``components/common/user_module.py``).
      checkpoint_dir: stable folder for resumable checkpoints (local or gs://), one
        sub-folder per training fingerprint; empty: inside ``model_uri``.
      early_stopping_patience: stop after this many epochs without a lower eval loss
        and keep the best epoch's weights; 0: off.
      deterministic: make TensorFlow's ops deterministic (needs a seed).
      tensorboard_uri: folder for TensorBoard logs; empty: none.
      examples_uri: the raw examples the transform read (ingest's output); with a
        checkpoint_dir, the fingerprint hashes their records, which a re-run that
        transforms them again reproduces exactly; empty: the transformed records
        (``checkpoints.training_fingerprint``).

    Returns:
      ``task``, ``epochs`` (reached), ``epochs_run`` (this attempt), ``resumed_from_epoch``,
      ``stopped_early``, and the last epoch's loss and metrics (train and ``val_``).

    Raises:
      ConfigurationError: a hyperparameter is out of range, or the module file breaks
        the contract (raised before training starts).
    """
    import tensorflow as tf
    import tensorflow_transform as tft

    from components.common.user_module import load_user_module
    from components.train import checkpoints
    from components.train.builder import make_model
    from components.train.devices import distribution_strategy, seed_everything
    from components.train.export import export_serving_model
    from components.train.model import model_features
    from components.common.task import read_task_info

    _check_hyperparameters(epochs, batch_size, learning_rate, hidden_units, early_stopping_patience)
    module = load_user_module(module_file) if module_file else None
    seed_everything(seed, deterministic)
    task_info = read_task_info(transform_graph_uri)
    tft_output = tft.TFTransformOutput(transform_graph_uri)
    spec = tft_output.transformed_feature_spec()
    features = model_features(tft_output, list(task_info["features"]))
    hyperparameters = {
        "hidden_units": [int(u) for u in hidden_units],
        "learning_rate": float(learning_rate),
        "batch_size": int(batch_size),
        "epochs": int(epochs),
        "seed": seed,
    }
    train_data = make_dataset(
        transformed_examples_uri, layout.TRAIN, spec, task_info, batch_size, shuffle=True, seed=seed or 0
    )
    eval_data = make_dataset(transformed_examples_uri, layout.EVAL, spec, task_info, batch_size, shuffle=False)
    sample_inputs = next(iter(eval_data.take(1)))[0]

    with distribution_strategy().scope():
        model = make_model(module, features, task_info, hyperparameters, sample_inputs)

    # Inside the model output (no checkpoint_dir) the folder itself is this training's;
    # a shared checkpoint_dir needs the fingerprint (one pass over the data) to tell
    # trainings apart.
    fingerprint = (
        checkpoints.training_fingerprint(
            transform_graph_uri, transformed_examples_uri, hyperparameters, module.source if module else "",
            examples_uri,
        )
        if checkpoint_dir
        else ""
    )
    location = checkpoints.checkpoint_location(checkpoint_dir, model_uri, fingerprint)
    resumed_from = checkpoints.completed_epochs(location)
    if resumed_from:
        logger.info("Resuming from checkpoint after epoch %d of %d (%s)", resumed_from, epochs, location)
    else:
        logger.info("No checkpoint to resume; saving one after every epoch to %s", location)
    callbacks, early_stopping = _callbacks(location, early_stopping_patience, tensorboard_uri, int(epochs))
    # verbose=0: the progress callback writes one line per epoch, Keras' own lines would repeat it.
    history = model.fit(train_data, validation_data=eval_data, epochs=int(epochs), verbose=0, callbacks=callbacks)

    export_serving_model(model, tft_output, task_info, model_uri)
    checkpoints.remove_checkpoint(location)
    epochs_run = len(history.history.get("loss", []))
    if epochs_run:
        last = {name: float(values[-1]) for name, values in history.history.items()}
    else:  # the checkpoint already held every epoch: report the restored model's eval metrics
        last = {f"val_{k}": float(v) for k, v in model.evaluate(eval_data, return_dict=True, verbose=0).items()}
    diverged = sorted(name for name, value in last.items() if not math.isfinite(value))
    if diverged:
        logger.warning(
            "Training diverged: %s ended NaN or infinite. The model is exported but will not "
            "pass evaluation or infra validation; lower learning_rate or check the features' scale.",
            ", ".join(diverged),
        )
    # NaN is not JSON (nor KFP metadata): a diverged metric is recorded as null.
    last = {name: (value if math.isfinite(value) else None) for name, value in last.items()}
    result = {
        "task": task_info["task"],
        "epochs": (resumed_from or 0) + epochs_run,
        "epochs_run": epochs_run,
        "resumed_from_epoch": resumed_from or 0,
        "stopped_early": bool(early_stopping and early_stopping.stopped_epoch > 0),
        "model_builder": f"{module.path}:build_model" if module and module.build_model else "default",
        **last,
    }
    with tf.io.gfile.GFile(os.path.join(model_uri, SUMMARY_FILE), "w") as handle:
        json.dump(result, handle, indent=2)
    logger.info("Training done: %s", result)
    return result
