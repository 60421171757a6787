"""KFP wrapper of the evaluate runtime."""
from typing import Dict, List

from kfp import dsl
from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def evaluate(
    model: Input[Model],
    baseline_model: Input[Model],
    examples: Input[Dataset],
    schema: Input[Artifact],
    statistics: Input[Artifact],
    transform_graph: Input[Artifact],
    evaluation: Output[Artifact],
    blessing: Output[Artifact],
    metrics: Output[Metrics],
    classification_metrics: Output[ClassificationMetrics],
    evaluation_report: Output[Markdown],
    evaluation_view: Output[HTML],
    thresholds: Dict[str, Dict[str, float]] = {},
    change_thresholds: Dict[str, Dict[str, float]] = {},
    slices: List[str] = [],
    allow_small_eval_split: bool = False,
    accept_champion_collapse: bool = False,
):
    """Evaluate the candidate on the eval split, against a baseline when there is one.

    Both models predict every eval example once, in this process. The reported
    metrics and slices are TFMA's metric set with TFMA's definitions, computed from
    those predictions with numpy (components/evaluate/metric_values.py) and written
    in TFMA's output format; the blessing is decided from
    each metric's 95 % interval and from paired comparisons on the same examples
    (components/evaluate/judge.py). The candidate is blessed when the eval split is
    large enough to decide, it beats a trivial predictor significantly (default
    thresholds), every value threshold's bound is cleared by the metric's interval,
    no change threshold against the baseline is broken beyond noise, and the
    baseline has not collapsed on this eval split (its recorded metrics travel with
    the pushed version). With no baseline, the change and collapse checks are skipped.

    Args:
      model: The candidate SavedModel from train.
      baseline_model: The output of baseline: the model to beat, or a NO_BASELINE
        folder.
      examples: The raw examples from ingest (the eval split is used).
      schema: The output of schema.
      statistics: The output of statistics (which features to slice on by default).
      transform_graph: The output of transform (task and classes).
      evaluation: Output. The TFMA output folder (tfma.load_eval_result reads it,
        model_name "candidate"/"baseline" when there was a baseline) and
        evaluation.json; metadata task, blessed, reasons, overall, intervals,
        baseline_overall, baseline_intervals.
      blessing: Output. A BLESSED or NOT_BLESSED file and blessing.json (reasons,
        every check, both models' overall metrics and intervals, the thresholds,
        the record push stores with the model); metadata blessed, reasons,
        baseline_version.
      metrics: Output. The candidate's overall metrics (accuracy and loss, or mean
        squared error, ...).
      classification_metrics: Output. The confusion matrix, and the ROC curve for
        binary labels.
      evaluation_report: Output. Markdown: the verdict and why, candidate beside
        baseline, thresholds, per-class metrics, confusion matrix, metrics per slice.
      evaluation_view: Output. A self-contained HTML page (no external resource) of
        the same record: the verdict and checks, metrics with intervals beside the
        champion's, the confusion matrix, ROC, precision-recall and calibration
        curves as inline SVG, metrics per slice (the overall slice first).
      thresholds: {metric: {"lower_bound": x, "upper_bound": y}}, each met when the
        metric's 95 % interval clears it. Empty means the defaults: better than
        always predicting the most frequent train class (exact McNemar test; on an
        imbalanced label a lower log loss than the train class shares also counts)
        or the train mean (paired bootstrap), and AUC >= 0.6 for binary labels, squared
        Pearson correlation >= 0.1 for regression.
      change_thresholds: How much worse than the baseline the candidate may be:
        {metric: {"max_drop": x}} where higher is better (accuracy, auc, ...),
        {metric: {"max_increase": x}} where lower is better (loss, mean_squared_error,
        ...), or max_relative_drop / max_relative_increase (a fraction of the
        baseline's value); broken only when the paired interval of the difference
        lies wholly beyond it. Empty means the defaults: accuracy may drop by at most
        0.01 (and AUC likewise for binary labels); regression, the mean squared
        error may grow by at most 5 %.
      slices: Features to slice on, "a,b" for a cross of two. Empty means one slice
        per categorical feature with at most 50 values.
      allow_small_eval_split: Judge an eval split too small to decide anything (under
        20 examples, or too few outside the most frequent class) on its values
        alone, recorded in the blessing; default false: such a split blesses nothing.
      accept_champion_collapse: Bless even when the baseline, on this eval split,
        scores far below what it scored when it was blessed (recorded in the
        blessing); default false: such a collapse holds the push.

    Raises:
      ConfigurationError: A threshold names a metric that is not computed or has a
        bad bound, a change threshold goes against its metric's direction, a slice
        names a feature the schema lacks, or the baseline predicts another label
        or task.
    """
    from components.common.baseline_model import resolve_baseline
    from components.evaluate.runtime import evaluate as run_evaluate

    result = run_evaluate(
        model_uri=model.path,
        examples_uri=examples.path,
        schema_uri=schema.path,
        statistics_uri=statistics.path,
        transform_graph_uri=transform_graph.path,
        output_uri=evaluation.path,
        blessing_uri=blessing.path,
        thresholds=thresholds,
        slices=slices,
        report_path=evaluation_report.path,
        view_path=evaluation_view.path,
        baseline_model_uri=resolve_baseline(baseline_model.path, baseline_model.metadata),
        change_thresholds=change_thresholds,
        baseline_info={
            # Metadata numbers come back as floats: version 17.0 -> 17.
            k: int(v) if isinstance(v, float) and v.is_integer() else v
            for k, v in baseline_model.metadata.items()
            if k in ("version", "uri", "resource_name") and v
        },
        allow_small_eval_split=allow_small_eval_split,
        accept_champion_collapse=accept_champion_collapse,
    )
    for name, value in result["overall"].items():
        metrics.log_metric(name, value)
    if result.get("confusion_matrix"):
        classification_metrics.log_confusion_matrix(result["classes"], result["confusion_matrix"])
    if result.get("roc"):
        classification_metrics.log_roc_curve(*result["roc"])
    blessing.metadata.update(
        {"blessed": result["blessed"], "reasons": result["reasons"], "baseline_version": result["baseline"].get("version")}
    )
    evaluation.metadata.update(
        {k: result[k] for k in (
            "task", "blessed", "reasons", "thresholds", "change_thresholds", "overall", "intervals", "baseline",
            "baseline_overall", "baseline_intervals",
        )}
    )


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def check_settings(
    schema: Input[Artifact],
    statistics: Input[Artifact],
    label: str,
    serving_model_dir: str,
    task: str = "auto",
    thresholds: Dict[str, Dict[str, float]] = {},
    change_thresholds: Dict[str, Dict[str, float]] = {},
    slices: List[str] = [],
):
    """Check the evaluation and push settings before any work (before transform).

    Args:
      schema: The output of schema (the features slices may name).
      statistics: The output of statistics (the label's type and range give the task,
        and so the metric names thresholds may use).
      label: The column to predict.
      serving_model_dir: Where blessed models will be pushed: it must be writable
        (locally), or listable (gs://).
      task: auto, classification or regression.
      thresholds: As evaluate's.
      change_thresholds: As evaluate's.
      slices: As evaluate's.

    Raises:
      ConfigurationError: A threshold names a metric that is not computed for this
        task, a bound or direction is wrong, a slice names a feature the schema
        lacks, or the serving folder cannot be written.
    """
    from components.evaluate.settings import check_settings as run_check

    run_check(
        schema_uri=schema.path,
        statistics_uri=statistics.path,
        label=label,
        task=task,
        thresholds=thresholds,
        change_thresholds=change_thresholds,
        slices=slices,
        serving_model_dir=serving_model_dir,
    )
