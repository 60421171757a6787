"""The TFMA EvalConfig for a task: metrics, slices and value thresholds."""
import json
from typing import Dict, List, Sequence

# Used when the class counts are unknown (a user preprocessing_fn).
FALLBACK_MIN_ACCURACY = 0.6
MIN_BINARY_AUC = 0.6
MIN_REGRESSION_R2 = 0.1


def default_thresholds(task_info: Dict[str, object]) -> Dict[str, Dict[str, float]]:
    """What a model must clear to be blessed when the user sets no threshold.

    Classification: accuracy above always predicting the most frequent train class
    (by one point, at most 0.99), and for binary labels also AUC >= 0.6.
    Regression: squared Pearson correlation of predictions and labels >= 0.1.
    """
    if task_info["task"] != "classification":
        return {"squared_pearson_correlation": {"lower_bound": MIN_REGRESSION_R2}}
    counts = task_info.get("class_counts") or {}
    total = sum(counts.values())
    if total:
        floor = round(min(max(counts.values()) / total + 0.01, 0.99), 4)
    else:
        floor = FALLBACK_MIN_ACCURACY
    thresholds = {"accuracy": {"lower_bound": floor}}
    if len(task_info["classes"]) == 2:
        thresholds["auc"] = {"lower_bound": MIN_BINARY_AUC}
    return thresholds
# Categorical features with more distinct values than this get no slice of their own.
MAX_SLICE_VALUES = 50


def metric_configs(task_info: Dict[str, object]) -> List[Dict[str, object]]:
    """(class_name, name, extra config) of the metrics computed for a task."""
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
        {"class_name": "ConfusionMatrixPlot", "name": "confusion_matrix_plot"},
    ]


def _threshold(bounds: Dict[str, float]):
    import tensorflow_model_analysis as tfma

    unknown = set(bounds) - {"lower_bound", "upper_bound"}
    if unknown:
        from components.common.errors import ConfigurationError

        raise ConfigurationError(
            f"A threshold takes lower_bound and/or upper_bound, got {sorted(unknown)}."
        )
    value = tfma.GenericValueThreshold()
    if "lower_bound" in bounds:
        value.lower_bound.value = float(bounds["lower_bound"])
    if "upper_bound" in bounds:
        value.upper_bound.value = float(bounds["upper_bound"])
    return tfma.MetricThreshold(value_threshold=value)


def build_eval_config(
    task_info: Dict[str, object],
    slice_features: Sequence[str],
    thresholds: Dict[str, Dict[str, float]],
):
    """An EvalConfig: overall slice plus one per feature, thresholds on the overall slice.

    Raises ConfigurationError when a threshold names a metric that is not computed.
    """
    import tensorflow_model_analysis as tfma
    from components.common.errors import ConfigurationError

    classification = task_info["task"] == "classification"
    model_spec = tfma.ModelSpec(
        signature_name="serving_default",
        label_key=task_info["label_key"],
        prediction_key="probabilities" if classification else "predictions",
        preprocessing_function_names=["transform_features"],
    )
    known = metric_configs(task_info)
    specs = [known]
    binary = classification and len(task_info["classes"]) == 2
    if binary:
        specs.append(binary_metric_configs())
    names = {m["name"] for group in specs for m in group}
    unknown = set(thresholds) - names
    if unknown:
        raise ConfigurationError(
            f"Thresholds name metric(s) {sorted(unknown)} that are not computed for a "
            f"{task_info['task']} model; available: {sorted(names)}."
        )
    metrics_specs = []
    for index, group in enumerate(specs):
        configs = []
        for metric in group:
            config = tfma.MetricConfig(class_name=metric["class_name"], config=json.dumps({"name": metric["name"]}))
            if metric["name"] in thresholds:
                # Judged on the overall slice: small slices are reported, not gated on.
                config.per_slice_thresholds.append(
                    tfma.PerSliceMetricThreshold(
                        slicing_specs=[tfma.SlicingSpec()], threshold=_threshold(thresholds[metric["name"]])
                    )
                )
            configs.append(config)
        spec = tfma.MetricsSpec(metrics=configs)
        if index == 1:
            positive = task_info.get("positive_class", task_info["classes"][1])
            spec.binarize.class_ids.values.append(task_info["classes"].index(positive))
        metrics_specs.append(spec)
    slicing = [tfma.SlicingSpec()] + [tfma.SlicingSpec(feature_keys=[f]) for f in slice_features]
    return tfma.EvalConfig(model_specs=[model_spec], slicing_specs=slicing, metrics_specs=metrics_specs)
