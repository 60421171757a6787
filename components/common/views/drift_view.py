"""The drift (or skew) view: the data beside its baseline, per feature.

At the top, the verdict and the baseline's source; then one row per measurement
(``components.common.anomalies.describe_drift``: distance, threshold, and what moved
in words), drifted features first and highlighted; then a card per feature with the
baseline beside each split of the data (counts, missing share, mean, deciles or the
most frequent values' shares), its histograms overlaid or its value shares as bars,
and for strings the change of each frequent value's share. Without a baseline the
page says how to give one.
"""
from typing import Dict, List, Sequence

from components.common.views import page
from components.common.views.feature_stats import CATEGORICAL, FeatureSummary, summarize
from components.common.views.formatting import number, percent, signed
from components.common.views.statistics_view import colour_of, feature_chart, summary_rows

MEASURES = {"L_INFTY": "L-infinity distance", "JENSEN_SHANNON_DIVERGENCE": "Jensen-Shannon divergence",
            "NORMALIZED_ABSOLUTE_DIFFERENCE": "normalized absolute difference"}
BASELINE = "baseline"
# How the baseline is given: the CLI flag, and each pipeline's parameter.
HOW_TO_GIVE_A_BASELINE = (
    "<p>Give one and run again:</p><ul>"
    "<li>on the command line: <code>kfp-tf run data-validation --baseline PATH</code> (also "
    "<code>training</code> and <code>batch-prediction</code>, which uses the last training run's statistics "
    "when it finds them);</li>"
    "<li>as a pipeline parameter: <code>baseline_path</code> of the data-validation pipeline, "
    "<code>baseline_statistics_path</code> of the training and batch-prediction pipelines (and of the "
    "validate component).</li></ul>"
    "<p><code>PATH</code> (local or <code>gs://</code>) is earlier data (CSV, Parquet or TFRecord), or its "
    "statistics: a <code>FeatureStats.pb</code> file or a statistics artifact folder of an earlier run.</p>"
)


def measure_name(measure: str) -> str:
    return MEASURES.get(measure, measure.replace("_", " ").lower())


def no_baseline_page(kind: str = "drift") -> str:
    """The page shown when no baseline was given: what it would show, and how to give one."""
    body = page.note(
        f"<strong>No baseline was given, so there is no {page.escape(kind)} comparison.</strong> With a baseline, "
        "this page compares every feature of the data with it: the distance and its threshold, drifted features "
        "first, and what moved (means, deciles, the shares of frequent values)."
    ) + HOW_TO_GIVE_A_BASELINE
    return page.page(f"{kind.capitalize()}: no baseline", body)


def _measurement_rows(drift_by_split: Dict[str, List[Dict[str, object]]]):
    rows = [dict(split=split, **row) for split, found in drift_by_split.items() for row in found]
    return sorted(rows, key=lambda r: (not r["drifted"], -float(r["distance"]), r["feature"], r["split"]))


def measurements_table(rows: List[Dict[str, object]], kind: str) -> str:
    header = ["feature", "split", "measure", "distance", "threshold", kind, "baseline", "this data"]
    cells = [
        [f"<strong>{page.escape(r['feature'])}</strong>", page.escape(r["split"]), measure_name(str(r["measure"])),
         number(r["distance"]), number(r["threshold"]),
         page.badge("yes", "bad") if r["drifted"] else "no",
         page.escape(r.get("baseline") or "n/a"), page.escape(r.get("current") or "n/a")]
        for r in rows
    ]
    return page.table(header, cells, numeric=[False, False, False, True, True], flagged=[r["drifted"] for r in rows])


