"""The blessing decision: thresholds judged by their uncertainty, not by point values.

Rules (every interval two-sided 95 %, ``components.evaluate.significance``):

1. **Enough evidence.** With fewer than ``MIN_EVAL_EXAMPLES`` eval examples, or (for
   a classifier) so few examples outside the most frequent class that even a perfect
   model could not be told apart from always predicting it, nothing is blessed, and
   the reasons say so. ``allow_small_eval_split`` judges such a split on the values
   alone instead; the blessing records that it did.
2. **Better than trivial** (when the user sets no value thresholds): a classifier
   must be right more often than always predicting the most frequent train class,
   by an exact one-sided McNemar test at 2.5 % on the same examples; a regressor
   must have a lower squared error than always predicting the train mean (the
   paired interval of the difference below zero). On an imbalanced label (largest
   train class ``IMBALANCE_RATIO`` times the smallest or more) McNemar has little
   power: few examples lie outside the most frequent class (3 % positive, 1,650
   eval rows: about 50), so a classifier also passes with a lower log loss than
   always predicting the train class shares (the regressor's rule with the
   classifier's proper score: the paired interval below zero) unless it is wrong
   significantly more often than the most frequent class (McNemar the other way).
   Each route alone holds noise at 2.5 %; a model fitted to noise is right no more
   often than the most frequent class, so McNemar adds next to nothing to the
   log-loss route on such a label.
3. **Value thresholds**: a ``lower_bound`` is met when the metric's interval lies
   wholly at or above it, an ``upper_bound`` when it lies at or below it. A metric
   without an interval here (``auc_precision_recall``, ``calibration``, counts) is
   judged on its value, and the reason says so.
4. **Change thresholds** against the champion, on the same examples: the candidate
   is held only when the paired interval of its difference lies wholly beyond the
   allowed change (it is worse, beyond what the threshold allows, and not by
   noise); a difference within noise is reported, not held.
5. **Champion collapse**: when the champion, on this eval split, scores far below
   what it scored when it was blessed (its record travels with the pushed version:
   ``components.common.model_record``) and the two intervals do not overlap, the
   labels disagree with what it learned (label corruption, a bad join, concept
   drift): the push is held unless ``accept_champion_collapse``.
"""
from typing import Dict, List, Optional

from components.common.views.formatting import bounds_text, change_text, number, p_value, signed
from components.evaluate import significance
from components.evaluate.significance import Predictions
from components.train.defaults import IMBALANCE_RATIO, imbalance_ratio

# Fewer eval examples than this decide nothing (the bootstrap needs a sample).
MIN_EVAL_EXAMPLES = 20
# One-sided significance level of the tests against trivial predictors.
ONE_SIDED_ALPHA = (1 - significance.CONFIDENCE) / 2
# The smallest number of examples a perfect classifier must win (beyond the most
# frequent class) for McNemar's exact test to reach ONE_SIDED_ALPHA: 0.5**6 < 0.025.
MIN_DISCORDANT_WINS = 6
# Champion collapse: the metric that is compared, and by how much it must fall.
COLLAPSE_METRIC = {"classification": "accuracy", "regression": "squared_pearson_correlation"}
COLLAPSE_MIN_DROP = {"accuracy": 0.1, "squared_pearson_correlation": 0.2}


def _fmt(value: Optional[float]) -> str:
    return number(value)


def interval_text(interval) -> str:
    """(0.81, 0.93) -> '[0.81, 0.93]'."""
    return f"[{_fmt(interval[0])}, {_fmt(interval[1])}]" if interval else ""


def too_small(candidate: Predictions, majority_id: Optional[int]) -> Optional[str]:
    """Why the eval split is too small to decide anything, or None."""
    if candidate.count < MIN_EVAL_EXAMPLES:
        return f"the eval split has {candidate.count} examples, fewer than {MIN_EVAL_EXAMPLES}"
    if majority_id is not None:
        others = int((candidate.labels != majority_id).sum())
        if others < MIN_DISCORDANT_WINS:
            return (
                f"the eval split has {others} example(s) outside the most frequent class: even a perfect "
                f"model could not be told apart from always predicting it (it needs {MIN_DISCORDANT_WINS})"
            )
    return None


