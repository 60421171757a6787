"""Training settings chosen from the data when the user leaves them to the default.

Each function returns the value and a sentence saying why, which the trainer logs and
records in the model's metadata (a default that changes a decision is shown, never
silent). Nothing here imports TensorFlow.

- ``hidden_units``: the default network's width follows the number of model inputs
  (the encoded feature width ``d``): a first layer of the power of two at or above
  ``2 d``, between ``MIN_UNITS`` and ``MAX_UNITS``, and no wider than about a quarter
  of the fitting rows (small data gets a small network), then a layer half as wide.
- ``batch_size``: about ``ROWS_PER_BATCH``-th of the fitting rows, a power of two
  between ``MIN_BATCH`` and ``MAX_BATCH``: small data keeps small batches (several
  updates per epoch), large data fewer, larger steps.
- ``class_weights`` (classification): ``auto`` weights each class by
  ``(n / (C * n_c)) ** 0.5`` (the square root of "balanced") when the largest class
  has at least ``IMBALANCE_RATIO`` times the rows of the smallest, else none;
  ``balanced`` always weights by ``n / (C * n_c)``; ``none`` never weights. The
  weights make the fit attend to the rare classes; the exported model undoes them on
  its probabilities (``components/train/prior_correction.py``), so its probabilities
  follow the real class shares and its class is the most probable one: an
  uncorrected weighted model moves the decision towards the rare class (3.3 %
  positive: holdout accuracy below the majority's), and the evaluator blesses a
  classifier on its accuracy against always predicting the most frequent class. The
  square root keeps the weights moderate (the full balanced ones multiply a 3 %
  class's gradient by 15).
- ``refit``: after early stopping has picked the best epoch count on the validation
  slice, ``auto`` trains a fresh model (same seed) on every train row, slice included,
  for that many epochs when the train split has at most ``REFIT_MAX_ROWS`` rows: on
  small data the slice is a sizeable share of the rows (15 %) the fit would otherwise
  never see, and a second, shorter pass costs seconds; larger splits keep the
  early-stopped model. ``none`` never refits. No refit without a validation slice or
  without a best epoch (early stopping off).
- ``judging_start``: early stopping does not judge the validation loss before the fit
  has taken ``MIN_STEPS_BEFORE_JUDGING`` gradient steps (Keras' ``start_from_epoch``),
  at most half the epochs: on a small split an epoch is a handful of steps, and a
  30-row slice's loss, ruled by one or two rows, can be lowest after the first epoch,
  which then becomes the best epoch and the refit's length (a barely trained model).
"""
import math
from typing import Dict, Mapping, Optional, Sequence, Tuple

MIN_UNITS, MAX_UNITS = 32, 256
MIN_BATCH, MAX_BATCH, ROWS_PER_BATCH = 32, 512, 64
IMBALANCE_RATIO = 3.0
CLASS_WEIGHT_MODES = ("auto", "balanced", "none")
REFIT_MODES = ("auto", "none")
REFIT_MAX_ROWS = 5_000
MIN_STEPS_BEFORE_JUDGING = 100
DEFAULT_DROPOUT = 0.1
DEFAULT_L2 = 1e-4


def _power_of_two_at_least(value: float) -> int:
    return 1 << max(0, math.ceil(math.log2(max(1.0, value))))


def _power_of_two_at_most(value: float) -> int:
    return 1 << max(0, math.floor(math.log2(max(1.0, value))))


