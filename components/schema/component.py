"""KFP wrapper of the schema runtime."""
from kfp import dsl
from kfp.dsl import Artifact, Input, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def schema(
    statistics: Input[Artifact],
    schema: Output[Artifact],
    label: str = "",
    curated_schema_path: str = "",
):
    """Infer a TFDV schema from the train statistics, or take a curated schema.pbtxt.

    Inputs:
      statistics: the output of statistics.
      label: the label column; an inferred schema marks it absent at serving time.
      curated_schema_path: a schema.pbtxt (local or gs://) to use instead of inferring one.
    Outputs:
      schema: schema.pbtxt (tensorflow_metadata Schema, text format); metadata source
        (inferred or curated) and features.
    Fails when:
      the curated schema is missing or does not parse (the parse error is quoted), or
      the label is not among the features.
    """
    from components.schema.runtime import make_schema

    result = make_schema(
        statistics_uri=statistics.path,
        output_uri=schema.path,
        label=label,
        curated_schema_path=curated_schema_path,
    )
    schema.metadata.update(result)
