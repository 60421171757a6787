"""A DatasetFeatureStatisticsList (TFDV's ``FeatureStats.pb``) read into plain summaries.

``summarize`` gives one ``FeatureSummary`` per feature of the list's first dataset:
counts and missing share; for a number its mean, standard deviation, minimum,
median, maximum, deciles and equal-width histogram; for a string its distinct
count and most frequent values. The views draw these; nothing here computes
statistics, it only reads what TFDV computed.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

NUMERIC = "numeric"
CATEGORICAL = "categorical"
OTHER = "other"
# How many of a string feature's most frequent values are kept.
TOP_VALUES = 10


@dataclass
class FeatureSummary:
    """One feature in one statistics list. ``present`` + ``missing`` is the row count."""

    name: str
    kind: str
    present: int
    missing: int
    mean: Optional[float] = None
    std_dev: Optional[float] = None
    minimum: Optional[float] = None
    median: Optional[float] = None
    maximum: Optional[float] = None
    zeros: Optional[int] = None
    # Equal-width buckets: (low, high, count).
    histogram: List[Tuple[float, float, float]] = field(default_factory=list)
    # Decile edges, minimum to maximum (11 values when TFDV computed them).
    quantiles: List[float] = field(default_factory=list)
    unique: Optional[int] = None
    # The most frequent values: (value, count), most frequent first.
    top_values: List[Tuple[str, float]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.present + self.missing

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    def share_of(self, value: str) -> float:
        """The share of present rows holding ``value`` (0 when it is not among the top values)."""
        counts = dict(self.top_values)
        return counts.get(value, 0.0) / self.present if self.present else 0.0


def _histograms(num_stats) -> Tuple[List[Tuple[float, float, float]], List[float]]:
    """(equal-width buckets, decile edges) of a NumericStatistics message."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    buckets, quantiles = [], []
    for histogram in num_stats.histograms:
        if histogram.type == statistics_pb2.Histogram.STANDARD and not buckets:
            buckets = [(b.low_value, b.high_value, b.sample_count) for b in histogram.buckets]
        elif histogram.type == statistics_pb2.Histogram.QUANTILES and not quantiles and histogram.buckets:
            quantiles = [histogram.buckets[0].low_value] + [b.high_value for b in histogram.buckets]
    return buckets, quantiles


def _summary(feature) -> FeatureSummary:
    name = ".".join(feature.path.step) or feature.name
    if feature.HasField("num_stats"):
        stats = feature.num_stats
        buckets, quantiles = _histograms(stats)
        return FeatureSummary(
            name=name, kind=NUMERIC, present=int(stats.common_stats.num_non_missing),
            missing=int(stats.common_stats.num_missing), mean=stats.mean, std_dev=stats.std_dev, minimum=stats.min,
            median=stats.median, maximum=stats.max, zeros=int(stats.num_zeros), histogram=buckets, quantiles=quantiles,
        )
    if feature.HasField("string_stats"):
        stats = feature.string_stats
        return FeatureSummary(
            name=name, kind=CATEGORICAL, present=int(stats.common_stats.num_non_missing),
            missing=int(stats.common_stats.num_missing), unique=int(stats.unique),
            top_values=[(v.value, v.frequency) for v in stats.top_values[:TOP_VALUES]],
        )
    common = None
    for kind in ("bytes_stats", "struct_stats"):
        if feature.HasField(kind):
            common = getattr(feature, kind).common_stats
    return FeatureSummary(name=name, kind=OTHER, present=int(common.num_non_missing) if common else 0,
                          missing=int(common.num_missing) if common else 0)


def summarize(statistics) -> Dict[str, FeatureSummary]:
    """``{feature name: FeatureSummary}`` of the first dataset of a DatasetFeatureStatisticsList,
    in the list's feature order."""
    if not statistics.datasets:
        return {}
    return {summary.name: summary for summary in map(_summary, statistics.datasets[0].features)}


def row_count(statistics) -> int:
    """The number of examples the statistics were computed on."""
    return int(statistics.datasets[0].num_examples) if statistics.datasets else 0
