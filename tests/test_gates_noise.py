"""Gates that noise cannot fool, on trained models (issue 13).

Models are trained on the penguins with the train labels shuffled (the transformed
label ids permuted, so the transform graph stays the same) and judged by the
blessing rules in the two ways a shuffled label column reaches a run:

- the whole column shuffled (the issue's case: train and eval labels alike), with
  no champion: the candidate must never be blessed; the old rule (accuracy at least
  the most frequent class's share + 0.01) is measured on the same models;
- only the train labels wrong, judged on the true eval labels against the real
  champion: never blessed either. (Without a champion, such a model can be truly
  better than the most frequent class on the true labels: a shuffle can leave one
  species' region of feature space with its own label as the most frequent, and the
  model then names that species. Those counts are printed, not asserted.)
"""
import glob
import os

import numpy as np
import pytest

from components.common import layout
from components.common.task import read_task_info
from components.evaluate.config import default_change_thresholds, default_thresholds
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


def _shuffled_raw_eval(run, label, target, seed):
    """A copy of the raw examples whose eval split has its labels permuted."""
    import tensorflow as tf

    files = sorted(glob.glob(layout.examples_pattern(run.examples, layout.EVAL)))
    examples = [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    labels = [list(e.features.feature[label].bytes_list.value) for e in examples]
    order = np.random.default_rng(1000 + seed).permutation(len(labels))
    os.makedirs(layout.split_dir(target, layout.EVAL))
    with tf.io.TFRecordWriter(layout.examples_prefix(target, layout.EVAL) + "-00000-of-00001.gz", "GZIP") as writer:
        for example, index in zip(examples, order):
            example.features.feature[label].bytes_list.value[:] = labels[index]
            writer.write(example.SerializeToString())
    return target


@pytest.mark.slow
def test_models_trained_on_shuffled_labels_are_never_blessed(penguin_run, tmp_path):
    task_info = read_task_info(penguin_run.transform_graph)
    counts = task_info["class_counts"]
    old_floor = max(counts.values()) / sum(counts.values()) + 0.01
    thresholds = default_thresholds(task_info)
    change = default_change_thresholds(task_info)
    old_blessed = new_blessed = against_champion = lucky_without_champion = 0
    accuracies = []
    for seed in range(SHUFFLES):
        shuffled = _shuffled_transformed_examples(penguin_run, str(tmp_path / f"shuffled{seed}"), seed)
        model = str(tmp_path / f"model{seed}")
        train(penguin_run.transform_graph, shuffled, model, epochs=10, seed=seed)
        # The whole label column shuffled: eval labels too, no champion yet.
        eval_shuffled = _shuffled_raw_eval(penguin_run, task_info["label"], str(tmp_path / f"raw{seed}"), seed)
        candidate = eval_predictions(eval_shuffled, task_info, model)[0]["candidate"]
        accuracies.append(candidate.value("accuracy"))
        old_blessed += candidate.value("accuracy") >= old_floor
        new_blessed += judge(task_info, candidate, {}, thresholds, False, {})["blessed"]
        # Only the train labels wrong, against the real champion on the true eval labels.
        paired, _ = eval_predictions(penguin_run.examples, task_info, model, penguin_run.model)
        against_champion += judge(task_info, paired["candidate"], {}, thresholds, False, change,
                                  baseline=paired["baseline"])["blessed"]
        lucky_without_champion += judge(task_info, paired["candidate"], {}, thresholds, False, {})["blessed"]
    print(f"\nshuffled label column, {SHUFFLES} models: old rule blessed {old_blessed}, new rule {new_blessed} "
          f"(accuracies {min(accuracies):.3f}..{max(accuracies):.3f}, old floor {old_floor:.4f}); "
          f"train labels only, against the champion: {against_champion} blessed "
          f"(without a champion: {lucky_without_champion})")
    assert new_blessed == 0 and against_champion == 0


def test_the_real_model_is_blessed_by_the_same_rules(penguin_run):
    task_info = read_task_info(penguin_run.transform_graph)
    candidate = eval_predictions(penguin_run.examples, task_info, penguin_run.model)[0]["candidate"]
    verdict = judge(task_info, candidate, {}, default_thresholds(task_info), False, {})
    assert verdict["blessed"] is True
    assert candidate.value("accuracy") == pytest.approx(penguin_run.evaluation["overall"]["accuracy"], abs=1e-6)


@pytest.mark.slow
def test_a_200_class_label_without_signal_is_not_blessed(tmp_path):
    """Trained end to end (runtime chain) on 2,000 rows whose label is unrelated to the features."""
    import csv

    from conftest import run_chain

    rng = np.random.default_rng(11)
    shares = np.r_[0.1, np.full(199, 0.9 / 199)]  # one class more frequent than the rest
    path = tmp_path / "noise.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x1", "x2", "colour", "label"])
        for _ in range(2000):
            writer.writerow([f"{rng.normal():.4f}", f"{rng.normal():.4f}", rng.choice(["red", "green", "blue"]),
                             f"class_{rng.choice(200, p=shares)}"])
    run = run_chain(tmp_path / "run", str(path), "label", epochs=10)
    evaluation = run.evaluation
    assert len(evaluation["classes"]) > 150 and evaluation["blessed"] is False
    trivial = next(c for c in evaluation["checks"] if c["check"] == "better_than_trivial")
    assert not trivial["passed"] and trivial["p_value"] >= 0.025
    # An imbalanced label: the log-loss route against the train class shares is judged too, and fails.
    shares = trivial["class_shares_test"]
    print("log loss against the class shares:", shares["log_loss"], shares["trivial_log_loss"], shares["interval"])
    assert not shares["passed"] and shares["interval"][1] >= 0
