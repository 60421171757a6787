"""The blessing's statistics (components/evaluate/significance.py, judge.py) on synthetic predictions.

Labels and probabilities are drawn here, so each rule is checked over many draws
without training a model; tests/test_gates_noise.py checks the same on trained models.
"""
import numpy as np
import pytest

from components.common.views.formatting import number
from components.evaluate import significance
from components.evaluate.judge import judge
from components.evaluate.significance import Predictions


def _classifier(labels, classes, rng, signal=0.0, positive_id=None, majority_bias=0.0):
    """Probabilities that point at the true class with weight ``signal`` (0: noise),
    and, with ``majority_bias``, lean to class 0 regardless of the label, as a model
    trained on shuffled labels learns the class shares and nothing else."""
    noise = rng.dirichlet(np.ones(classes), size=len(labels))
    noise[:, 0] += majority_bias
    noise /= noise.sum(axis=1, keepdims=True)
    truth = np.eye(classes)[labels]
    return Predictions(labels, probabilities=(1 - signal) * noise + signal * truth, positive_id=positive_id)


def _task(classes, counts):
    names = [f"c{i}" for i in range(classes)]
    return {"task": "classification", "classes": names, "class_counts": dict(zip(names, counts))}


def _judge(task_info, candidate, **kwargs):
    return judge(task_info, candidate, {}, kwargs.pop("thresholds", {}), kwargs.pop("user_thresholds", False),
                 kwargs.pop("change_thresholds", {}), **kwargs)


def test_wilson_interval_and_mcnemar_match_known_values():
    low, high = significance.wilson_interval(28, 60)
    assert (round(low, 3), round(high, 3)) == (0.346, 0.591)  # textbook Wilson 95 % for 28/60
    assert significance.mcnemar_p_value(6, 0) == pytest.approx(0.5 ** 6)
    assert significance.mcnemar_p_value(5, 5) == pytest.approx(0.623, abs=1e-3)
    assert significance.mcnemar_p_value(0, 0) == 1.0


def test_weighted_auc_equals_the_pairwise_definition():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 200)
    score = np.round(np.clip(0.3 * labels + rng.random(200) * 0.7, 0, 1), 1)  # many ties
    predictions = Predictions(labels, probabilities=np.c_[1 - score, score], positive_id=1)
    pos, neg = score[labels == 1], score[labels == 0]
    pairwise = ((pos[:, None] > neg).sum() + 0.5 * (pos[:, None] == neg).sum()) / (len(pos) * len(neg))
    assert predictions.value("auc") == pytest.approx(pairwise)
    low, high = significance.intervals(predictions)["auc"]
    assert low < pairwise < high


def test_noise_is_never_blessed_over_many_draws():
    """Old rule (accuracy >= majority share + 0.01) against the new one, same 60-row draws."""
    rng = np.random.default_rng(7)
    old_blessed = new_blessed = 0
    draws = 200
    for _ in range(draws):
        labels = rng.choice(3, size=60, p=[0.44, 0.36, 0.20])
        candidate = _classifier(labels, 3, rng, majority_bias=0.6)
        task_info = _task(3, [152, 124, 68])
        old_blessed += candidate.value("accuracy") >= 152 / 344 + 0.01
        new_blessed += _judge(task_info, candidate)["blessed"]
    assert old_blessed > draws * 0.05  # the fixed margin is passed by chance
    assert new_blessed == 0


def test_a_200_class_label_without_signal_is_not_blessed():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 200, 2000)
    labels[:300] = 0  # one class more frequent than the rest
    result = _judge(_task(200, [300] + [10] * 199), _classifier(labels, 200, rng))
    assert result["blessed"] is False
    assert "McNemar" in result["reasons"][0]


def test_a_real_signal_is_blessed_with_its_interval():
    rng = np.random.default_rng(5)
    labels = rng.choice(3, size=60, p=[0.44, 0.36, 0.20])
    result = _judge(_task(3, [152, 124, 68]), _classifier(labels, 3, rng, signal=0.8))
    assert result["blessed"] is True
    low, high = result["intervals"]["accuracy"]
    assert 0 < low < high <= 1


def test_a_too_small_eval_split_blesses_nothing_unless_allowed():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 12)
    candidate = _classifier(labels, 3, rng, signal=0.9)
    refused = _judge(_task(3, [40, 30, 30]), candidate)
    assert refused["blessed"] is False and "fewer than 20" in refused["reasons"][0]
    assert "allow_small_eval_split=true" in refused["reasons"][0]
    allowed = _judge(_task(3, [40, 30, 30]), candidate, allow_small_eval_split=True)
    assert allowed["blessed"] is True and allowed["judged_on_values"] is True
    assert any("allow_small_eval_split is true" in reason for reason in allowed["reasons"])


def test_a_value_threshold_needs_its_whole_interval():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 80)
    candidate = _classifier(labels, 2, rng, signal=0.75, positive_id=1)
    accuracy = candidate.value("accuracy")
    low, _ = significance.intervals(candidate)["accuracy"]
    between = (low + accuracy) / 2  # the point value clears it, the interval does not
    result = _judge(_task(2, [50, 50]), candidate, thresholds={"accuracy": {"lower_bound": between}}, user_thresholds=True)
    assert result["blessed"] is False
    assert f"≥ {number(between)}" in result["reasons"][0] and "whole interval" in result["reasons"][0]


