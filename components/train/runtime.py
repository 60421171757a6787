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
from typing import Dict, List, Optional, Sequence, Tuple

from components.common import layout
from components.common.errors import ConfigurationError
from components.train.checkpoints import SECONDS_BETWEEN_SAVES
from components.train.defaults import CLASS_WEIGHT_MODES, DEFAULT_DROPOUT, DEFAULT_L2, REFIT_MODES
from components.train.validation_slice import DEFAULT_FRACTION

logger = logging.getLogger(__name__)

SUMMARY_FILE = "training_summary.json"
KEEP_BLOCK = 1024  # records per call of make_dataset's keep predicate


def model_input(tensor):
    """A parsed or transformed feature as the model takes it: ``[batch, 1]`` for a scalar."""
    import tensorflow as tf

    return tf.reshape(tensor, [-1, 1]) if tensor.shape.rank == 1 else tensor


def make_dataset(
    transformed_examples_uri: str, split: str, feature_spec, task_info, batch_size: int, shuffle: bool, seed: int = 0,
    keep=None,
):
    """(features, label) batches from the gzip TFRecords of one transformed split;
    ``keep``: an optional predicate on a vector of serialized records (a bool per record)."""
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(layout.examples_pattern(transformed_examples_uri, split)))
    label_key = task_info["label_key"]
    features = list(task_info["features"])
    wanted = {name: feature_spec[name] for name in features + [label_key]}
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    if keep is not None:
        # On blocks of records, then one record per element again, in the same order:
        # tf.data's filter() calls its predicate once per record, which cost 45 CPU s per
        # 800,000 records here against 2 s in blocks (benchmarks/README.md).
        dataset = dataset.batch(KEEP_BLOCK).map(lambda records: tf.boolean_mask(records, keep(records))).unbatch()
    if shuffle:
        dataset = dataset.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)

    def parse(serialized):
        parsed = tf.io.parse_example(serialized, wanted)
        inputs = {name: model_input(parsed[name]) for name in features}
        return inputs, tf.reshape(parsed[label_key], [-1])

    return dataset.batch(batch_size).map(parse, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _check_hyperparameters(
    epochs, batch_size, learning_rate, hidden_units, early_stopping_patience, validation_fraction, class_weight,
    dropout, l2, refit="auto",
) -> None:
    if epochs < 1 or batch_size < 0 or learning_rate <= 0 or any(int(u) < 1 for u in hidden_units):
        raise ConfigurationError(
            f"epochs ({epochs}), learning_rate ({learning_rate}) and hidden_units ({list(hidden_units)}) must all "
            f"be positive, batch_size ({batch_size}) positive or 0 (chosen from the rows)."
        )
    if early_stopping_patience < 0:
        raise ConfigurationError(
            f"early_stopping_patience must be 0 (off) or a number of epochs, got {early_stopping_patience}."
        )
    if not 0 <= validation_fraction <= 0.5:
        raise ConfigurationError(
            f"validation_fraction must be in [0, 0.5] (0: no validation slice), got {validation_fraction}."
        )
    if class_weight not in CLASS_WEIGHT_MODES:
        raise ConfigurationError(f"class_weight must be one of {', '.join(CLASS_WEIGHT_MODES)}, got {class_weight!r}.")
    if not 0 <= dropout < 1 or l2 < 0:
        raise ConfigurationError(f"dropout must be in [0, 1) and l2 at least 0, got dropout {dropout}, l2 {l2}.")
    if refit not in REFIT_MODES:
        raise ConfigurationError(f"refit must be one of {', '.join(REFIT_MODES)}, got {refit!r}.")


def _epoch_progress(epochs: int, prefix: str = ""):
    """A Keras callback reporting each finished epoch as one progress line
    (``components.common.progress``): ``epoch 3/20: loss 0.412, accuracy 0.88, ...``
    (``refit epoch 3/13: ...`` with ``prefix`` "refit ")."""
    import keras

    from components.common import progress

    class EpochProgress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._started = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            values = ", ".join(f"{name} {float(value):.4g}" for name, value in (logs or {}).items())
            progress.report(f"{prefix}epoch {epoch + 1}/{epochs}: {values} ({time.monotonic() - self._started:.1f} s)")

    return EpochProgress()


def _callbacks(checkpoint: str, early_stopping_patience: int, tensorboard_uri: str, epochs: int,
               judged_from: int, checkpoint_seconds: float):
    import keras

    from components.train.checkpoints import backup_callback

    callbacks = [backup_callback(checkpoint, checkpoint_seconds), _epoch_progress(epochs)]
    early_stopping = None
    if early_stopping_patience:
        early_stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=int(early_stopping_patience), restore_best_weights=True, verbose=0,
            start_from_epoch=int(judged_from),
        )
        callbacks.append(early_stopping)
    if tensorboard_uri:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=tensorboard_uri, write_graph=False, profile_batch=0))
    return callbacks, early_stopping


