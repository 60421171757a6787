"""KFP wrapper of the transform runtime."""
from typing import Dict, List

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Markdown, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def transform(
    examples: Input[Dataset],
    schema: Input[Artifact],
    statistics: Input[Artifact],
    anomalies: Input[Artifact],
    transform_graph: Output[Artifact],
    transformed_examples: Output[Dataset],
    column_roles_report: Output[Markdown],
    label: str,
    task: str = "auto",
    module_file: str = "",
    beam_pipeline_args: List[str] = [],
    column_roles: Dict[str, str] = {},
):
    """Preprocess with TensorFlow Transform: analyze train, transform train and eval.

    Args:
      examples: The output of ingest.
      schema: The output of schema.
      statistics: The output of statistics (label type and range).
      anomalies: The output of validate; taking it makes transform wait for the gate.
      transform_graph: Output. A TFTransformOutput folder plus task.json (label, task,
        classes, column roles) and column_roles.json / column_roles.md (each column's
        role, treatment and why); metadata the same facts.
      transformed_examples: Output. Split-train/ and Split-eval/ TFRecords of the
        transformed features.
      column_roles_report: Output. Markdown: each column's role, treatment and why,
        and the excluded columns (the UIs render it).
      label: The label column.
      task: auto (a string label, or an integer label spanning at most 10 values, is
        classification; otherwise regression), classification or regression.
      module_file: Optional user module (local or gs://); its preprocessing_fn(inputs),
        when defined, replaces the default, which z-scores numeric features (missing
        values imputed with the mean) and maps strings through vocabularies with an
        out-of-vocabulary bucket. The same file may define build_model for train.
      beam_pipeline_args: Extra Apache Beam flags.
      column_roles: {column: role} overriding the inferred roles of the default
        preprocessing (numeric, categorical, date, identifier, text, boolean; README,
        "Column roles").

    Raises:
      ConfigurationError: The task is unknown; the module file is missing, fails to
        import, defines neither contract function or one with other parameters, or its
        preprocessing_fn fails on the raw features (checked before Beam starts, naming
        the module's line); or the label is not output as <label>_xf.
      DataError: A classification label has a single class.
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
        column_roles_override=dict(column_roles),
        roles_report_path=column_roles_report.path,
    )
    transform_graph.metadata.update(result)
