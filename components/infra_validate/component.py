"""KFP wrapper of the infra_validate runtime."""
from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def infra_validate(
    model: Input[Model],
    examples: Input[Dataset],
    transform_graph: Input[Artifact],
    infra_blessing: Output[Artifact],
    num_examples: int = 64,
    batch_size: int = 16,
):
    """Load the SavedModel as a server would and send it canary batches of real examples.

    The model is loaded with tf.saved_model.load in this task's own process (not the
    one that trained it); up to num_examples eval examples, without the label, go
    in batches through the tf.Example signature (serving_examples) and, as JSON rows
    (one named input per feature, missing values as NaN or ""), through
    serving_default. Checked: the outputs' shapes, finite values, for classification
    probabilities in [0, 1] summing to 1 per example, and that both signatures give
    the same answers.
    A failure does not fail the task: infra_blessing says INFRA_NOT_BLESSED with the
    reason, and push then pushes nothing.

    Args:
      model: The SavedModel from train.
      examples: The raw examples from ingest (the eval split is sent).
      transform_graph: The output of transform (label, task, classes).
      infra_blessing: Output. INFRA_BLESSED or INFRA_NOT_BLESSED and
        infra_validation.json; metadata blessed, reasons, examples, batches,
        latency_ms (warmup, p50, p95, max per batch), load_seconds.
      num_examples: How many eval examples to send.
      batch_size: Examples per request.

    Raises:
      ConfigurationError: num_examples or batch_size not positive, or no eval examples.
    """
    from components.infra_validate.runtime import infra_validate as run_infra_validate

    report = run_infra_validate(
        model_uri=model.path,
        examples_uri=examples.path,
        transform_graph_uri=transform_graph.path,
        output_uri=infra_blessing.path,
        num_examples=num_examples,
        batch_size=batch_size,
    )
    infra_blessing.metadata.update(report)