def majority_class_id(task_info: Dict[str, object]) -> Optional[int]:
    """The class id of the most frequent train class (None for a regressor)."""
    if task_info["task"] != "classification":
        return None
    counts = task_info["class_counts"]
    classes = list(task_info["classes"])
    return classes.index(max(classes, key=lambda name: counts.get(name, 0)))


def _trivial_check(task_info, candidate: Predictions, on_values_only: bool) -> Dict[str, object]:
    if task_info["task"] == "classification":
        majority = majority_class_id(task_info)
        name = task_info["classes"][majority]
        test = significance.against_majority_class(candidate, majority)
        passed = test["accuracy"] > test["trivial_accuracy"] if on_values_only else test["p_value"] < ONE_SIDED_ALPHA
        text = (
            f"accuracy {_fmt(test['accuracy'])} against {_fmt(test['trivial_accuracy'])} for always predicting "
            f"{name!r} (the most frequent train class): right on {test['wins']} example(s) it gets wrong, wrong on "
            f"{test['losses']} it gets right, McNemar p {'' if test['p_value'] < 1e-4 else '= '}{p_value(test['p_value'])}"
        )
        shares = _class_shares_check(task_info, candidate, test) if not (passed or on_values_only) else None
        if shares is not None:
            passed = shares["passed"]
            text += "; " + shares["text"]
        return {"check": "better_than_trivial", "passed": passed, "text": text, **test,
                **({"class_shares_test": shares} if shares is not None else {})}
    test = significance.against_mean_predictor(candidate, float(task_info["label_mean"]))
    interval = test["interval"]
    passed = test["difference"] < 0 if on_values_only or interval is None else interval[1] < 0
    text = (
        f"mean squared error {_fmt(test['mean_squared_error'])} against {_fmt(test['trivial_mean_squared_error'])} "
        f"for always predicting the train mean {_fmt(task_info['label_mean'])} (difference "
        f"{signed(test['difference'])}, 95 % interval {interval_text(interval)})"
    )
    return {"check": "better_than_trivial", "passed": passed, "text": text, **test}


def _class_shares_check(task_info, candidate: Predictions, majority_test: Dict[str, float]) -> Optional[Dict[str, object]]:
    """The log-loss route of rule 2 for an imbalanced label; None for a balanced one."""
    counts = [int((task_info.get("class_counts") or {}).get(name, 0)) for name in task_info["classes"]]
    ratio = imbalance_ratio(counts)
    if ratio < IMBALANCE_RATIO:
        return None
    test = significance.against_class_shares(candidate, counts)
    interval = test["interval"]
    # Not worse by the same exact test the other way round (a finite split can leave a
    # calibrated model a row or two behind the most frequent class by chance).
    not_worse = significance.mcnemar_p_value(majority_test["losses"], majority_test["wins"]) >= ONE_SIDED_ALPHA
    passed = interval is not None and interval[1] < 0 and not_worse
    text = (
        f"the label is imbalanced (largest train class {ratio:.1f} times the smallest), so a lower log loss than "
        f"always predicting the train class shares counts too, unless its accuracy is significantly below the "
        f"most frequent class's: log loss {_fmt(test['log_loss'])} against {_fmt(test['trivial_log_loss'])} (difference "
        f"{signed(test['difference'])}, 95 % interval {interval_text(interval)})"
        + ("" if not_worse else ", but it is wrong significantly more often than the most frequent class")
    )
    return {"passed": passed, "text": text, "ratio": ratio, **test,
            "interval": list(interval) if interval else None}


