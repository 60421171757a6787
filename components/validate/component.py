"""KFP wrapper of the validate runtime."""
from kfp import dsl
from kfp.dsl import Artifact, Input, Markdown, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def validate(
    statistics: Input[Artifact],
    schema: Input[Artifact],
    anomalies: Output[Artifact],
    anomalies_report: Output[Markdown],
    fail_on_anomalies: bool = True,
):
    """Validate the statistics of every split against the schema with TFDV: the data gate.

    Args:
      statistics: The output of statistics.
      schema: The output of schema.
      anomalies: Output. Split-<split>/SchemaDiff.pb (tensorflow_metadata Anomalies);
        metadata anomaly_count and anomalies (split, feature, kinds, description, advice).
      anomalies_report: Output. A Markdown table of the anomalies and what to do about each.
      fail_on_anomalies: Stop the run on any anomaly (default); false only warns.

    Raises:
      ValidationFailedError: Anomalies were found and fail_on_anomalies is true. The
        message lists each split, feature and anomaly; the report is written first.
    """
    from components.validate.runtime import validate_statistics

    result = validate_statistics(
        statistics_uri=statistics.path,
        schema_uri=schema.path,
        output_uri=anomalies.path,
        report_path=anomalies_report.path,
        fail_on_anomalies=fail_on_anomalies,
    )
    anomalies.metadata.update(result)