def test_change_within_noise_is_not_held_and_a_real_drop_is():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 3, 60)
    champion = _classifier(labels, 3, rng, signal=0.9)
    change = {"accuracy": {"max_drop": 0.01}}
    # The same model with a few examples flipped: a drop within noise.
    nearly = Predictions(labels, probabilities=champion.probabilities.copy())
    wrong = np.flatnonzero(nearly.correct())[:2]
    nearly.probabilities[wrong] = np.roll(nearly.probabilities[wrong], 1, axis=1)
    close = _judge(_task(3, [20, 20, 20]), nearly, change_thresholds=change, baseline=champion)
    check = next(c for c in close["checks"] if c["check"] == "change")
    assert check["difference"] < -0.01 and check["passed"] and "within noise" in check["text"]
    worse = _judge(_task(3, [20, 20, 20]), _classifier(labels, 3, rng, signal=0.05), change_thresholds=change, baseline=champion)
    check = next(c for c in worse["checks"] if c["check"] == "change")
    assert not check["passed"] and check["interval"][1] < -0.01 and worse["blessed"] is False


def test_a_collapsed_champion_holds_the_push_unless_accepted():
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 3, 100)
    candidate = _classifier(labels, 3, rng, signal=0.9)
    shuffled = rng.permutation(labels)  # the champion learned the old labels
    champion = _classifier(shuffled, 3, rng, signal=0.95)
    champion = Predictions(labels, probabilities=champion.probabilities)
    record = {"metrics": {"accuracy": 0.99}, "intervals": {"accuracy": [0.95, 1.0]}}
    held = _judge(_task(3, [34, 33, 33]), candidate, baseline=champion, champion_record=record, baseline_version=17)
    collapse = next(c for c in held["checks"] if c["check"] == "champion_collapse")
    assert held["blessed"] is False and not collapse["passed"]
    assert "version 17" in collapse["text"] and "0.99" in collapse["text"] and "accept_champion_collapse" in collapse["text"]
    accepted = _judge(_task(3, [34, 33, 33]), candidate, baseline=champion, champion_record=record,
                      accept_champion_collapse=True)
    assert accepted["blessed"] is True
    assert any("accepted because accept_champion_collapse is true" in reason for reason in accepted["reasons"])


def test_regression_must_beat_the_train_mean():
    rng = np.random.default_rng(9)
    labels = rng.normal(10, 2, 100)
    task_info = {"task": "regression", "label_mean": 10.0}
    thresholds = {"squared_pearson_correlation": {"lower_bound": 0.1}}
    noise = Predictions(labels, predictions=10 + rng.normal(0, 0.5, 100))
    assert _judge(task_info, noise, thresholds=thresholds)["blessed"] is False
    good = Predictions(labels, predictions=labels + rng.normal(0, 0.5, 100))
    assert _judge(task_info, good, thresholds=thresholds)["blessed"] is True


# --- an imbalanced label: the log-loss route of rule 2 ----------------------------------

IMBALANCED_TASK = _task(2, [6150, 200])  # 3.2 % positive in train


def _rare_positives(rng, count):
    """Labels with about 3 % positives drawn from a known risk, and a classifier that
    predicts exactly that risk (calibrated, informative, rarely above 0.5)."""
    risk = 1 / (1 + np.exp(-(-4.4 + 1.6 * rng.normal(size=count))))
    labels = (rng.random(count) < risk).astype(np.int64)
    return labels, Predictions(labels, probabilities=np.c_[1 - risk, risk], positive_id=1)


def test_an_informative_model_of_a_rare_class_is_blessed_on_its_log_loss():
    rng = np.random.default_rng(12)
    labels, candidate = _rare_positives(rng, 1650)
    result = _judge(IMBALANCED_TASK, candidate)
    trivial = next(c for c in result["checks"] if c["check"] == "better_than_trivial")
    # McNemar alone would not bless it (1 example won, 2 lost: the split's chance), the log loss does.
    assert (trivial["wins"], trivial["losses"]) == (1, 2) and trivial["p_value"] >= 0.025
    assert trivial["passed"] and trivial["class_shares_test"]["interval"][1] < 0
    assert "imbalanced (largest train class 30.8 times the smallest)" in trivial["text"]
    assert result["blessed"] is True


def test_on_an_imbalanced_label_noise_is_not_blessed_over_many_draws():
    """Predictions that know only the class shares (jittered, as a model fitted to
    noise), over 200 draws: blessed at most at the test's 2.5 % level."""
    rng = np.random.default_rng(13)
    blessed, draws = 0, 200
    for _ in range(draws):
        labels = (rng.random(1650) < 200 / 6350).astype(np.int64)
        positive = 1 / (1 + np.exp(-(np.log(200 / 6150) + rng.normal(scale=0.3, size=1650))))
        candidate = Predictions(labels, probabilities=np.c_[1 - positive, positive], positive_id=1)
        blessed += _judge(IMBALANCED_TASK, candidate)["blessed"]
    assert blessed <= draws * 0.025, blessed


def test_a_rare_class_model_wrong_more_often_than_the_majority_is_not_blessed():
    """Sure of every positive (a large log-loss gain) but also 55 % sure of one
    negative in 10: a better log loss, and significantly more mistakes."""
    rng = np.random.default_rng(14)
    labels = (rng.random(1650) < 0.031).astype(np.int64)
    positive = np.where(labels == 1, 0.9, np.where(rng.random(1650) < 0.10, 0.55, 0.01))
    candidate = Predictions(labels, probabilities=np.c_[1 - positive, positive], positive_id=1)
    result = _judge(IMBALANCED_TASK, candidate)
    trivial = next(c for c in result["checks"] if c["check"] == "better_than_trivial")
    assert trivial["class_shares_test"]["interval"][1] < 0
    assert result["blessed"] is False and not trivial["passed"]
    assert "wrong significantly more often than the most frequent class" in trivial["text"]
