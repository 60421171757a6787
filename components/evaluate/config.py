"""The TFMA EvalConfig for a task: metric sets, slices, value and change thresholds.

Metric sets (names are what thresholds, ``summary.json`` and the report use):

- every classifier: ``example_count``, ``accuracy``, ``loss`` and the multi-class
  confusion matrix;
- binary labels, for the positive class: ``auc``, ``auc_precision_recall``,
  ``precision``, ``recall``, ``f1_score``, ``calibration`` (mean prediction / mean
  label) and the confusion matrices at thresholds (the ROC curve);
- three or more classes: ``macro_precision``, ``macro_recall``, ``macro_f1_score``
  (unweighted means over the classes) and ``precision[<class>]``,
  ``recall[<class>]``, ``f1_score[<class>]`` per class, derived from the overall
  confusion matrix (the arg-max class is the prediction) and reported, not gated on;
- regression: ``example_count``, ``mean_squared_error``, ``mean_absolute_error``,
  ``squared_pearson_correlation`` (R²-like), ``mean_label``, ``mean_prediction``
  (and ``root_mean_squared_error``, derived from the MSE after the run).

Value thresholds (``{metric: {"lower_bound": x, "upper_bound": y}}``) and change
thresholds against a baseline model (``{metric: {"max_drop": x}}`` for a metric
where higher is better, ``{"max_increase": x}`` where lower is better, or the
``max_relative_*`` forms as a fraction of the baseline's value) are judged on the
overall slice, by their intervals (``components.evaluate.judge``); slices are
reported, not gated on. The values are computed by ``components.evaluate.metric_values`` to
TFMA's definitions (the EvalConfig is kept with them, as TFMA would); they do not decide.
"""
import json
from typing import Dict, List, Optional, Sequence

from components.common import signatures

MIN_BINARY_AUC = 0.6
MIN_REGRESSION_R2 = 0.1
# Default change thresholds: how much worse than the baseline a candidate may be
# (held only when the paired interval lies wholly beyond it: components.evaluate.judge).
DEFAULT_MAX_ACCURACY_DROP = 0.01
DEFAULT_MAX_AUC_DROP = 0.01
DEFAULT_MAX_RELATIVE_MSE_INCREASE = 0.05

# Categorical features with more distinct values than this get no slice of their own.
MAX_SLICE_VALUES = 50

CANDIDATE = "candidate"
BASELINE = "baseline"

HIGHER_IS_BETTER = {
    "accuracy", "auc", "auc_precision_recall", "precision", "recall", "f1_score", "squared_pearson_correlation",
}
LOWER_IS_BETTER = {"loss", "mean_squared_error", "mean_absolute_error"}
CHANGE_KEYS = {
    "max_drop": ("absolute", True), "max_relative_drop": ("relative", True),
    "max_increase": ("absolute", False), "max_relative_increase": ("relative", False),
}


def default_thresholds(task_info: Dict[str, object]) -> Dict[str, Dict[str, float]]:
    """Value thresholds when the user sets none (each judged by its interval).

    Beside them, the default asks that the model beat a trivial predictor
    significantly (``components.evaluate.judge``): the most frequent class, or the
    train mean. Binary labels: AUC >= 0.6; regression: squared Pearson correlation
    of predictions and labels >= 0.1; more classes: nothing else.
    """
    if task_info["task"] != "classification":
        return {"squared_pearson_correlation": {"lower_bound": MIN_REGRESSION_R2}}
    if len(task_info["classes"]) == 2:
        return {"auc": {"lower_bound": MIN_BINARY_AUC}}
    return {}