def hidden_units(requested: Sequence[int], input_width: int, fit_rows: int) -> Tuple[list, str]:
    """The hidden layer sizes: ``requested`` when given, else scaled to the inputs and rows."""
    if requested:
        return [int(u) for u in requested], "as given (hidden_units)"
    first = min(MAX_UNITS, max(MIN_UNITS, _power_of_two_at_least(2 * input_width)))
    first = min(first, max(MIN_UNITS, _power_of_two_at_most(fit_rows / 4)))
    units = [first, max(MIN_UNITS // 2, first // 2)]
    return units, (f"{units}: from {input_width} model inputs (first layer the power of two at or above twice "
                   f"that, {MIN_UNITS}..{MAX_UNITS}) and {fit_rows} fitting rows (at most about a quarter of them)")


def batch_size(requested: int, fit_rows: int) -> Tuple[int, str]:
    """The batch size: ``requested`` when positive, else about 1/64th of the fitting rows."""
    if requested > 0:
        return int(requested), "as given (batch_size)"
    size = min(MAX_BATCH, max(MIN_BATCH, _power_of_two_at_most(fit_rows / ROWS_PER_BATCH)))
    return size, f"{size}: about 1/{ROWS_PER_BATCH} of {fit_rows} fitting rows, a power of two in {MIN_BATCH}..{MAX_BATCH}"


def imbalance_ratio(class_counts: Sequence[int]) -> float:
    """Rows of the largest class over rows of the smallest present one (1 when none);
    a label is imbalanced from ``IMBALANCE_RATIO``."""
    present = [int(count) for count in class_counts if count > 0]
    return max(present) / min(present) if present else 1.0


def class_weights(
    mode: str, classes: Sequence[str], class_counts: Mapping[str, int]
) -> Tuple[Optional[Dict[int, float]], str]:
    """``({class id: weight}, why)`` for ``mode`` (``CLASS_WEIGHT_MODES``), or ``(None, why)``.

    Weights are relative to one; a class with no train rows gets the largest weight
    present (it cannot be fitted either way). ``mode`` is checked by the caller."""
    counts = [int(class_counts.get(name, 0)) for name in classes]
    total = sum(counts)
    if mode == "none":
        return None, "class_weight none: every example weighs 1"
    ratio = imbalance_ratio(counts)
    shares = ", ".join(f"{name} {count / total:.1%}" for name, count in zip(classes, counts)) if total else ""
    if mode == "auto" and ratio < IMBALANCE_RATIO:
        return None, (f"class_weight auto: classes balanced enough (largest/smallest {ratio:.1f} < "
                      f"{IMBALANCE_RATIO:g}: {shares}), no weights")
    power = 1.0 if mode == "balanced" else 0.5
    raw = [(total / (len(classes) * c)) ** power if c > 0 else None for c in counts]
    top = max(w for w in raw if w is not None)
    weights = {index: round(w if w is not None else top, 4) for index, w in enumerate(raw)}
    how = "n / (C * n_c)" if mode == "balanced" else "sqrt(n / (C * n_c))"
    named = ", ".join(f"{name} {weights[i]:.3g}" for i, name in enumerate(classes))
    return weights, (f"class_weight {mode}: largest/smallest class {ratio:.1f} ({shares}); weights {how}: {named} "
                     "(in the fit; undone on the exported probabilities)")


def refit_epochs(mode: str, train_rows: int, validation_rows: int, best_epoch: Optional[int]) -> Tuple[int, str]:
    """``(epochs, why)``: how many epochs to refit on every train row (0: no refit).

    ``best_epoch`` is early stopping's best epoch (1-based; None when it did not run).
    ``mode`` is checked by the caller (``REFIT_MODES``)."""
    if mode == "none":
        return 0, "refit none: the early-stopped model is kept"
    if not validation_rows or not best_epoch:
        return 0, "refit auto: no validation slice or no early stopping, so every train row was fitted already"
    if train_rows > REFIT_MAX_ROWS:
        return 0, (f"refit auto: {train_rows} train rows (more than {REFIT_MAX_ROWS}): the early-stopped model "
                   f"fitted on {train_rows - validation_rows} of them is kept")
    return int(best_epoch), (f"refit auto: a fresh model fitted on all {train_rows} train rows (the "
                             f"{validation_rows}-row validation slice included) for the best epoch count, "
                             f"{best_epoch} (at most {REFIT_MAX_ROWS} train rows)")


def judging_start(fit_rows: int, batch: int, epochs: int) -> Tuple[int, str]:
    """``(epochs not judged, why)``: Keras' ``start_from_epoch`` for early stopping.

    The first judged epoch is the one that completes ``MIN_STEPS_BEFORE_JUDGING``
    gradient steps of ``batch`` examples over ``fit_rows`` rows, but no later than
    halfway through ``epochs``; 0 when the first epoch already has that many steps."""
    steps_per_epoch = max(1, math.ceil(fit_rows / max(1, batch)))
    first_judged = min(math.ceil(MIN_STEPS_BEFORE_JUDGING / steps_per_epoch), max(1, epochs // 2))
    if first_judged <= 1:
        return 0, (f"every epoch: {steps_per_epoch} steps an epoch (at least {MIN_STEPS_BEFORE_JUDGING} "
                   "before the validation loss is judged)")
    return first_judged - 1, (
        f"from epoch {first_judged}: {steps_per_epoch} steps an epoch, the validation loss is judged once the fit "
        f"has taken {MIN_STEPS_BEFORE_JUDGING} steps (at most half of {epochs} epochs)")
