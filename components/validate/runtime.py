"""Validate: TFDV anomalies of every split against the schema, with a readable report."""
import logging
import os
from typing import Dict, List, Optional, Sequence

from components.common import layout
from components.common.errors import ValidationFailedError

logger = logging.getLogger(__name__)

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


def markdown_report(rows_by_split: Dict[str, List[Dict[str, str]]], schema_source: str) -> str:
    """A Markdown report of the anomalies of every split (rendered by the KFP/Vertex UIs)."""
    lines = ["# Data validation report", "", f"Schema: {schema_source}", ""]
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


def validate_statistics(
    statistics_uri: str,
    schema_uri: str,
    output_uri: str,
    report_path: Optional[str] = None,
    fail_on_anomalies: bool = True,
    splits: Sequence[str] = layout.SPLITS,
    environment: str = "TRAINING",
) -> Dict[str, object]:
    """Check each split's statistics against the schema and write ``Split-<s>/SchemaDiff.pb``.

    Returns:
      ``{"anomaly_count": n, "anomalies": [{"split", "feature", "kinds", "description", "advice"}]}``.

    Raises:
      ValidationFailedError: anomalies were found and ``fail_on_anomalies`` is true;
        the message lists each split, feature and anomaly. The report and the
        anomalies are written first, so they can be inspected.
    """
    import tensorflow_data_validation as tfdv
    from components.schema.runtime import load_schema
    from components.statistics.runtime import load_statistics

    schema = load_schema(layout.schema_path(schema_uri))
    env = environment if environment in schema.default_environment else None
    rows_by_split = {}
    for split in splits:
        anomalies = tfdv.validate_statistics(load_statistics(statistics_uri, split), schema, environment=env)
        path = layout.anomalies_path(output_uri, split)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(anomalies.SerializeToString())
        rows_by_split[split] = describe_anomalies(anomalies)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(markdown_report(rows_by_split, layout.schema_path(schema_uri)))
    found = [dict(split=split, **row) for split, rows in rows_by_split.items() for row in rows]
    result = {"anomaly_count": len(found), "anomalies": found}
    if found:
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
                message + "\nThe run stops here so that no model is trained on this data. "
                "Fix the data or curate the schema; set fail_on_anomalies=False to only warn."
            )
        logger.warning("%s\nContinuing because fail_on_anomalies is False.", message)
    else:
        logger.info("No anomalies in splits %s.", ", ".join(splits))
    return result