def _prior_correction(model, validation_data, weights: Dict[int, float], task_info,
                      refitted: bool) -> Tuple[List[float], str]:
    """``(factors, why)``: what the exported probabilities are multiplied by to undo the
    class weights (``components/train/prior_correction.py``): fitted on the exported
    model's predictions of the validation slice (held out, or, after a refit, among the
    rows it fitted: a per-class offset barely overfits), else ``1 / weight``."""
    import numpy as np

    from components.train import prior_correction

    classes = task_info["classes"]
    analytic = prior_correction.factors_from_weights(weights, len(classes))
    fitted, why = None, "no validation slice to fit them on"
    if validation_data is not None:
        batches = [(model(inputs, training=False).numpy(), batch_labels.numpy())
                   for inputs, batch_labels in validation_data]  # one pass: predictions beside their labels
        probabilities, labels = (np.concatenate(parts) for parts in zip(*batches))
        fitted, why = prior_correction.fit_factors(probabilities, labels, analytic)
        why += " (which the refit trained on)" if refitted and fitted is not None else ""

    def named(factors):
        return ", ".join(f"{name} {factor:.3g}" for name, factor in zip(classes, factors))

    if fitted is None:
        return analytic, f"probabilities multiplied by 1 / class weight ({named(analytic)}): {why}"
    return fitted, (f"probabilities multiplied by {named(fitted)}, {why} (1 / class weight would be "
                    f"{named(analytic)})")


def _untrained_state(model):
    """Copies of a built, compiled model's weights and optimizer variables (the optimizer
    built first) before any training: what ``_restore_state`` puts back for the refit."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model.get_weights(), [variable.numpy() for variable in model.optimizer.variables]


def _restore_state(model, state) -> None:
    """Put the model back as it was before training (``_untrained_state``): the refit
    starts from the same weights as a fresh model of the same seed, with a fresh
    optimizer (step count and moments zero), and reuses the train step Keras traced for
    the first fit instead of tracing a new model's."""
    weights, optimizer_values = state
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, optimizer_values):
        variable.assign(value)


def _decide(name: str, value, why: str, decisions: Dict[str, str]):
    """Log a setting chosen by default and keep its reason for the metadata."""
    logger.info("Training default: %s = %s (%s)", name, value, why)
    decisions[name] = why
    return value


