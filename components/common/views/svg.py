"""Charts as inline SVG strings, drawn on the server (no script, no font or image URL).

- ``histogram``: numeric distributions as bars, several overlaid on one axis;
- ``bars``: shares of named values (top values), grouped per series;
- ``curves``: lines in the unit square (ROC, precision-recall, calibration).

A series is ``(name, colour, data)``; the names go into the chart's accessible
label, and the page draws the colour key (``page.legend``).
"""
from typing import List, Sequence, Tuple

from components.common.views.formatting import number, percent
from components.common.views.page import escape

Bucket = Tuple[float, float, float]  # (low, high, count)

_AXIS = "#8c959f"
_TEXT = "#57606a"


def _svg(width: int, height: int, label: str, content: List[str]) -> str:
    return (
        f"<svg width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
        f"role='img' aria-label='{escape(label)}'>" + "".join(content) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 11, colour: str = _TEXT, extra: str = "") -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' fill='{colour}' text-anchor='{anchor}'{extra}>"
        f"{escape(text)}</text>"
    )


def histogram(series: Sequence[Tuple[str, str, Sequence[Bucket]]], width: int = 300, height: int = 130,
              label: str = "histogram") -> str:
    """Bars of each series' buckets on one shared value axis, overlaid (semi-transparent).

    Bar heights are densities (the bucket's share of the series per unit of value), so
    series with different bucket edges or row counts compare by area. A bucket of zero
    width (a constant feature) is drawn as a narrow bar at its value.
    """
    buckets = [b for _, _, data in series for b in data]
    if not buckets:
        return _svg(width, 40, label, [_text(width / 2, 24, "no values")])
    left, right, top, bottom = 8, 8, 6, 22
    low = min(b[0] for b in buckets)
    high = max(b[1] for b in buckets)
    span = high - low or 1.0
    if high == low:
        low, high = low - 0.5, high + 0.5
    minimum_width = span / 60
    plot_width, plot_height = width - left - right, height - top - bottom

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low) * plot_width

    densities = []
    for _, _, data in series:
        total = sum(b[2] for b in data) or 1.0
        densities.append([(b[0], b[1], b[2] / total / max(b[1] - b[0], minimum_width)) for b in data])
    peak = max((d[2] for data in densities for d in data), default=0.0) or 1.0
    content = [f"<line x1='{left}' y1='{top + plot_height}' x2='{width - right}' y2='{top + plot_height}' stroke='{_AXIS}'/>"]
    for (name, colour, data), scaled in zip(series, densities):
        for (b_low, b_high, b_count), (_, _, density) in zip(data, scaled):
            if b_high - b_low < minimum_width:
                middle = (b_low + b_high) / 2
                b_low, b_high = middle - minimum_width / 2, middle + minimum_width / 2
            bar_height = density / peak * plot_height
            x = x_of(b_low)
            content.append(
                f"<rect x='{x:.1f}' y='{top + plot_height - bar_height:.1f}' width='{max(x_of(b_high) - x - 0.5, 1):.1f}' "
                f"height='{bar_height:.1f}' fill='{colour}' fill-opacity='0.55' stroke='{colour}' stroke-width='0.5'>"
                f"<title>{escape(name)}: {number(b_low)} to {number(b_high)}: {number(b_count)} rows</title></rect>"
            )
    content.append(_text(left, height - 6, number(low), anchor="start"))
    content.append(_text(width - right, height - 6, number(high), anchor="end"))
    content.append(_text(width / 2, height - 6, number((low + high) / 2)))
    return _svg(width, height, label, content)


def bars(labels: Sequence[str], series: Sequence[Tuple[str, str, Sequence[float]]], width: int = 300,
         label: str = "shares") -> str:
    """Horizontal bars of shares (0 to 1): one group per label, one bar per series,
    each with its percentage written beside it."""
    if not labels:
        return _svg(width, 40, label, [_text(width / 2, 24, "no values")])
    label_width, value_width, bar_height, gap = 110, 56, 11, 6
    group_height = bar_height * len(series) + gap
    height = group_height * len(labels) + 4
    plot_width = width - label_width - value_width
    peak = max((v for _, _, values in series for v in values), default=0.0) or 1.0
    content = []
    for row, name in enumerate(labels):
        y0 = 2 + row * group_height
        shown = name if len(name) <= 16 else name[:15] + "…"
        content.append(_text(label_width - 6, y0 + bar_height * len(series) / 2 + 4, shown, anchor="end",
                             extra=" font-weight='600'"))
        for index, (series_name, colour, values) in enumerate(series):
            share = values[row] if row < len(values) else 0.0
            y = y0 + index * bar_height
            length = max(share / peak * plot_width, 0.5)
            content.append(
                f"<rect x='{label_width}' y='{y:.1f}' width='{length:.1f}' height='{bar_height - 1}' fill='{colour}'>"
                f"<title>{escape(series_name)}: {escape(name)} {percent(share)}</title></rect>"
            )
            content.append(_text(label_width + length + 4, y + bar_height - 2, percent(share), anchor="start", size=10))
    return _svg(width, height, label, content)


def curves(series: Sequence[Tuple[str, str, Sequence[float], Sequence[float]]], x_label: str, y_label: str,
           diagonal: bool = False, markers: bool = False, size: int = 260, label: str = "curve") -> str:
    """Lines in the unit square with both axes from 0 to 1 (ticks at quarters).

    ``diagonal`` draws the y = x reference (chance for ROC, perfect calibration);
    ``markers`` marks each point (few points, such as calibration bins).
    """
    left, bottom, top, right = 40, 36, 8, 10
    plot = size - left - right
    plot_height = size - top - bottom

    def point(x: float, y: float) -> str:
        return f"{left + x * plot:.1f},{top + (1 - y) * plot_height:.1f}"

    content = [f"<rect x='{left}' y='{top}' width='{plot}' height='{plot_height}' fill='none' stroke='{_AXIS}'/>"]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = left + tick * plot, top + (1 - tick) * plot_height
        content.append(f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{top + plot_height}' stroke='#eaeef2'/>")
        content.append(f"<line x1='{left}' y1='{y:.1f}' x2='{left + plot}' y2='{y:.1f}' stroke='#eaeef2'/>")
        content.append(_text(x, top + plot_height + 14, f"{tick:g}", size=10))
        content.append(_text(left - 4, y + 3, f"{tick:g}", anchor="end", size=10))
    if diagonal:
        content.append(f"<polyline points='{point(0, 0)} {point(1, 1)}' fill='none' stroke='{_AXIS}' stroke-dasharray='4 3'/>")
    for name, colour, xs, ys in series:
        points = " ".join(point(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)) for x, y in zip(xs, ys))
        content.append(f"<polyline points='{points}' fill='none' stroke='{colour}' stroke-width='2'><title>{escape(name)}</title></polyline>")
        if markers:
            for x, y in zip(xs, ys):
                cx, cy = point(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)).split(",")
                content.append(
                    f"<circle cx='{cx}' cy='{cy}' r='3' fill='{colour}'><title>{escape(name)}: "
                    f"{number(x)}, {number(y)}</title></circle>"
                )
    content.append(_text(left + plot / 2, size - 6, x_label))
    content.append(_text(12, top + plot_height / 2, y_label, extra=f" transform='rotate(-90 12 {top + plot_height / 2:.1f})'"))
    return _svg(size, size, label, content)
