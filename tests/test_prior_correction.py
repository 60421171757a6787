"""Undoing class weights (components/train/prior_correction.py) on synthetic predictions."""
import numpy as np
import pytest

from components.train import prior_correction


def _weighted_model(rng, count, odds_factor):
    """Labels with about 5 % positives from a known risk, and the probabilities of a
    model that over-predicts them by ``odds_factor`` on the odds (as a weighted fit)."""
    risk = 1 / (1 + np.exp(-(-3.6 + 1.5 * rng.normal(size=count))))
    labels = (rng.random(count) < risk).astype(np.int64)
    odds = odds_factor * risk / (1 - risk)
    positive = odds / (1 + odds)
    return labels, np.c_[1 - positive, positive]


def test_the_fitted_factors_recover_the_odds_the_weights_moved():
    rng = np.random.default_rng(3)
    labels, probabilities = _weighted_model(rng, 4000, odds_factor=2.5)
    start = prior_correction.factors_from_weights({0: 0.72, 1: 3.2}, 2)  # 1/w: odds / 4.4, too far
    factors, why = prior_correction.fit_factors(probabilities, labels, start)
    assert why == "fitted on the 4000-row validation slice"
    assert factors[1] / factors[0] == pytest.approx(1 / 2.5, rel=0.15)
    corrected = probabilities * factors
    corrected /= corrected.sum(axis=1, keepdims=True)
    assert corrected[:, 1].mean() == pytest.approx(labels.mean(), rel=0.02)  # calibrated in the large
    uncorrected_by_weights = probabilities * start
    uncorrected_by_weights /= uncorrected_by_weights.sum(axis=1, keepdims=True)
    assert uncorrected_by_weights[:, 1].mean() < 0.8 * labels.mean()  # 1 / w over-corrects here


def test_a_class_too_rare_in_the_slice_keeps_the_weights_factors():
    labels = np.r_[np.zeros(100, dtype=np.int64), np.ones(4, dtype=np.int64)]
    probabilities = np.full((104, 2), 0.5)
    factors, why = prior_correction.fit_factors(probabilities, labels, [1.0, 0.25])
    assert factors is None and "4 row(s) of its rarest class" in why
    assert prior_correction.factors_from_weights({0: 0.5, 1: 4.0}, 2) == [2.0, 0.25]
