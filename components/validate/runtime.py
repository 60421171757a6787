"""Validate: TFDV anomalies of every split against the schema, with a readable report."""
import json
import logging
import os
import tempfile
from typing import Dict, List, Optional, Sequence

from components.common import layout
from components.common.files import read_json_artifact
from components.common.anomalies import (  # noqa: F401 (describe_anomalies, feature_summary: validate's API)
    add_drift_comparators, describe_anomalies, describe_drift, feature_summary,
)
from components.common.errors import ConfigurationError, DataError, ValidationFailedError
from components.common.views.formatting import MISSING, number

logger = logging.getLogger(__name__)

# Distance above which a feature counts as drifted when the schema sets no threshold
# (L-infinity for categorical features, Jensen-Shannon divergence for numeric ones).
DEFAULT_DRIFT_THRESHOLD = 0.1
VALIDATION_FILE = "validation.json"


def _statistics_file(path: str) -> Optional[str]:
    """The statistics file a path names: a FeatureStats.pb (or any .pb) file, or a
    statistics artifact folder holding Split-train/FeatureStats.pb (a training run),
    Split-all/FeatureStats.pb (a batch) or FeatureStats.pb."""
    from components.common import storage

    if storage.is_folder(path):
        candidates = (
            layout.statistics_path(path, layout.TRAIN),
            layout.statistics_path(path, layout.ALL),
            os.path.join(path, layout.STATISTICS_FILE),
        )
        for candidate in candidates:
            if storage.exists(candidate):
                return candidate
        return None
    return path if path.endswith(".pb") and storage.exists(path) else None


def load_baseline_statistics(path: str, beam_pipeline_args: Optional[Sequence[str]] = None):
    """Baseline statistics from statistics (a .pb file or a statistics artifact
    folder) or from data (CSV, Parquet or TFRecord, as ingest reads it), whose
    statistics are then computed here."""
    from components.common.metadata import load_statistics_file

    stats_file = _statistics_file(path)
    if stats_file:
        try:
            return load_statistics_file(stats_file)
        except Exception as error:
            raise ConfigurationError(
                f"Baseline statistics {stats_file!r} are not a binary DatasetFeatureStatisticsList: {error}"
            ) from None
    from components.ingest.runtime import ingest
    from components.statistics.runtime import statistics_of_examples

    try:
        with tempfile.TemporaryDirectory(prefix="baseline-") as scratch:
            ingest(path, os.path.join(scratch, "examples"), split_mode=layout.ALL, beam_pipeline_args=beam_pipeline_args)
            return statistics_of_examples(
                os.path.join(scratch, "examples", "Split-*", layout.EXAMPLES_GLOB),
                os.path.join(scratch, layout.STATISTICS_FILE),
                beam_pipeline_args,
            )
    except DataError as error:
        raise ConfigurationError(
            f"The baseline {path!r} is neither statistics (a FeatureStats.pb file or a statistics "
            f"folder) nor readable data: {error}"
        ) from None


