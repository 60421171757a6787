"""KFP wrapper of the statistics runtime."""
from typing import List

from kfp import dsl
from kfp.dsl import HTML, Artifact, Dataset, Input, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def statistics(
    examples: Input[Dataset],
    statistics: Output[Artifact],
    statistics_view: Output[HTML],
    beam_pipeline_args: List[str] = [],
):
    """Compute TFDV statistics of every split ingest wrote (train and eval, or all) on Apache Beam.

    Args:
      examples: The output of ingest.
      statistics: Output. Split-<split>/FeatureStats.pb (DatasetFeatureStatisticsList);
        metadata split_row_counts and features.
      statistics_view: Output. A self-contained HTML page (no external resource):
        per feature, counts, missing share, mean, deciles, a histogram or the most
        frequent values, train beside eval (or the one split); rendered offline by
        the KFP and Vertex AI UIs.
      beam_pipeline_args: Extra Apache Beam flags.

    Raises:
      Exception: The examples cannot be read (a corrupt upstream artifact).
    """
    from components.statistics.runtime import generate_statistics

    result = generate_statistics(
        examples_uri=examples.path,
        output_uri=statistics.path,
        html_path=statistics_view.path,
        beam_pipeline_args=beam_pipeline_args,
    )
    statistics.metadata.update(result)
