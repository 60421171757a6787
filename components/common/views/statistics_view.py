"""The statistics view: every feature of one or more statistics lists, side by side.

One card per feature: a table with one column per dataset (train beside eval, or a
batch alone): rows present, missing share, then mean, standard deviation, minimum,
median and maximum of a number, or the distinct count and most frequent value of a
string; beside it the datasets' histograms overlaid (numbers) or the shares of the
most frequent values (strings), as inline SVG.
"""
from typing import Dict, List, Sequence

from components.common.views import page, svg
from components.common.views.feature_stats import CATEGORICAL, NUMERIC, FeatureSummary, row_count, summarize
from components.common.views.formatting import count, number, percent

# The colours of the first, second and further datasets.
COLOURS = (page.FIRST_COLOUR, page.SECOND_COLOUR, "#59a14f", "#b07aa1", "#76b7b2")
# How many of a string feature's most frequent values are drawn.
CHART_VALUES = 6


def colour_of(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


_ATTRIBUTES = {"mean": "mean", "std dev": "std_dev", "min": "minimum", "median": "median", "max": "maximum"}


def _numeric_cell(summary: FeatureSummary, label: str, decile) -> str:
    if summary is None or summary.kind != NUMERIC:
        return "n/a"
    if decile is not None:
        return number(summary.quantiles[decile]) if len(summary.quantiles) > 2 else "n/a"
    return number(getattr(summary, _ATTRIBUTES[label]))


def summary_rows(summaries: Sequence[FeatureSummary]) -> List[List[str]]:
    """The table rows of one feature, one cell per dataset (``n/a`` where a dataset lacks it)."""
    kinds = {s.kind for s in summaries if s is not None}
    rows = [
        ["rows present"] + [count(s.present) if s else "n/a" for s in summaries],
        ["missing"] + [f"{percent(s.missing_share)} ({count(s.missing)})" if s else "n/a" for s in summaries],
    ]
    if NUMERIC in kinds:
        decile = {"10th percentile": 1, "90th percentile": -2}
        for label in ("mean", "std dev", "min", "10th percentile", "median", "90th percentile", "max"):
            rows.append([label] + [_numeric_cell(s, label, decile.get(label)) for s in summaries])
        rows.append(["zeros"] + [count(s.zeros) if s and s.zeros is not None else "n/a" for s in summaries])
    if CATEGORICAL in kinds:
        rows.append(["distinct values"] + [count(s.unique) if s and s.unique is not None else "n/a" for s in summaries])
        rows.append(["most frequent"] + [
            f"{page.escape(s.top_values[0][0])} ({percent(s.share_of(s.top_values[0][0]))})" if s and s.top_values else "n/a"
            for s in summaries
        ])
    return rows


def feature_chart(names: Sequence[str], summaries: Sequence[FeatureSummary]) -> str:
    """The histograms (numbers) or top-value shares (strings) of one feature in every dataset."""
    present = [(name, colour_of(i), s) for i, (name, s) in enumerate(zip(names, summaries)) if s is not None]
    if any(s.kind == NUMERIC for _, _, s in present):
        return svg.histogram([(name, colour, s.histogram) for name, colour, s in present if s.kind == NUMERIC],
                             label="histogram of " + summaries_name(summaries))
    values = list(dict.fromkeys(v for _, _, s in present for v, _ in s.top_values))[:CHART_VALUES]
    return svg.bars(values, [(name, colour, [s.share_of(v) for v in values]) for name, colour, s in present],
                    label="most frequent values of " + summaries_name(summaries))


def summaries_name(summaries: Sequence[FeatureSummary]) -> str:
    return next(s.name for s in summaries if s is not None)


def feature_card(feature: str, names: Sequence[str], summaries: Sequence[FeatureSummary]) -> str:
    kind = next(s.kind for s in summaries if s is not None)
    header = ["", *(page.escape(n) for n in names)]
    table = page.table(header, summary_rows(summaries), numeric=[False] + [True] * len(names))
    return (
        f"<div class='card'><h3>{page.escape(feature)} <small>({kind})</small></h3>"
        f"<div class='pair'><div>{table}</div><div>{feature_chart(names, summaries)}</div></div></div>"
    )


def statistics_page(statistics_by_name: Dict[str, object], title: str = "Data statistics") -> str:
    """The whole page for ``{dataset name: DatasetFeatureStatisticsList}`` (shown in that order)."""
    names = list(statistics_by_name)
    summaries = {name: summarize(stats) for name, stats in statistics_by_name.items()}
    features = list(dict.fromkeys(f for name in names for f in summaries[name]))
    numeric_first = sorted(features, key=lambda f: (
        next(summaries[n][f].kind for n in names if f in summaries[n]) != NUMERIC, f))
    sizes = ", ".join(f"{name}: {count(row_count(statistics_by_name[name]))} rows" for name in names)
    body = [
        page.legend([(name, colour_of(i)) for i, name in enumerate(names)]),
        f"<p>{page.escape(sizes)}; {len(features)} features (numbers first). Histograms are densities, so "
        "datasets of different sizes compare by area.</p>",
        "<div class='cards'>",
        *(feature_card(f, names, [summaries[n].get(f) for n in names]) for f in numeric_first),
        "</div>",
    ]
    return page.page(title, "\n".join(body))