def default_change_thresholds(task_info: Dict[str, object]) -> Dict[str, Dict[str, float]]:
    """How much worse than the champion a candidate may be when the user sets nothing.

    Classification: accuracy may drop by at most 0.01 (AUC likewise, for binary
    labels); regression: the mean squared error may grow by at most 5 %. Each is
    judged on the paired interval of the difference, so noise is not a regression.
    """
    if task_info["task"] != "classification":
        return {"mean_squared_error": {"max_relative_increase": DEFAULT_MAX_RELATIVE_MSE_INCREASE}}
    change = {"accuracy": {"max_drop": DEFAULT_MAX_ACCURACY_DROP}}
    if len(task_info["classes"]) == 2:
        change["auc"] = {"max_drop": DEFAULT_MAX_AUC_DROP}
    return change


def _is_binary(task_info) -> bool:
    return task_info["task"] == "classification" and len(task_info["classes"]) == 2


def _is_multiclass(task_info) -> bool:
    return task_info["task"] == "classification" and len(task_info["classes"]) > 2


def metric_configs(task_info: Dict[str, object]) -> List[Dict[str, object]]:
    """The metrics computed on the model's whole output, as {class_name, name}."""
    if task_info["task"] == "classification":
        metrics = [
            ("ExampleCount", "example_count"),
            ("SparseCategoricalAccuracy", "accuracy"),
            ("SparseCategoricalCrossentropy", "loss"),
            ("MultiClassConfusionMatrixPlot", "multi_class_confusion_matrix_plot"),
        ]
    else:
        metrics = [
            ("ExampleCount", "example_count"),
            ("MeanSquaredError", "mean_squared_error"),
            ("MeanAbsoluteError", "mean_absolute_error"),
            ("SquaredPearsonCorrelation", "squared_pearson_correlation"),
            ("MeanLabel", "mean_label"),
            ("MeanPrediction", "mean_prediction"),
        ]
    return [{"class_name": c, "name": n} for c, n in metrics]


def binary_metric_configs() -> List[Dict[str, object]]:
    """Metrics of the positive class, for binary labels."""
    return [
        {"class_name": "AUC", "name": "auc"},
        {"class_name": "AUCPrecisionRecall", "name": "auc_precision_recall"},
        {"class_name": "Precision", "name": "precision"},
        {"class_name": "Recall", "name": "recall"},
        {"class_name": "F1Score", "name": "f1_score"},
        {"class_name": "Calibration", "name": "calibration"},
        {"class_name": "ConfusionMatrixPlot", "name": "confusion_matrix_plot"},
    ]


def threshold_metric_names(task_info: Dict[str, object]) -> List[str]:
    """Metrics a value or change threshold may name for this task."""
    names = [m["name"] for m in metric_configs(task_info) if not m["name"].endswith("_plot")]
    if _is_binary(task_info):
        names += [m["name"] for m in binary_metric_configs() if not m["name"].endswith("_plot")]
    return names


def check_thresholds(
    task_info: Dict[str, object],
    thresholds: Dict[str, Dict[str, float]],
    change_thresholds: Dict[str, Dict[str, float]],
) -> None:
    """Raise ConfigurationError for an unknown metric, bound or change direction."""
    from components.common.errors import ConfigurationError

    names = threshold_metric_names(task_info)
    for kind, given in (("thresholds", thresholds), ("change_thresholds", change_thresholds)):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ConfigurationError(
                f"{kind} name metric(s) {unknown} that are not computed for a {task_info['task']} model "
                f"with {len(task_info.get('classes') or []) or 'no'} classes; available: {sorted(names)}."
            )
    for name, bounds in thresholds.items():
        bad = sorted(set(bounds) - {"lower_bound", "upper_bound"})
        if bad or not bounds:
            raise ConfigurationError(f"thresholds[{name!r}] takes lower_bound and/or upper_bound, got {sorted(bounds)}.")
    for name, change in change_thresholds.items():
        bad = sorted(set(change) - set(CHANGE_KEYS))
        if bad or len(change) == 0:
            raise ConfigurationError(
                f"change_thresholds[{name!r}] takes {sorted(CHANGE_KEYS)}, got {sorted(change)}."
            )
        for key in change:
            higher = CHANGE_KEYS[key][1]
            if (higher and name not in HIGHER_IS_BETTER) or (not higher and name not in LOWER_IS_BETTER):
                better = "higher" if name in HIGHER_IS_BETTER else "lower" if name in LOWER_IS_BETTER else "neither"
                raise ConfigurationError(
                    f"change_thresholds[{name!r}] uses {key!r}, but for {name} {better} is better: "
                    + ("use max_drop / max_relative_drop." if better == "higher" else
                       "use max_increase / max_relative_increase." if better == "lower" else
                       "it cannot be gated on a change.")
                )
            if float(change[key]) < 0:
                raise ConfigurationError(f"change_thresholds[{name!r}][{key!r}] must be >= 0, got {change[key]}.")


