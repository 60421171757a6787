"""Statistics: TFDV statistics of every split, computed on Beam, plus a self-contained HTML view."""
import logging
from typing import Dict, Optional, Sequence

from components.common import layout
from components.common.metadata import load_statistics
from components.common.beam_options import pipeline_options
from components.common.errors import DataError

logger = logging.getLogger(__name__)


def generate_statistics(
    examples_uri: str,
    output_uri: str,
    html_path: Optional[str] = None,
    splits: Optional[Sequence[str]] = None,
    beam_pipeline_args: Optional[Sequence[str]] = None,
) -> Dict[str, object]:
    """Compute TFDV statistics for each split of an examples artifact in one Beam pipeline.

    Args:
      examples_uri: examples artifact folder (``Split-<split>/*.gz``).
      output_uri: statistics artifact folder; gets ``Split-<split>/FeatureStats.pb``.
      html_path: where to write the statistics view (``write_statistics_html``: every
        split side by side, train beside eval, or the one split ``all`` alone).
      splits: which splits to read; by default every split the examples hold.
      beam_pipeline_args: extra Beam flags.

    Returns:
      ``{"split_row_counts": {split: rows}, "features": [names]}`` read back from the
      statistics themselves.
    """
    import apache_beam as beam
    import tensorflow_data_validation as tfdv
    from tfx_bsl.public import tfxio

    splits = list(splits or layout.split_names(examples_uri))
    if not splits:
        raise DataError(f"The examples artifact {examples_uri!r} holds no Split-<name> folder; run ingest first.")
    options = tfdv.StatsOptions()
    with beam.Pipeline(options=pipeline_options(beam_pipeline_args)) as pipeline:
        for split in splits:
            source = tfxio.TFExampleRecord(
                file_pattern=layout.examples_pattern(examples_uri, split),
                telemetry_descriptors=["kfp-tf-components", "statistics"],
            )
            _ = (
                pipeline
                | f"Read{split.title()}" >> source.BeamSource()
                | f"Stats{split.title()}" >> tfdv.GenerateStatistics(options)
                | f"Write{split.title()}" >> tfdv.WriteStatisticsToBinaryFile(
                    layout.statistics_path(output_uri, split)
                )
            )
    stats = {split: load_statistics(output_uri, split) for split in splits}
    if html_path:
        write_statistics_html(stats, html_path)
    counts = {split: int(s.datasets[0].num_examples) for split, s in stats.items()}
    features = sorted({f.path.step[0] for s in stats.values() for f in s.datasets[0].features})
    logger.info("Statistics of %s: %d features, rows %s", examples_uri, len(features), counts)
    return {"split_row_counts": counts, "features": features}


def statistics_of_examples(file_pattern: str, output_path: str, beam_pipeline_args: Optional[Sequence[str]] = None):
    """One DatasetFeatureStatisticsList over every example file matching a glob."""
    import apache_beam as beam
    import tensorflow_data_validation as tfdv
    from tfx_bsl.public import tfxio

    source = tfxio.TFExampleRecord(file_pattern=file_pattern, telemetry_descriptors=["kfp-tf-components", "baseline"])
    with beam.Pipeline(options=pipeline_options(beam_pipeline_args)) as pipeline:
        _ = (
            pipeline
            | "Read" >> source.BeamSource()
            | "Stats" >> tfdv.GenerateStatistics(tfdv.StatsOptions())
            | "Write" >> tfdv.WriteStatisticsToBinaryFile(output_path)
        )
    return tfdv.load_stats_binary(output_path)


def write_statistics_html(stats_by_name: Dict[str, object], html_path: str) -> None:
    """The statistics view (``components.common.views.statistics_view``) of
    ``{name: DatasetFeatureStatisticsList}``, side by side in that order: a standalone
    page with no external resource, so it renders offline and in the KFP UI's sandbox."""
    from components.common.views.page import write_page
    from components.common.views.statistics_view import statistics_page

    title = "Data statistics: " + " beside ".join(stats_by_name)
    write_page(html_path, statistics_page(stats_by_name, title=title))
