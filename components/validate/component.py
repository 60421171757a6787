"""KFP wrapper of the validate runtime."""
from kfp import dsl
from typing import List

from kfp.dsl import HTML, Artifact, Input, Markdown, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def validate(
    statistics: Input[Artifact],
    schema: Input[Artifact],
    anomalies: Output[Artifact],
    anomalies_report: Output[Markdown],
    comparison_view: Output[HTML],
    baseline_statistics_path: str = "",
    drift_threshold: float = 0.1,
    environment: str = "TRAINING",
    beam_pipeline_args: List[str] = [],
):
    """Validate the statistics of every split against the schema with TFDV: measure and report.

    This task always completes when the data could be checked, so its report and
    comparison view are outputs of a finished task (KFP's launcher uploads no outputs
    of a failed one); ``data_gate``, the next task, stops the run on anomalies.

    Args:
      statistics: The output of statistics.
      schema: The output of schema.
      anomalies: Output. Split-<split>/SchemaDiff.pb (tensorflow_metadata Anomalies);
        metadata anomaly_count, anomalies (split, feature, kinds, description, advice)
        and drift (split, feature, measure, distance, threshold, drifted).
      anomalies_report: Output. Markdown tables: drift per feature, and the anomalies
        with what to do about each.
      comparison_view: Output. A self-contained HTML page (no external resource): each
        split beside the baseline per feature, the distance and threshold, drifted
        features first, what moved; without a baseline, how to give one.
      baseline_statistics_path: What to compare with for drift (local or gs://): a
        FeatureStats.pb file or a statistics artifact folder, such as an earlier run's,
        or earlier data (CSV, Parquet or TFRecord) whose statistics are computed here.
        Empty: no drift check.
      drift_threshold: Drift above which a feature is an anomaly, for features whose
        schema sets no threshold: L-infinity distance (categorical) or Jensen-Shannon
        divergence (numeric), both in [0, 1].
      environment: The schema environment the data is checked in: TRAINING (labelled
        data) or SERVING (data without the label).
      beam_pipeline_args: Extra Apache Beam flags (for baseline data).

    Raises:
      ConfigurationError: The baseline statistics are missing or unreadable.
    """
    from components.validate.runtime import validate_statistics

    result = validate_statistics(
        statistics_uri=statistics.path,
        schema_uri=schema.path,
        output_uri=anomalies.path,
        report_path=anomalies_report.path,
        fail_on_anomalies=False,  # measured here, decided by data_gate
        baseline_statistics_path=baseline_statistics_path,
        drift_threshold=drift_threshold,
        environment=environment,
        comparison_html_path=comparison_view.path,
        beam_pipeline_args=beam_pipeline_args,
    )
    anomalies.metadata.update(result)


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def data_gate(anomalies: Input[Artifact], fail_on_anomalies: bool = True):
    """The data gate: stop the run when validate found anomalies (drift included).

    Args:
      anomalies: The anomalies output of validate.
      fail_on_anomalies: Stop the run on any anomaly (default); false only warns.

    Raises:
      ValidationFailedError: Anomalies were found and fail_on_anomalies is true. The
        message lists each split, feature and anomaly, with the distance and
        threshold for drift; validate's report and comparison view hold the evidence.
    """
    from components.validate.runtime import decide, read_validation

    decide(read_validation(anomalies.path), fail_on_anomalies)