def _metric_config(metric):
    # The config protos from their own module: TFMA 0.52 (tfx-1.21 track) no longer
    # re-exports them as config_pb2.MetricsSpec etc.; 0.47 has the module too.
    from tensorflow_model_analysis.proto import config_pb2

    return config_pb2.MetricConfig(class_name=metric["class_name"], config=json.dumps({"name": metric["name"]}))


def _model_specs(task_info, with_baseline: bool, baseline_signature: str):
    from tensorflow_model_analysis.proto import config_pb2

    classification = task_info["task"] == "classification"

    def spec(signature_name=signatures.EXAMPLES, **extra):
        # TFMA feeds serialized examples: each model's signature on tf.Examples.
        return config_pb2.ModelSpec(
            signature_name=signature_name,
            label_key=task_info["label_key"],
            prediction_key="probabilities" if classification else "predictions",
            # Each model reads the label through its own transform graph (class ids).
            preprocessing_function_names=[signatures.TRANSFORM_FEATURES],
            **extra,
        )

    if not with_baseline:
        return [spec()]
    return [spec(name=CANDIDATE), spec(baseline_signature, name=BASELINE, is_baseline=True)]


def parse_slices(slices: Optional[Sequence[str]]) -> Optional[List[List[str]]]:
    """["island", "island,sex"] -> [["island"], ["island", "sex"]]; None/empty -> None."""
    if not slices:
        return None
    parsed = []
    for entry in slices:
        names = [n.strip() for n in str(entry).split(",") if n.strip()]
        if names:
            parsed.append(names)
    return parsed


def build_eval_config(
    task_info: Dict[str, object],
    slices: Sequence[object],
    with_baseline: bool = False,
    baseline_signature: str = signatures.EXAMPLES,
):
    """An EvalConfig: overall slice plus ``slices`` (each a feature name or a list to cross).

    Each model is read through its signature on serialized tf.Examples:
    ``serving_examples`` for the candidate, ``baseline_signature`` for the baseline
    (``serving_default`` for a champion exported before ``serving_examples``; see
    ``compare.check_baseline``).

    With a baseline, the candidate and baseline models are both evaluated, so the
    report shows them side by side. No thresholds: the blessing is decided from the
    intervals (``components.evaluate.judge``), not by TFMA's point comparisons.
    """
    from tensorflow_model_analysis.proto import config_pb2

    metrics_specs = [config_pb2.MetricsSpec(metrics=[_metric_config(m) for m in metric_configs(task_info)])]
    if _is_binary(task_info):
        spec = config_pb2.MetricsSpec(metrics=[_metric_config(m) for m in binary_metric_configs()])
        positive = task_info.get("positive_class", task_info["classes"][1])
        spec.binarize.class_ids.values.append(task_info["classes"].index(positive))
        metrics_specs.append(spec)
    # A slice is a feature name, or a list of names to cross.
    slicing = [config_pb2.SlicingSpec()] + [
        config_pb2.SlicingSpec(feature_keys=[names] if isinstance(names, str) else list(names)) for names in slices
    ]
    return config_pb2.EvalConfig(
        model_specs=_model_specs(task_info, with_baseline, baseline_signature), slicing_specs=slicing, metrics_specs=metrics_specs
    )