def value_share_table(names: Sequence[str], summaries: Sequence[FeatureSummary]) -> str:
    """For a string feature: each frequent value's share in the baseline and the data, and the change."""
    values = list(dict.fromkeys(v for s in summaries if s is not None for v, _ in s.top_values))
    baseline = summaries[0]
    header = ["value", *(page.escape(n) for n in names), *(f"change ({page.escape(n)})" for n in names[1:])]
    rows = []
    for value in values:
        shares = [s.share_of(value) if s is not None else None for s in summaries]
        changes = [signed(100 * (share - shares[0])) + " pts" if share is not None and shares[0] is not None else "n/a"
                   for share in shares[1:]]
        rows.append([page.escape(value), *(percent(s) for s in shares), *changes])
    if baseline is None:
        return ""
    return page.table(header, rows, numeric=[False] + [True] * (2 * len(names) - 1))


def feature_card(feature: str, names: Sequence[str], summaries: Sequence[FeatureSummary],
                 measurements: List[Dict[str, object]]) -> str:
    drifted = any(m["drifted"] for m in measurements)
    verdict = " ".join(
        f"{page.escape(m['split'])}: {measure_name(str(m['measure']))} {number(m['distance'])} "
        f"{'&gt;' if m['drifted'] else '≤'} {number(m['threshold'])}" for m in measurements
    )
    kind = next(s.kind for s in summaries if s is not None)
    table = page.table(["", *(page.escape(n) for n in names)], summary_rows(summaries),
                       numeric=[False] + [True] * len(names))
    extra = value_share_table(names, summaries) if kind == CATEGORICAL else ""
    mark = " flagged" if drifted else ""
    label = page.badge("drifted", "bad") if drifted else page.badge("within threshold", "good")
    return (
        f"<div class='card{mark}'><h3>{page.escape(feature)} <small>({kind})</small> {label}</h3>"
        f"<p>{verdict}</p><div class='pair'><div>{table}{extra}</div>"
        f"<div>{feature_chart(names, summaries)}</div></div></div>"
    )


def drift_page(drift_by_split: Dict[str, List[Dict[str, object]]], current_by_split: Dict[str, object], baseline,
               baseline_source: str, kind: str = "drift") -> str:
    """The page for ``{split: describe_drift rows}``, the data's statistics per split, the
    baseline's statistics, and where the baseline came from (a file, so its split)."""
    rows = _measurement_rows(drift_by_split)
    drifted = list(dict.fromkeys(r["feature"] for r in rows if r["drifted"]))
    names = [BASELINE, *current_by_split]
    summaries = {BASELINE: summarize(baseline), **{s: summarize(stats) for s, stats in current_by_split.items()}}
    order = list(dict.fromkeys([r["feature"] for r in rows] + [f for n in names for f in summaries[n]]))
    if drifted:
        verdict = page.note(
            f"<strong>{len(drifted)} feature(s) {page.escape(kind)}ed beyond the threshold:</strong> "
            + ", ".join(f"<code>{page.escape(f)}</code>" for f in drifted), "bad")
    else:
        verdict = page.note(f"<strong>No feature {page.escape(kind)}ed beyond its threshold</strong> "
                            f"({len(rows)} measurements).", "good")
    body = [
        verdict,
        f"<p>Baseline: <code>{page.escape(baseline_source)}</code>. This data: "
        + ", ".join(f"split <code>{page.escape(s)}</code>" for s in current_by_split) + ".</p>",
        "<p>Distances: L-infinity (the largest change of any value's share) for strings, Jensen-Shannon "
        "divergence of the histograms for numbers; both from 0 (the same) to 1.</p>",
        page.section("Measurements", measurements_table(rows, kind)),
        page.section("Per feature", page.legend([(n, colour_of(i)) for i, n in enumerate(names)])),
        "<div class='cards'>",
        *(feature_card(f, names, [summaries[n].get(f) for n in names], [r for r in rows if r["feature"] == f])
          for f in order),
        "</div>",
    ]
    title = "Drift against the baseline" if kind == "drift" else "Skew: serving data against training"
    return page.page(title, "\n".join(body), subtitle=f"{len(drifted)} of {len(order)} features {kind}ed")
