"""Training that survives the real world: resume after a kill, early stopping, TensorBoard
logs, deterministic seeds, the device strategy, and the checkpoint fingerprint."""
import glob
import json
import logging
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from components.common.errors import ConfigurationError
from components.train import checkpoints
from components.train.runtime import train
from conftest import PENGUINS, REPO_ROOT, read_csv_rows, serialized_examples

EPOCHS = 40
KILL_AFTER_EPOCH = 3

TRAIN_SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s: %(message)s")
sys.path.insert(0, {repo!r})
from components.train.runtime import train
for model_uri in {models!r}:
    print("RESULT", json.dumps(train({graph!r}, {examples!r}, model_uri, **{kwargs!r})), flush=True)
"""


def start_training(run, models, **kwargs):
    """The train runtime in a process of its own (one training per model folder, in turn)."""
    script = TRAIN_SCRIPT.format(
        repo=REPO_ROOT, graph=run.transform_graph, examples=run.transformed_examples, models=models, kwargs=kwargs
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def penguin_accuracy(model_dir):
    import tensorflow as tf

    rows = read_csv_rows(PENGUINS)
    model = tf.saved_model.load(model_dir)
    outputs = model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows, skip={"species"})))
    return np.mean([c.decode() == r["species"] for c, r in zip(outputs["classes"].numpy(), rows)])


@pytest.mark.slow
def test_killed_training_resumes_from_its_last_completed_epoch(tmp_path, penguin_run, caplog):
    checkpoint_dir = str(tmp_path / "checkpoints")
    # Patience off: the test counts every epoch of the resumed run. A checkpoint after
    # every epoch (the penguins' epochs are far shorter than the default 30 s between saves).
    process = start_training(penguin_run, [str(tmp_path / "killed")], epochs=EPOCHS, checkpoint_dir=checkpoint_dir,
                             early_stopping_patience=0, checkpoint_seconds=0)
    deadline = time.monotonic() + 300
    try:
        while process.poll() is None and time.monotonic() < deadline:
            saved = [checkpoints.completed_epochs(path) or 0 for path in glob.glob(os.path.join(checkpoint_dir, "*"))]
            if saved and max(saved) >= KILL_AFTER_EPOCH:
                process.send_signal(signal.SIGKILL)  # as a preempted node or an OOM kill would
                break
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        log = process.communicate()[0]
    assert process.returncode == -signal.SIGKILL, log[-3000:]
    [location] = glob.glob(os.path.join(checkpoint_dir, "*"))
    saved_epoch = checkpoints.completed_epochs(location)
    assert KILL_AFTER_EPOCH <= saved_epoch < EPOCHS

    with caplog.at_level(logging.INFO, logger="components.train.runtime"):
        result = train(
            penguin_run.transform_graph, penguin_run.transformed_examples, str(tmp_path / "resumed"),
            epochs=EPOCHS, checkpoint_dir=checkpoint_dir, early_stopping_patience=0,
        )
    assert f"Resuming from checkpoint after epoch {saved_epoch} of {EPOCHS}" in caplog.text
    assert result["resumed_from_epoch"] == saved_epoch
    assert result["epochs_run"] == EPOCHS - saved_epoch and result["epochs"] == EPOCHS
    assert not os.path.exists(location)  # removed once the model is exported
    assert penguin_accuracy(str(tmp_path / "resumed")) >= 0.9


@pytest.mark.parametrize("seconds_between_saves, saved_epoch", [(0, 3), (3600, None)])
def test_checkpoints_are_written_at_most_every_so_many_seconds(tmp_path, seconds_between_saves, saved_epoch):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    location = str(tmp_path / "checkpoint")
    model.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0,
              callbacks=[checkpoints.backup_callback(location, seconds_between_saves)])
    assert checkpoints.completed_epochs(location) == saved_epoch


@pytest.mark.slow
def test_deterministic_training_gives_the_same_model_twice(tmp_path, penguin_run):
    import tensorflow as tf

    models = [str(tmp_path / "first"), str(tmp_path / "second")]
    process = start_training(penguin_run, models, epochs=3, seed=7, deterministic=True)
    log = process.communicate(timeout=600)[0]
    assert process.returncode == 0, log[-3000:]
    assert "Deterministic training: seed 7, op determinism on" in log
    results = [json.loads(line.split(" ", 1)[1]) for line in log.splitlines() if line.startswith("RESULT ")]
    assert len(results) == 2 and results[0]["val_loss"] == results[1]["val_loss"]
    first, second = (tf.train.load_checkpoint(os.path.join(path, "variables", "variables")) for path in models)
    names = [name for name in first.get_variable_to_shape_map() if "model" in name]
    assert names and all(np.array_equal(first.get_tensor(n), second.get_tensor(n)) for n in names)


def test_deterministic_needs_a_seed(tmp_path, penguin_run):
    with pytest.raises(ConfigurationError, match="deterministic=True needs a seed"):
        train(penguin_run.transform_graph, penguin_run.transformed_examples, str(tmp_path / "m"), seed=None, deterministic=True)


def test_early_stopping_keeps_the_best_epoch_and_tensorboard_logs_are_written(tmp_path, penguin_run):
    import tensorflow as tf

    model_dir, logs = str(tmp_path / "model"), str(tmp_path / "logs")
    result = train(
        penguin_run.transform_graph, penguin_run.transformed_examples, model_dir, epochs=200,
        learning_rate=0.05, early_stopping_patience=2, tensorboard_uri=logs,
    )
    assert result["stopped_early"] and result["epochs"] < 200
    assert not os.path.exists(os.path.join(model_dir, checkpoints.IN_MODEL_FOLDER))
    for split in ("train", "validation"):
        tags = set()
        for path in glob.glob(os.path.join(logs, split, "events.out.tfevents.*")):
            for event in tf.compat.v1.train.summary_iterator(path):
                tags.update(value.tag for value in event.summary.value)
        assert "epoch_loss" in tags, (split, tags)


def test_bad_patience_is_a_clear_error(tmp_path, penguin_run):
    with pytest.raises(ConfigurationError, match="early_stopping_patience"):
        train(penguin_run.transform_graph, penguin_run.transformed_examples, str(tmp_path / "m"), early_stopping_patience=-1)


def test_fingerprint_follows_data_hyperparameters_and_module(penguin_run, regression_run):
    def fingerprint(run=penguin_run, module="", **changes):
        hyperparameters = {"hidden_units": [64, 32], "learning_rate": 0.005, "batch_size": 32, "epochs": 20, "seed": 42}
        hyperparameters.update(changes)
        return checkpoints.training_fingerprint(run.transform_graph, run.transformed_examples, hyperparameters, module)

    base = fingerprint()
    assert fingerprint() == base
    assert fingerprint(epochs=60) == base  # more epochs continue the same training
    assert fingerprint(learning_rate=0.01) != base
    assert fingerprint(module="def build_model(features, task, hyperparameters): ...") != base
    assert fingerprint(run=regression_run) != base


def test_strategy_on_a_machine_without_gpus_is_the_default(caplog):
    import tensorflow as tf

    from components.train.devices import distribution_strategy

    with caplog.at_level(logging.INFO, logger="components.train.devices"):
        strategy = distribution_strategy()
    if tf.config.list_logical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    assert strategy.num_replicas_in_sync == 1 and "Training on the CPU" in caplog.text
