"""KFP wrapper of the transform runtime."""
from typing import List

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def transform(
    examples: Input[Dataset],
    schema: Input[Artifact],
    statistics: Input[Artifact],
    anomalies: Input[Artifact],
    transform_graph: Output[Artifact],
    transformed_examples: Output[Dataset],
    label: str,
    task: str = "auto",
    module_file: str = "",
    beam_pipeline_args: List[str] = [],
):
    """Preprocess with TensorFlow Transform: analyze train, transform train and eval.

    Inputs:
      examples, schema, statistics: upstream artifacts.
      anomalies: the validation result; taking it makes transform run only after the gate.
      label: the label column.
      task: auto (string label or small non-negative integer range -> classification,
        otherwise regression), classification or regression.
      module_file: optional Python file (local or gs://) defining preprocessing_fn(inputs);
        default: z-scored numerics with mean imputation, vocabularies with an OOV bucket.
      beam_pipeline_args: extra Apache Beam flags.
    Outputs:
      transform_graph: a TFTransformOutput folder plus task.json (label, task, classes);
        metadata the same facts.
      transformed_examples: Split-train/ and Split-eval/ TFRecords of transformed features.
    Fails when:
      the task is unknown, the module file is missing or lacks preprocessing_fn, the
      label is not output as <label>_xf, or a classification label has one class only.
    """
    from components.transform.runtime import transform as run_transform

    result = run_transform(
        examples_uri=examples.path,
        schema_uri=schema.path,
        statistics_uri=statistics.path,
        transform_graph_uri=transform_graph.path,
        transformed_examples_uri=transformed_examples.path,
        label=label,
        task=task,
        module_file=module_file,
        beam_pipeline_args=beam_pipeline_args,
    )
    transform_graph.metadata.update(result)
