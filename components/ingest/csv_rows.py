"""Finding where in a CSV file something is, for error messages and warnings.

Ingest reads CSV files as blocks of lines spread over workers, which do not know
their line numbers; when a message has to name lines, the file is read again from
the start here (Python's ``csv`` module, so quoted values are read as ingest reads
them). This runs only on the way to an error or a warning.

Line numbers count the file's lines from 1, the header being line 1, as an editor
shows them.
"""
from typing import Iterator, List, Sequence, Tuple


def _rows(path: str, delimiter: str) -> Iterator[Tuple[int, List[str]]]:
    """``(line number, cells)`` of each data row, cells whitespace-trimmed."""
    import codecs
    import csv

    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as handle:
        text = codecs.getreader("utf-8-sig")(handle, errors="replace")
        lines = enumerate(text, start=1)
        next(lines, None)  # the header
        for number, line in lines:
            if line.strip():
                yield number, [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter), [])]


def locate_cells(path: str, delimiter: str, column: int, cells: Sequence[str]) -> List[Tuple[str, int, str]]:
    """``(path, line, cell)`` of the first line where each of ``cells`` is in ``column``, in file order."""
    wanted = set(cells)
    found = []
    for number, row in _rows(path, delimiter):
        if column < len(row) and row[column] in wanted:
            wanted.discard(row[column])
            found.append((path, number, row[column]))
            if not wanted:
                break
    return found


def line_number(path: str, line: bytes) -> int:
    """The number of the first line of ``path`` that is ``line`` (without its line
    break), or 0 when none is."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as handle:
        for number, candidate in enumerate(handle, start=1):
            if candidate.rstrip(b"\r\n") == line:
                return number
    return 0
