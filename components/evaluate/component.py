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

    Inputs:
      model: the SavedModel from train; examples: raw examples (eval split used).
      schema, statistics, transform_graph: upstream artifacts (slices and label mapping).
      thresholds: {metric: {"lower_bound": x, "upper_bound": y}}; empty means the
        task's default (classification: accuracy >= 0.6; regression:
        squared_pearson_correlation >= 0.1). The model is blessed only if every
        threshold holds on the overall slice and on every slice.
      beam_pipeline_args: extra Apache Beam flags.
    Outputs:
      evaluation: the TFMA output folder (tfma.load_eval_result reads it) and evaluation.json.
      blessing: BLESSED or NOT_BLESSED file, blessing.json with the reasons; metadata blessed.
      metrics: overall metrics (accuracy, loss / mean squared error, ...).
      classification_metrics: confusion matrix (and ROC for binary labels).
      evaluation_report: Markdown table of metrics per slice and the blessing decision.
    Fails when:
      a threshold names a metric that is not computed, or has a bad bound.
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
