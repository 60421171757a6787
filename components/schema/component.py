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

    Args:
      statistics: The output of statistics.
      schema: Output. schema.pbtxt (tensorflow_metadata Schema, text format); metadata
        source (inferred or curated) and features.
      label: The label column; an inferred schema marks it absent in the SERVING environment.
      curated_schema_path: A schema.pbtxt (local or gs://) to use instead of inferring one.

    Raises:
      ConfigurationError: The curated schema is missing or does not parse (the parse
        error is quoted).
      DataError: The label is not among the features.
    """
    from components.schema.runtime import make_schema

    result = make_schema(
        statistics_uri=statistics.path,
        output_uri=schema.path,
        label=label,
        curated_schema_path=curated_schema_path,
    )
    schema.metadata.update(result)
