"""TFDV anomalies and distribution comparisons, read and described alike by every component
that checks data (``validate`` on batches, ``monitor`` on serving traffic).

- ``describe_anomalies``: an Anomalies proto as rows (feature, severity, kinds,
  description, what to do).
- ``add_drift_comparators``: the L-infinity / Jensen-Shannon comparators TFDV
  measures drift (against earlier data) or skew (serving against training) with.
- ``describe_drift``: the measurements as rows, breached first, with what moved.
"""
from typing import Dict, List

from components.common.views.formatting import number, percent

DRIFT = "drift"
SKEW = "skew"

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


def add_drift_comparators(schema, threshold: float, kind: str = DRIFT) -> List[str]:
    """Give every feature without one a drift (``kind="drift"``: against earlier data)
    or skew (``kind="skew"``: serving against training) comparator: L-infinity
    distance for categorical features, Jensen-Shannon divergence for numeric ones.
    Comparators already in a curated schema keep their own thresholds. Returns the
    features set."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    if kind not in (DRIFT, SKEW):
        raise ValueError(f"kind must be {DRIFT!r} or {SKEW!r}, got {kind!r}")
    added = []
    for feature in schema.feature:
        comparator = feature.drift_comparator if kind == DRIFT else feature.skew_comparator
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
    """What a feature looks like in a statistics list: ``mean 43.92 (sd 5.460)`` for a
    number, ``'Adelie' 44.19 %`` (its most frequent value's share) for a string; ``""``
    when the feature has no statistics there."""
    for candidate in statistics.datasets[0].features:
        if ".".join(candidate.path.step) != feature:
            continue
        if candidate.HasField("num_stats"):
            return f"mean {number(candidate.num_stats.mean)} (sd {number(candidate.num_stats.std_dev)})"
        if candidate.HasField("string_stats") and candidate.string_stats.top_values:
            top = candidate.string_stats.top_values[0]
            present = candidate.string_stats.common_stats.num_non_missing or 1
            return f"{top.value!r} {percent(top.frequency / present)}"
    return ""


def describe_drift(anomalies, current=None, baseline=None, kind: str = DRIFT) -> List[Dict[str, object]]:
    """Per-feature drift measurements (distance, threshold, whether it is breached),
    drifted features first, and what moved: ``current`` and ``baseline`` summarise
    the feature in each statistics list given (``feature_summary``). ``kind="skew"``
    reads the skew measurements (serving against training) instead."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    rows = []
    for info in anomalies.drift_skew_info:
        feature = ".".join(info.path.step)
        for measurement in (info.drift_measurements if kind == DRIFT else info.skew_measurements):
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