def train(
    transform_graph_uri: str,
    transformed_examples_uri: str,
    model_uri: str,
    epochs: int = 100,
    batch_size: int = 0,
    learning_rate: float = 0.005,
    hidden_units: Sequence[int] = (),
    seed: Optional[int] = 42,
    module_file: str = "",
    checkpoint_dir: str = "",
    early_stopping_patience: int = 10,
    deterministic: bool = False,
    tensorboard_uri: str = "",
    examples_uri: str = "",
    validation_fraction: float = DEFAULT_FRACTION,
    class_weight: str = "auto",
    dropout: float = DEFAULT_DROPOUT,
    l2: float = DEFAULT_L2,
    refit: str = "auto",
    checkpoint_seconds: float = SECONDS_BETWEEN_SAVES,
) -> Dict[str, object]:
    """Fit the model and export it (transform inside) to ``model_uri``.

    Early stopping watches the loss on a validation slice carved from the train split
    (``components/train/validation_slice.py``: a seeded, deterministic hash choice of
    ``validation_fraction`` of the rows, at least 32; none when the train split has
    fewer than 128 rows, then every epoch runs), never the eval split that blesses the
    model; the best epoch's weights are kept. On a small train split the model is then
    refitted: the model's untrained weights restored (those of a fresh model of the same
    seed), then fitted on every train row for the best epoch count
    (``defaults.refit_epochs``; not checkpointed: it is short, and a killed refit runs
    again whole). Settings left to the data (batch size, hidden units, class weights,
    refit: ``components/train/defaults.py``) are logged with their reason and returned
    under ``defaults``.

    Args:
      transform_graph_uri, transformed_examples_uri: the transform's outputs.
      model_uri: output SavedModel folder.
      epochs: the most epochs (fewer when early stopping stops).
      batch_size: examples per step; 0: chosen from the fitting rows.
      learning_rate: Adam's.
      hidden_units: hidden layer sizes of the default model; empty: scaled to the
        model inputs and the rows.
      seed: weights, shuffling and the validation slice; None for unseeded (the
        slice then uses key 0, still deterministic).
      module_file: optional user module (local or gs://); its ``build_model``, when
        defined, replaces the default model (see ``components/common/user_module.py``).
      checkpoint_dir: stable folder for resumable checkpoints (local or gs://), one
        sub-folder per training fingerprint; empty: inside ``model_uri``.
      checkpoint_seconds: the least time between two checkpoint writes, each at the end
        of an epoch (``checkpoints.backup_callback``); 0: after every epoch.
      early_stopping_patience: stop after this many epochs without a lower loss on the
        validation slice and keep the best epoch's weights; 0: off. A resumed training
        counts patience from the resumed epoch.
      deterministic: make TensorFlow's ops deterministic (needs a seed).
      tensorboard_uri: folder for TensorBoard logs; empty: none.
      examples_uri: the raw examples the transform read (ingest's output); with a
        checkpoint_dir, the fingerprint hashes their records, which a re-run that
        transforms them again reproduces exactly; empty: the transformed records
        (``checkpoints.training_fingerprint``).
      validation_fraction: share of the train rows held out for early stopping, in
        [0, 0.5]; 0: none (and no early stopping).
      class_weight: classification only: ``auto`` (square-root balanced weights when the
        largest class has 3 times the rows of the smallest), ``balanced`` or ``none``.
      dropout, l2: the default model's dropout rate after each hidden layer and L2
        penalty on its weights.
      refit: ``auto`` (refit on every train row for the best epoch count when early
        stopping ran on a slice of a train split of at most ``defaults.REFIT_MAX_ROWS``
        rows) or ``none``.

    Returns:
      ``task``, ``epochs`` (reached), ``epochs_run`` (this attempt), ``resumed_from_epoch``,
      ``stopped_early``, ``best_epoch``, ``train_rows``, ``validation_rows`` (the slice),
      ``fit_rows``, ``batch_size``, ``hidden_units``, ``class_weights`` ({class: weight}
      or None), ``refit_epochs`` (0: no refit), ``defaults`` ({setting: why}), and the
      last epoch's loss and metrics of the early-stopped fit (``val_``: on the
      validation slice; none without one).

    Raises:
      ConfigurationError: a hyperparameter is out of range, or the module file breaks
        the contract (raised before training starts).
    """
    import tensorflow as tf
    import tensorflow_transform as tft

    from components.common.user_module import load_user_module
    from components.train import checkpoints, defaults, validation_slice
    from components.train.builder import make_model
    from components.train.devices import distribution_strategy, seed_everything
    from components.train.export import export_serving_model
    from components.train.model import input_width, model_features
    from components.common.task import read_task_info

    _check_hyperparameters(
        epochs, batch_size, learning_rate, hidden_units, early_stopping_patience, validation_fraction, class_weight,
        dropout, l2, refit,
    )
    module = load_user_module(module_file) if module_file else None
    seed_everything(seed, deterministic)
    task_info = read_task_info(transform_graph_uri)
    tft_output = tft.TFTransformOutput(transform_graph_uri)
    spec = tft_output.transformed_feature_spec()
    features = model_features(tft_output, list(task_info["features"]))
    decisions: Dict[str, str] = {}

    slice_key = seed or 0
    train_files = sorted(tf.io.gfile.glob(layout.examples_pattern(transformed_examples_uri, layout.TRAIN)))
    train_rows, hashes = validation_slice.scan(train_files, slice_key)
    plan = validation_slice.plan(train_rows, float(validation_fraction))
    threshold, validation_rows = validation_slice.threshold(hashes, plan.rows)
    _decide("validation_slice", validation_rows, plan.reason, decisions)
    fit_rows = train_rows - validation_rows
    batch = _decide("batch_size", *defaults.batch_size(int(batch_size), fit_rows), decisions)
    units = _decide("hidden_units", *defaults.hidden_units(hidden_units, input_width(features), fit_rows), decisions)
    weights = None
    if task_info["task"] == "classification":
        weights = _decide("class_weight", *defaults.class_weights(
            class_weight, task_info["classes"], task_info.get("class_counts") or {}), decisions)
    hyperparameters = {
        "hidden_units": units,
        "learning_rate": float(learning_rate),
        "batch_size": int(batch),
        "epochs": int(epochs),
        "seed": seed,
        "dropout": float(dropout),
        "l2": float(l2),
        "validation_fraction": float(validation_fraction),
        "class_weights": weights,
        "early_stopping_patience": int(early_stopping_patience),
        "refit": refit,
    }
    held_out = (lambda records: validation_slice.in_slice(records, slice_key, threshold)) if validation_rows else None
    train_data = make_dataset(
        transformed_examples_uri, layout.TRAIN, spec, task_info, batch, shuffle=True, seed=seed or 0,
        keep=(lambda records: tf.logical_not(held_out(records))) if held_out else None,
    )
    validation_data = (
        make_dataset(transformed_examples_uri, layout.TRAIN, spec, task_info, batch, shuffle=False, keep=held_out)
        if held_out else None
    )
    sample_inputs = next(iter(train_data.take(1)))[0]

    with distribution_strategy().scope():
        model = make_model(module, features, task_info, hyperparameters, sample_inputs)
    untrained = _untrained_state(model)

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
        logger.info("No checkpoint to resume; saving one to %s at the end of an epoch at most every %g s",
                    location, checkpoint_seconds)
    patience = int(early_stopping_patience) if validation_data is not None else 0
    if early_stopping_patience and not patience:
        logger.info("Early stopping off: no validation slice (%s)", plan.reason)
    judged_from = _decide("early_stopping_start", *defaults.judging_start(fit_rows, batch, int(epochs)),
                          decisions) if patience else 0
    callbacks, early_stopping = _callbacks(location, patience, tensorboard_uri, int(epochs), judged_from,
                                           checkpoint_seconds)
    # verbose=0: the progress callback writes one line per epoch, Keras' own lines would repeat it.
    history = model.fit(
        train_data, validation_data=validation_data, epochs=int(epochs), verbose=0, callbacks=callbacks,
        class_weight=weights,
    )

    epochs_run = len(history.history.get("loss", []))
    if epochs_run:
        last = {name: float(values[-1]) for name, values in history.history.items()}
    elif validation_data is not None:  # the checkpoint already held every epoch: the restored model's
        last = {f"val_{k}": float(v) for k, v in model.evaluate(validation_data, return_dict=True, verbose=0).items()}
    else:
        last = {}
    diverged = sorted(name for name, value in last.items() if not math.isfinite(value))
    if diverged:
        logger.warning(
            "Training diverged: %s ended NaN or infinite. The model is exported but will not "
            "pass evaluation or infra validation; lower learning_rate or check the features' scale.",
            ", ".join(diverged),
        )
    # NaN is not JSON (nor KFP metadata): a diverged metric is recorded as null.
    last = {name: (value if math.isfinite(value) else None) for name, value in last.items()}
    stopped = bool(early_stopping and early_stopping.stopped_epoch > 0)
    best_epoch = None
    if early_stopping is not None and getattr(early_stopping, "best_epoch", None) is not None and epochs_run:
        best_epoch = (resumed_from or 0) + int(early_stopping.best_epoch) + 1
    refit_epochs = _decide("refit", *defaults.refit_epochs(refit, train_rows, validation_rows, best_epoch), decisions)
    if refit_epochs:
        seed_everything(seed, deterministic)
        all_rows = make_dataset(transformed_examples_uri, layout.TRAIN, spec, task_info, batch, shuffle=True,
                                seed=seed or 0)
        _restore_state(model, untrained)
        model.fit(all_rows, epochs=refit_epochs, verbose=0, class_weight=weights,
                  callbacks=[_epoch_progress(refit_epochs, "refit ")])
        logger.info("Refitted on all %d train rows for %d epochs", train_rows, refit_epochs)
    factors = _decide("prior_correction", *_prior_correction(model, validation_data, weights, task_info,
                                                             refitted=bool(refit_epochs)), decisions) if weights else None
    export_serving_model(model, tft_output, task_info, model_uri, probability_factors=factors)
    checkpoints.remove_checkpoint(location)
    result = {
        "task": task_info["task"],
        "epochs": (resumed_from or 0) + epochs_run,
        "epochs_run": epochs_run,
        "resumed_from_epoch": resumed_from or 0,
        "stopped_early": stopped,
        "best_epoch": best_epoch,
        "train_rows": train_rows,
        "validation_rows": validation_rows,
        "fit_rows": fit_rows,
        "batch_size": int(batch),
        "hidden_units": units if not (module and module.build_model) else None,
        "class_weights": {task_info["classes"][i]: w for i, w in weights.items()} if weights else None,
        "refit_epochs": refit_epochs,
        "probability_factors": ({task_info["classes"][i]: f for i, f in enumerate(factors)} if factors else None),
        "defaults": decisions,
        "model_builder": f"{module.path}:build_model" if module and module.build_model else "default",
        **last,
    }
    if stopped:
        logger.info("Early stopping after epoch %d: the best validation loss was at epoch %s (weights restored)",
                    result["epochs"], best_epoch)
    with tf.io.gfile.GFile(os.path.join(model_uri, SUMMARY_FILE), "w") as handle:
        json.dump(result, handle, indent=2)
    logger.info("Training done: %s", result)
    return result