def _value_check(name, bounds, value, interval, on_values_only) -> Dict[str, object]:
    low, high = (value, value) if (interval is None or on_values_only) else interval
    passed = not (
        ("lower_bound" in bounds and not (low is not None and low >= bounds["lower_bound"]))
        or ("upper_bound" in bounds and not (high is not None and high <= bounds["upper_bound"]))
    )
    wanted = bounds_text(name, bounds)
    if interval is None or on_values_only:
        how = "judged on its value" + ("" if on_values_only else " (no interval is computed for it)")
        text = f"{name} = {_fmt(value)}, {how}; threshold {wanted}"
    else:
        text = f"{name} = {_fmt(value)}, 95 % interval {interval_text(interval)}; threshold {wanted} (the whole interval must clear it)"
    return {"check": "value", "metric": name, "passed": passed, "text": text, "value": value,
            "interval": list(interval) if interval else None, "bounds": bounds}


def _allowed_change(change: Dict[str, float], baseline_value: Optional[float]) -> Optional[float]:
    """The allowed change as an absolute amount (negative for a drop)."""
    for key, amount in change.items():
        amount = float(amount)
        if key == "max_drop":
            return -amount
        if key == "max_increase":
            return amount
        if baseline_value is None:
            return None
        if key == "max_relative_drop":
            return -amount * abs(baseline_value)
        if key == "max_relative_increase":
            return amount * abs(baseline_value)
    return None


def _change_check(name, change, difference, interval, baseline_value, on_values_only) -> Dict[str, object]:
    allowed = _allowed_change(change, baseline_value)
    lower_is_better = any(key.endswith("increase") for key in change)
    if allowed is None or difference is None:
        return {"check": "change", "metric": name, "passed": True, "text": f"{name}: no baseline value to compare"}
    beyond = (lambda x: x > allowed) if lower_is_better else (lambda x: x < allowed)
    if interval is None or on_values_only:
        passed = not beyond(difference)
        text = f"{name} changed by {signed(difference)} against the champion, judged on the value; it {change_text(change)}"
    else:
        # Held only when even the most favourable end of the interval is beyond the allowance.
        passed = not beyond(interval[0] if lower_is_better else interval[1])
        within = " (within noise)" if passed and beyond(difference) else ""
        text = (
            f"{name} changed by {signed(difference)} against the champion on the same examples, paired 95 % interval "
            f"{interval_text(interval)}{within}; it {change_text(change)}"
        )
    return {"check": "change", "metric": name, "passed": passed, "text": text, "difference": difference,
            "interval": list(interval) if interval else None, "allowed": allowed}


def _collapse_check(task_info, baseline: Predictions, baseline_intervals, record: Dict[str, object], version) -> Optional[Dict[str, object]]:
    metric = COLLAPSE_METRIC[task_info["task"]]
    recorded = (record.get("metrics") or {}).get(metric)
    recorded_interval = (record.get("intervals") or {}).get(metric)
    if recorded is None or not recorded_interval:
        return None
    now = baseline.value(metric)
    now_interval = baseline_intervals.get(metric)
    collapsed = (
        now_interval is not None
        and recorded - now >= COLLAPSE_MIN_DROP[metric]
        and now_interval[1] < recorded_interval[0]
    )
    text = (
        f"the champion (version {version}) scores {metric} {_fmt(now)} {interval_text(now_interval)} on this eval "
        f"split, against {_fmt(recorded)} {interval_text(recorded_interval)} when it was blessed"
    )
    return {"check": "champion_collapse", "passed": not collapsed, "text": text, "metric": metric,
            "now": now, "now_interval": list(now_interval) if now_interval else None,
            "recorded": recorded, "recorded_interval": list(recorded_interval)}


