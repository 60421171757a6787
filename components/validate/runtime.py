"""Validate: TFDV anomalies of every split against the schema, with a readable report."""
import json
import logging
import os
import tempfile
from typing import Dict, List, Optional, Sequence

from components.common import layout
from components.common.errors import ConfigurationError, DataError, ValidationFailedError

logger = logging.getLogger(__name__)

# Distance above which a feature counts as drifted when the schema sets no threshold
# (L-infinity for categorical features, Jensen-Shannon divergence for numeric ones).
DEFAULT_DRIFT_THRESHOLD = 0.1
VALIDATION_FILE = "validation.json"

# What to do about each TFDV anomaly type, in a few words. Keys are the names of
# tensorflow_metadata AnomalyInfo.Type values; anything else gets the generic advice.
_ADVICE = {
    "ENUM_TYPE_UNEXPECTED_STRING_VALUES": "add the new values to the feature's domain in the curated schema if they are valid, otherwise fix the data",
    "FEATURE_TYPE_HIGH_NUMBER_VALUES": "check how the column is written; relax value_count in the schema if lists are expected",
    "FEATURE_TYPE_LOW_NUMBER_VALUES": "the feature is missing in more rows than allowed: fix the data or lower presence in the schema",
    "FEATURE_TYPE_NOT_PRESENT": "the column is missing: restore it, or mark it optional in the schema",
    "SCHEMA_NEW_COLUMN": "a column the schema does not know: add it to the curated schema or drop it from the data",
    "SCHEMA_MISSING_COLUMN": "a column of the schema is absent: restore it, or remove it from the curated schema",
    "UNEXPECTED_DATA_TYPE": "the column's type changed (for example numbers written as text): fix the data or the schema type",
    "FLOAT_TYPE_HAS_NAN": "NaN values in a numeric column: clean them or allow NaN in the schema's float_domain",
    "FLOAT_TYPE_HAS_INF": "infinite values in a numeric column: clean them or relax the schema",
    "INT_TYPE_SMALL_INT": "values below the schema's min: check the data or widen int_domain",
    "INT_TYPE_BIG_INT": "values above the schema's max: check the data or widen int_domain",
    "FLOAT_TYPE_SMALL_FLOAT": "values below the schema's min: check the data or widen float_domain",
    "FLOAT_TYPE_BIG_FLOAT": "values above the schema's max: check the data or widen float_domain",
    "COMPARATOR_L_INFINITY_HIGH": "the distribution moved beyond the threshold: investigate the data source, or retrain on the new data",
    "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH": "the distribution moved beyond the threshold: investigate the data source, or retrain on the new data",
}
_DEFAULT_ADVICE = "inspect the data; if the change is expected, update the curated schema"


def describe_anomalies(anomalies) -> List[Dict[str, str]]:
    """Flatten a TFDV Anomalies proto into rows: feature, severity, kinds, description, advice."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    rows = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        kinds = [anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason] or ["UNKNOWN"]
        advice = "; ".join(dict.fromkeys(_ADVICE.get(k, _DEFAULT_ADVICE) for k in kinds))
        rows.append(
            {
                "feature": feature,
                "severity": anomalies_pb2.AnomalyInfo.Severity.Name(info.severity),
                "kinds": ", ".join(kinds),
                "description": info.description or info.short_description,
                "advice": advice,
            }
        )
    if anomalies.HasField("dataset_anomaly_info"):
        info = anomalies.dataset_anomaly_info
        rows.append(
            {
                "feature": "(dataset)",
                "severity": anomalies_pb2.AnomalyInfo.Severity.Name(info.severity),
                "kinds": ", ".join(anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason),
                "description": info.description or info.short_description,
                "advice": _DEFAULT_ADVICE,
            }
        )
    return rows


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


def add_drift_comparators(schema, threshold: float) -> List[str]:
    """Give every feature without one a drift comparator: L-infinity distance for
    categorical features, Jensen-Shannon divergence for numeric ones. Comparators
    already in a curated schema keep their own thresholds. Returns the features set."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    added = []
    for feature in schema.feature:
        comparator = feature.drift_comparator
        if comparator.HasField("infinity_norm") or comparator.HasField("jensen_shannon_divergence"):
            continue
        categorical = feature.type == schema_pb2.BYTES or feature.int_domain.is_categorical
        if categorical:
            comparator.infinity_norm.threshold = threshold
        else:
            comparator.jensen_shannon_divergence.threshold = threshold
        added.append(feature.name)
    return added


def feature_summary(statistics, feature: str) -> str:
    """What a feature looks like in a statistics list: ``mean 43.9 (sd 5.5)`` for a
    number, ``'Adelie' 44 %`` (its most frequent value's share) for a string; ``""``
    when the feature has no statistics there."""
    for candidate in statistics.datasets[0].features:
        if ".".join(candidate.path.step) != feature:
            continue
        if candidate.HasField("num_stats"):
            return f"mean {candidate.num_stats.mean:.4g} (sd {candidate.num_stats.std_dev:.3g})"
        if candidate.HasField("string_stats") and candidate.string_stats.top_values:
            top = candidate.string_stats.top_values[0]
            present = candidate.string_stats.common_stats.num_non_missing or 1
            return f"{top.value!r} {100 * top.frequency / present:.0f} %"
    return ""


def describe_drift(anomalies, current=None, baseline=None) -> List[Dict[str, object]]:
    """Per-feature drift measurements (distance, threshold, whether it is breached),
    drifted features first, and what moved: ``current`` and ``baseline`` summarise
    the feature in each statistics list given (``feature_summary``)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    rows = []
    for info in anomalies.drift_skew_info:
        feature = ".".join(info.path.step)
        for measurement in info.drift_measurements:
            rows.append(
                {
                    "feature": feature,
                    "measure": anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(measurement.type),
                    "distance": round(measurement.value, 6),
                    "threshold": round(measurement.threshold, 6),
                    "drifted": measurement.value > measurement.threshold,
                    "current": feature_summary(current, feature) if current is not None else "",
                    "baseline": feature_summary(baseline, feature) if baseline is not None else "",
                }
            )
    return sorted(rows, key=lambda row: (not row["drifted"], -row["distance"], row["feature"]))


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
                    f"| {split} | {row['feature']} | {row['measure']} | {row['distance']:.4f} | "
                    f"{row['threshold']:.4f} | {'**yes**' if row['drifted'] else 'no'} | "
                    f"{row.get('baseline', '')} | {row.get('current', '')} |"
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
        if comparison_html_path:
            from components.statistics.runtime import write_statistics_html

            current = load_statistics(statistics_uri, splits[0])
            write_statistics_html({f"current ({splits[0]})": current, "baseline": baseline}, comparison_html_path)
    rows_by_split, drift_by_split = {}, {}
    for split in splits:
        current = load_statistics(statistics_uri, split)
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
    path = os.path.join(output_uri, VALIDATION_FILE)
    if not os.path.exists(path):
        raise ConfigurationError(f"{path} is missing: the anomalies artifact was not written by validate.")
    with open(path) as handle:
        return json.load(handle)


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
