"""Gates that noise cannot fool, on trained models (issue 13).

Models are trained on the penguins with the train labels shuffled (the transformed
label ids permuted, so the transform graph and the eval split stay the same), and
judged on the true eval labels by the blessing rules. The old rule (accuracy at
least the most frequent class's share + 0.01) is measured on the same models.
"""
import glob
import os

import numpy as np
import pytest

from components.common import layout
from components.common.task import read_task_info
from components.evaluate.config import default_thresholds
from components.evaluate.judge import judge
from components.evaluate.predictions import eval_predictions
from components.train.runtime import train

SHUFFLES = int(os.environ.get("SHUFFLES", 20))


def _shuffled_transformed_examples(run, target, seed):
    """A copy of the transformed examples with the train split's label ids permuted."""
    import tensorflow as tf
    import tensorflow_transform as tft

    label_key = read_task_info(run.transform_graph)["label_key"]
    spec = tft.TFTransformOutput(run.transform_graph).transformed_feature_spec()
    files = sorted(glob.glob(layout.examples_pattern(run.transformed_examples, layout.TRAIN)))
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    parsed = tf.io.parse_example(records, spec)
    labels = np.random.default_rng(seed).permutation(parsed[label_key].numpy())
    os.makedirs(layout.split_dir(target, layout.TRAIN))
    with tf.io.TFRecordWriter(layout.examples_prefix(target, layout.TRAIN) + "-00000-of-00001.gz", "GZIP") as writer:
        for record, label in zip(records, labels):
            example = tf.train.Example.FromString(record)
            example.features.feature[label_key].int64_list.value[:] = [int(label)]
            writer.write(example.SerializeToString())
    os.symlink(layout.split_dir(run.transformed_examples, layout.EVAL), layout.split_dir(target, layout.EVAL))
    return target


@pytest.mark.slow
def test_models_trained_on_shuffled_labels_are_never_blessed(penguin_run, tmp_path):
    task_info = read_task_info(penguin_run.transform_graph)
    counts = task_info["class_counts"]
    old_floor = max(counts.values()) / sum(counts.values()) + 0.01
    old_blessed, new_blessed, accuracies = 0, 0, []
    for seed in range(SHUFFLES):
        shuffled = _shuffled_transformed_examples(penguin_run, str(tmp_path / f"shuffled{seed}"), seed)
        model = str(tmp_path / f"model{seed}")
        train(penguin_run.transform_graph, shuffled, model, epochs=10, seed=seed)
        candidate = eval_predictions(penguin_run.examples, task_info, model)["candidate"]
        verdict = judge(task_info, candidate, {}, default_thresholds(task_info), False, {})
        accuracies.append(candidate.value("accuracy"))
        old_blessed += candidate.value("accuracy") >= old_floor
        new_blessed += verdict["blessed"]
    print(f"shuffled labels, {SHUFFLES} models: old rule blessed {old_blessed}, new rule {new_blessed}; "
          f"accuracies {min(accuracies):.3f}..{max(accuracies):.3f} (old floor {old_floor:.4f})")
    assert new_blessed == 0


def test_the_real_model_is_blessed_by_the_same_rules(penguin_run):
    task_info = read_task_info(penguin_run.transform_graph)
    candidate = eval_predictions(penguin_run.examples, task_info, penguin_run.model)["candidate"]
    verdict = judge(task_info, candidate, {}, default_thresholds(task_info), False, {})
    assert verdict["blessed"] is True
    assert candidate.value("accuracy") == pytest.approx(penguin_run.evaluation["overall"]["accuracy"], abs=1e-6)