def judge(
    task_info: Dict[str, object],
    candidate: Predictions,
    point_metrics: Dict[str, float],
    thresholds: Dict[str, Dict[str, float]],
    user_thresholds: bool,
    change_thresholds: Dict[str, Dict[str, float]],
    baseline: Optional[Predictions] = None,
    baseline_point_metrics: Optional[Dict[str, float]] = None,
    champion_record: Optional[Dict[str, object]] = None,
    baseline_version=None,
    allow_small_eval_split: bool = False,
    accept_champion_collapse: bool = False,
) -> Dict[str, object]:
    """Decide the blessing; return ``{"blessed", "reasons", "checks", "intervals",
    "baseline_intervals", "small_eval_split", "judged_on_values"}``.

    ``point_metrics`` are TFMA's overall values (used for metrics without an
    interval here); ``user_thresholds`` says whether ``thresholds`` came from the
    user (then the better-than-trivial test is not added).
    """
    majority = majority_class_id(task_info)
    small = too_small(candidate, majority)
    on_values_only = bool(small) and allow_small_eval_split
    intervals = significance.intervals(candidate) if candidate.count else {}
    baseline_intervals = significance.intervals(baseline) if baseline is not None and baseline.count else {}
    values = {**point_metrics, **{m: candidate.value(m) for m in candidate.per_example()}} if candidate.count else dict(point_metrics)
    checks: List[Dict[str, object]] = []
    notes: List[str] = []
    if small:
        checks.append({
            "check": "eval_split_size", "passed": on_values_only,
            "text": f"{small}." + (
                " Judged on the values alone, without intervals, because allow_small_eval_split is true."
                if on_values_only else
                " Nothing is blessed on so little evidence: give more data or a larger eval share "
                "(train_ratio), or set allow_small_eval_split=true to judge on the values alone."
            ),
        })
    if candidate.count and (not small or on_values_only):
        if not user_thresholds:
            checks.append(_trivial_check(task_info, candidate, on_values_only))
        for name, bounds in thresholds.items():
            checks.append(_value_check(name, bounds, values.get(name), intervals.get(name), on_values_only))
        if baseline is not None:
            differences = significance.paired_differences(candidate, baseline, list(change_thresholds))
            old_values = {**(baseline_point_metrics or {}), **{m: baseline.value(m) for m in baseline.per_example()}}
            for name, change in change_thresholds.items():
                if name in differences and not on_values_only:
                    difference, interval = differences[name]
                else:
                    new, old = values.get(name), old_values.get(name)
                    difference, interval = (new - old if new is not None and old is not None else None), None
                checks.append(_change_check(name, change, difference, interval, old_values.get(name), on_values_only))
    if baseline is not None and baseline.count:
        if champion_record:
            collapse = _collapse_check(task_info, baseline, baseline_intervals, champion_record, baseline_version)
            if collapse is not None:
                if not collapse["passed"] and accept_champion_collapse:
                    collapse["passed"] = True
                    collapse["text"] += "; accepted because accept_champion_collapse is true"
                elif not collapse["passed"]:
                    collapse["text"] += (
                        ": the labels of the new data disagree with what it learned (label corruption, a join "
                        "gone wrong, or real concept drift). Check the data; set accept_champion_collapse=true "
                        "to accept it deliberately"
                    )
                checks.append(collapse)
        else:
            notes.append("the champion carries no record of its blessing metrics (pushed by an older version): its collapse is not checked")
    blessed = bool(checks) and all(check["passed"] for check in checks)
    failed = [check["text"] for check in checks if not check["passed"]]
    passed = [check["text"] for check in checks if check["passed"]]
    reasons = (failed if not blessed else passed) + notes
    if baseline is None and blessed:
        reasons.append("no champion in the serving folder: judged without change thresholds")
    return {
        "blessed": blessed,
        "reasons": reasons,
        "checks": checks,
        "intervals": {k: list(v) for k, v in intervals.items()},
        "baseline_intervals": {k: list(v) for k, v in baseline_intervals.items()},
        "small_eval_split": small,
        "judged_on_values": on_values_only,
    }
