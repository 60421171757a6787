"""The page shell every view shares, and small HTML building blocks.

A page is a complete, self-contained document: one inline ``<style>``, no script,
no link, no image URL (charts are inline SVG). It is laid out for the width of the
Kubeflow and Vertex AI artifact panes and prints legibly.
"""
import html
import os
from typing import Iterable, Sequence

# The colours of the two things compared on every page (train/eval, baseline/current,
# champion/candidate), and of a verdict.
FIRST_COLOUR = "#4e79a7"
SECOND_COLOUR = "#f28e2b"
GOOD_COLOUR = "#2e7d32"
BAD_COLOUR = "#c62828"

_STYLE = f"""
:root {{ color-scheme: light; }}
body {{ font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; font-size: 14px;
  color: #1f2328; background: #ffffff; margin: 0; padding: 16px 20px 32px; line-height: 1.4; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
h2 {{ font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }}
h3 {{ font-size: 14px; margin: 0 0 6px; }}
p.subtitle {{ color: #57606a; margin: 0 0 12px; }}
table {{ border-collapse: collapse; margin: 4px 0 12px; }}
th, td {{ border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f6f8fa; font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tr.flagged td {{ background: #ffebe9; }}
.badge {{ display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; color: #fff; }}
.badge.good {{ background: {GOOD_COLOUR}; }}
.badge.bad {{ background: {BAD_COLOUR}; }}
.badge.neutral {{ background: #6e7781; }}
.note {{ background: #f6f8fa; border-left: 4px solid #8c959f; padding: 8px 12px; margin: 8px 0 12px; }}
.note.bad {{ border-left-color: {BAD_COLOUR}; background: #fff5f5; }}
.note.good {{ border-left-color: {GOOD_COLOUR}; background: #f3faf3; }}
code {{ background: #eff1f3; padding: 1px 4px; border-radius: 3px; font-size: 13px; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.card {{ border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 12px; flex: 1 1 420px; max-width: 640px; }}
.card.flagged {{ border-color: {BAD_COLOUR}; box-shadow: 0 0 0 1px {BAD_COLOUR}; }}
.pair {{ display: flex; flex-wrap: wrap; gap: 10px; }}
.pair > div {{ flex: 1 1 200px; }}
.legend span {{ display: inline-block; margin-right: 12px; }}
.swatch {{ display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }}
svg text {{ font-family: inherit; }}
"""


def escape(text: object) -> str:
    """Text as HTML (quotes included)."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str, subtitle: str = "") -> str:
    """A whole HTML document: ``title`` as the heading, ``body`` (HTML) below it."""
    heading = f"<h1>{escape(title)}</h1>" + (f"<p class='subtitle'>{escape(subtitle)}</p>" if subtitle else "")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{heading}\n{body}\n</body></html>\n"
    )


def write_page(path: str, document: str) -> None:
    """Write a document made by ``page`` to ``path`` (its folder is created)."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(document)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] = (),
          flagged: Iterable[bool] = ()) -> str:
    """An HTML table. Cells are HTML already (escape text first); ``numeric[i]`` right-aligns
    column i; a row whose ``flagged`` entry is true is highlighted."""
    flags = list(flagged)
    head = "".join(f"<th>{cell}</th>" for cell in header)
    lines = []
    for index, row in enumerate(rows):
        cells = "".join(
            f"<td class='num'>{cell}</td>" if _is_numeric(numeric, column) else f"<td>{cell}</td>"
            for column, cell in enumerate(row)
        )
        mark = " class='flagged'" if index < len(flags) and flags[index] else ""
        lines.append(f"<tr{mark}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _is_numeric(numeric: Sequence[bool], column: int) -> bool:
    return column < len(numeric) and bool(numeric[column])


def section(title: str, body: str) -> str:
    return f"<h2>{escape(title)}</h2>\n{body}"


def note(text_html: str, kind: str = "") -> str:
    """A highlighted paragraph; ``kind`` is ``good``, ``bad`` or empty."""
    return f"<div class='note {kind}'>{text_html}</div>"


def badge(text: str, kind: str) -> str:
    """A coloured label; ``kind`` is ``good``, ``bad`` or ``neutral``."""
    return f"<span class='badge {kind}'>{escape(text)}</span>"


def legend(names_and_colours: Sequence[tuple]) -> str:
    """A colour key: ``[(name, colour)]``."""
    items = "".join(
        f"<span><i class='swatch' style='background:{colour}'></i>{escape(name)}</span>"
        for name, colour in names_and_colours
    )
    return f"<div class='legend'>{items}</div>"
