"""The row guard: every row ingest reads is written or counted as dropped, or the run stops.

A Beam runner can lose data silently where one stage hands its output to the next
(DESIGN.md, "Findings": Beam 2.72's multi-worker FnApiRunner drops whole chunks).
A counter placed after such a transfer sees only what arrived, so the guard counts
on both sides of every transfer in ingest:

- **parts**: the byte ranges (CSV) or files (other formats) are counted when they
  are listed (``PARTS_LISTED``), before the reshuffle that spreads them over
  workers, and again once each has been read to its end (``PARTS_READ``);
- **rows**: counted as they are read from a part (``ROWS_READ``), in the reading
  stage, and again immediately before the write (``written(split)``), in the
  writing stage, after every transfer between them; rows dropped on purpose (no
  label) are counted where they are dropped (``WITHOUT_LABEL``).

``check`` raises ``DataLossError`` when parts listed ≠ parts read, and through the
shared ``components.common.row_guard.check_rows`` when rows read ≠ rows written +
rows dropped.
"""
from typing import Dict

from components.common import row_guard as shared_guard
from components.common.errors import DataLossError

NAMESPACE = "ingest"
PARTS_LISTED = "parts_listed"
PARTS_READ = "parts_read"
ROWS_READ = "rows_read"
WITHOUT_LABEL = "rows_without_label"


def written(split: str) -> str:
    """The counter of the rows written to ``split``."""
    return f"rows_{split}"


def counter(name: str):
    """The Beam counter ``name`` of ingest's namespace."""
    return shared_guard.counter(NAMESPACE, name)


def counted_parts(parts, listed):
    """``parts`` (a list), each counted in ``listed``: for a FlatMap before a reshuffle."""
    listed.inc(len(parts))
    return parts


def passed(item, counted):
    """``item``, counted in ``counted``: for a Map immediately before a write."""
    counted.inc()
    return item


def read_whole(read, part, parts_read):
    """The items ``read(part)`` yields, and ``parts_read`` counted once they are all out."""
    yield from read(part)
    parts_read.inc()


def check(counts: Dict[str, int], split_counts: Dict[str, int], data_path: str) -> None:
    """Raise DataLossError unless every part listed was read and every row read was
    written or dropped. ``counts``: the values of the counters named here."""
    listed, parts_read = counts.get(PARTS_LISTED, 0), counts.get(PARTS_READ, 0)
    if listed != parts_read:
        raise DataLossError(
            f"Ingest of {data_path} listed {listed} part(s) of its files to read but finished reading "
            f"{parts_read}. {shared_guard.ADVICE}"
        )
    shared_guard.check_rows("Ingest", f"{data_path} ({split_counts})", counts.get(ROWS_READ, 0),
                            sum(split_counts.values()), counts.get(WITHOUT_LABEL, 0), "without a label")