def markdown_report(
    rows_by_split: Dict[str, List[Dict[str, str]]],
    schema_source: str,
    drift_by_split: Optional[Dict[str, List[Dict[str, object]]]] = None,
    baseline: str = "",
) -> str:
    """A Markdown report of the anomalies and drift of every split (rendered by the KFP/Vertex UIs)."""
    lines = ["# Data validation report", "", f"Schema: {schema_source}", ""]
    if drift_by_split:
        lines += ["## Drift against the baseline", "", f"Baseline: {baseline}", "",
                  "| split | feature | measure | distance | threshold | drifted | baseline | this data |",
                  "|---|---|---|---|---|---|---|---|"]
        for split, rows in drift_by_split.items():
            for row in rows:
                lines.append(
                    f"| {split} | {row['feature']} | {row['measure']} | {number(row['distance'])} | "
                    f"{number(row['threshold'])} | {'**yes**' if row['drifted'] else 'no'} | "
                    f"{row.get('baseline') or MISSING} | {row.get('current') or MISSING} |"
                )
        lines += ["", "## Anomalies", ""]
    total = sum(len(rows) for rows in rows_by_split.values())
    if not total:
        lines.append("No anomalies in any split.")
        return "\n".join(lines) + "\n"
    lines += [
        f"**{total} anomal{'y' if total == 1 else 'ies'} found.**",
        "",
        "| split | feature | anomaly | description | what to do |",
        "|---|---|---|---|---|",
    ]
    for split, rows in rows_by_split.items():
        for row in rows:
            cells = [split, row["feature"], row["kinds"], row["description"], row["advice"]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def schema_environment(environment: str, schema, schema_file: str) -> Optional[str]:
    """The environment to validate in, as TFDV takes it: None for the whole schema.

    ``environment`` must be one the schema defines (its ``default_environment``). A
    schema that defines none is checked whole, which is what ``TRAINING`` (the
    default) means, so there only ``TRAINING`` or "" is accepted.

    Raises:
      ConfigurationError: the schema does not define ``environment``; the message
        names it and the environments the schema defines.
    """
    from components.common.metadata import TRAINING

    defined = list(schema.default_environment)
    if not environment or (not defined and environment == TRAINING):
        return None
    if environment in defined:
        return environment
    raise ConfigurationError(
        f"The schema {schema_file} does not define the environment {environment!r}; it defines "
        + (", ".join(repr(name) for name in defined) if defined else "none")
        + ". Pass one of those, or add the environment to the schema's default_environment "
        "(with not_in_environment on the features it lacks, such as the label for SERVING)."
    )


def write_comparison_view(path: str, drift_by_split, current_by_split, baseline, baseline_source: str) -> None:
    """The drift view (``components.common.views.drift_view``): each split beside the
    baseline, or, when ``baseline`` is None, the page that says how to give one."""
    from components.common.views.drift_view import drift_page, no_baseline_page
    from components.common.views.page import write_page

    if baseline is None:
        write_page(path, no_baseline_page())
    else:
        write_page(path, drift_page(drift_by_split, current_by_split, baseline, baseline_source))


def validate_statistics(
    statistics_uri: str,
    schema_uri: str,
    output_uri: str,
    report_path: Optional[str] = None,
    fail_on_anomalies: bool = True,
    splits: Optional[Sequence[str]] = None,
    environment: str = "TRAINING",
    baseline_statistics_path: str = "",
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD,
    comparison_html_path: Optional[str] = None,
    beam_pipeline_args: Optional[Sequence[str]] = None,
) -> Dict[str, object]:
    """Check each split's statistics against the schema and write ``Split-<s>/SchemaDiff.pb``.

    ``splits`` defaults to every split of the statistics artifact (train and eval
    of a training run, or the one split ``all`` of a batch).

    With ``baseline_statistics_path`` (statistics, or data whose statistics are
    computed here), each split is also compared with the baseline (drift): L-infinity distance for categorical features and Jensen-Shannon
    divergence for numeric ones, above ``drift_threshold`` (or the threshold a
    curated schema sets for the feature) is an anomaly.

    ``comparison_html_path`` gets the drift view (``write_comparison_view``), also
    without a baseline (then it says how to give one).

    Returns:
      ``{"anomaly_count": n, "anomalies": [{"split", "feature", "kinds", "description",
      "advice"}], "drift": [{"split", "feature", "measure", "distance", "threshold",
      "drifted"}]}``.

    Raises:
      ConfigurationError: ``environment`` is not one the schema defines
        (``schema_environment``).
      ValidationFailedError: anomalies were found and ``fail_on_anomalies`` is true;
        the message lists each split, feature and anomaly. The report and the
        anomalies are written first, so they can be inspected.
    """
    import tensorflow_data_validation as tfdv
    from components.common.metadata import load_schema, load_statistics

    splits = list(splits or layout.split_names(statistics_uri))
    if not splits:
        raise ConfigurationError(f"The statistics artifact {statistics_uri!r} holds no Split-<name> folder.")
    schema = load_schema(layout.schema_path(schema_uri))
    env = schema_environment(environment, schema, layout.schema_path(schema_uri))
    baseline, baseline_source = None, ""
    if baseline_statistics_path:
        if not 0.0 < drift_threshold <= 1.0:
            raise ConfigurationError(f"drift_threshold must be in (0, 1], got {drift_threshold}.")
        baseline = load_baseline_statistics(baseline_statistics_path, beam_pipeline_args)
        # The report names the file (so the split) the baseline came from.
        baseline_source = _statistics_file(baseline_statistics_path) or (
            f"{baseline_statistics_path} (data: its statistics computed here)"
        )
        add_drift_comparators(schema, drift_threshold)
    rows_by_split, drift_by_split, current_by_split = {}, {}, {}
    for split in splits:
        current = current_by_split[split] = load_statistics(statistics_uri, split)
        anomalies = tfdv.validate_statistics(current, schema, environment=env, previous_statistics=baseline)
        path = layout.anomalies_path(output_uri, split)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(anomalies.SerializeToString())
        rows_by_split[split] = describe_anomalies(anomalies)
        if baseline is not None:
            drift_by_split[split] = describe_drift(anomalies, current, baseline)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(
                markdown_report(rows_by_split, layout.schema_path(schema_uri), drift_by_split, baseline_source)
            )
    if comparison_html_path:
        write_comparison_view(comparison_html_path, drift_by_split, current_by_split, baseline, baseline_source)
    found = [dict(split=split, **row) for split, rows in rows_by_split.items() for row in rows]
    drift = [dict(split=split, **row) for split, rows in drift_by_split.items() for row in rows]
    result = {"anomaly_count": len(found), "anomalies": found, "drift": drift}
    # Also on disk, so the result can be read when the task fails below.
    with open(os.path.join(output_uri, VALIDATION_FILE), "w") as handle:
        json.dump(result, handle, indent=2)
    decide(result, fail_on_anomalies, splits)
    return result


def read_validation(output_uri: str) -> Dict[str, object]:
    """The result ``validate_statistics`` wrote into its output folder."""
    return read_json_artifact(output_uri, VALIDATION_FILE, "anomalies", "validate")


def decide(result: Dict[str, object], fail_on_anomalies: bool, splits: Sequence[str] = ()) -> None:
    """The data gate: raise ValidationFailedError when ``result`` has anomalies and
    ``fail_on_anomalies`` is true (else log a warning). ``result`` is what
    ``validate_statistics`` returns (or ``read_validation`` reads back)."""
    found = result["anomalies"]
    if not found:
        logger.info("No anomalies%s.", f" in splits {', '.join(splits)}" if splits else "")
        return
    message = "Data validation found %d anomal%s:\n%s" % (
        len(found),
        "y" if len(found) == 1 else "ies",
        "\n".join(
            f"  - split '{a['split']}', feature '{a['feature']}': {a['kinds']}: {a['description']} "
            f"-> {a['advice']}"
            for a in found
        ),
    )
    if fail_on_anomalies:
        raise ValidationFailedError(
            message + "\nThe run stops here, before any later step (training, evaluation or "
            "prediction) uses this data. Fix the data or curate the schema; set "
            "fail_on_anomalies=False to only warn. The anomalies report and the comparison "
            "view of the validate task show the evidence."
        )
    logger.warning("%s\nContinuing because fail_on_anomalies is False.", message)
