"""KFP wrapper of the evaluate runtime."""
from typing import Dict, List

from kfp import dsl
from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def evaluate(
    model: Input[Model],
    examples: Input[Dataset],
    schema: Input[Artifact],
    statistics: Input[Artifact],
    transform_graph: Input[Artifact],
    evaluation: Output[Artifact],
    blessing: Output[Artifact],
    metrics: Output[Metrics],
    classification_metrics: Output[ClassificationMetrics],
    evaluation_report: Output[Markdown],
    thresholds: Dict[str, Dict[str, float]] = {},
    beam_pipeline_args: List[str] = [],
):
    """Evaluate the model on the eval split with TFMA and decide whether it is blessed.

    Args:
      model: The SavedModel from train.
      examples: The raw examples from ingest (the eval split is used).
      schema: The output of schema.
      statistics: The output of statistics (which features to slice on).
      transform_graph: The output of transform (task and classes).
      evaluation: Output. The TFMA output folder (tfma.load_eval_result reads it) and
        evaluation.json.
      blessing: Output. A BLESSED or NOT_BLESSED file and blessing.json with the
        reasons; metadata blessed and reasons.
      metrics: Output. Overall metrics (accuracy and loss, or mean squared error, ...).
      classification_metrics: Output. The confusion matrix, and the ROC curve for
        binary labels.
      evaluation_report: Output. Markdown table of metrics per slice and the decision.
      thresholds: {metric: {"lower_bound": x, "upper_bound": y}}, judged on the overall
        slice (slices are reported, not gated on). Empty means the defaults:
        classification, accuracy one point above always predicting the most frequent
        class, and AUC >= 0.6 for binary labels; regression, squared Pearson
        correlation >= 0.1.
      beam_pipeline_args: Extra Apache Beam flags.

    Raises:
      ConfigurationError: A threshold names a metric that is not computed, or has a
        bound other than lower_bound/upper_bound.
    """
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
        report_path=evaluation_report.path,
        beam_pipeline_args=beam_pipeline_args,
    )
    for name, value in result["overall"].items():
        metrics.log_metric(name, value)
    if result.get("confusion_matrix"):
        classification_metrics.log_confusion_matrix(result["classes"], result["confusion_matrix"])
    if result.get("roc"):
        classification_metrics.log_roc_curve(*result["roc"])
    blessing.metadata["blessed"] = result["blessed"]
    blessing.metadata["reasons"] = result["reasons"]
    evaluation.metadata.update({k: result[k] for k in ("task", "blessed", "reasons", "thresholds", "overall")})
