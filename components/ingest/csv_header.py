"""The header of a CSV file: its column names and its delimiter.

- A UTF-8 byte-order mark (what Excel writes at the start of "CSV UTF-8") is not
  part of the first column's name.
- The delimiter is the one of ``DELIMITERS`` (comma, semicolon, tab, pipe) that
  splits the header into the most columns, a comma when none splits it (one
  column). When it is not a comma the file is read with it, and the choice is
  logged. The first data line must split into as many cells, else the file is
  named as ambiguous.
"""
import csv
import dataclasses
import logging
from typing import List

from components.common.errors import DataError

logger = logging.getLogger(__name__)

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
BOM = "\ufeff"


@dataclasses.dataclass(frozen=True)
class CsvHeader:
    columns: List[str]
    delimiter: str = ","

    @property
    def delimiter_name(self) -> str:
        return DELIMITERS[self.delimiter]


def _first_lines(path: str, count: int = 2) -> List[bytes]:
    from apache_beam.io.filesystems import FileSystems

    lines = []
    with FileSystems.open(path) as handle:
        for _ in range(count):
            line = handle.readline()
            if not line:
                break
            lines.append(line)
    return lines


def _split(line: str, delimiter: str) -> List[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def read_csv_header(path: str) -> CsvHeader:
    """The column names and delimiter of a CSV file, with clear errors for empty or odd headers.

    Raises DataError: the first line is not UTF-8, is blank, ends with a lone ``\\r``,
    has an empty or repeated column name, or the first data line splits into a
    different number of cells than the header with the delimiter found.
    """
    lines = _first_lines(path)
    raw_line = lines[0] if lines else b""
    try:
        first_line = raw_line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: the header is not UTF-8 text ({error.reason} at byte {error.start}): "
            f"{raw_line[:200]!r}. Save the file as UTF-8."
        ) from None
    first_line = first_line[len(BOM):] if first_line.startswith(BOM) else first_line
    if not first_line.strip():
        raise DataError(f"{path} is empty or starts with a blank line: the first line must be the header.")
    if "\r" in first_line.rstrip("\r\n"):
        raise DataError(
            f"{path} ends its lines with a carriage return alone (\\r, old Mac style); rows must end "
            "with \\n or \\r\\n. Save the file again with Unix or Windows line endings."
        )
    delimiter = max(DELIMITERS, key=lambda d: (len(_split(first_line, d)), d == ","))
    columns = [c.strip() for c in _split(first_line, delimiter)]
    if delimiter != ",":
        logger.warning("%s looks %s-delimited (its header splits into %d columns with %r): read it so.",
                       path, DELIMITERS[delimiter], len(columns), delimiter)
        second = lines[1].decode("utf-8", "replace") if len(lines) > 1 else ""
        if second.strip() and len(_split(second, delimiter)) != len(columns):
            raise DataError(
                f"{path} looks {DELIMITERS[delimiter]}-delimited (its header splits into {len(columns)} columns "
                f"with {delimiter!r}), but its first data line splits into {len(_split(second, delimiter))} cells: "
                f"{second.strip()[:200]!r}. Save the file with one delimiter (a comma), quoting values that contain it."
            )
    if any(not c for c in columns):
        raise DataError(f"{path}: the header has an empty column name ({first_line.strip()!r}).")
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(f"{path}: the header repeats column(s) {', '.join(duplicated)}; names must be unique.")
    return CsvHeader(columns, delimiter)
