"""Reading CSV files as blocks of whole lines, each file cut into byte ranges.

Beam's text reader hands out one line per element, and at a million rows the
per-element bookkeeping costs more than parsing. Here a file is cut into ranges
of ``RANGE_BYTES`` (one range for a compressed file, which cannot be seeked), so a
distributed runner still spreads one large file over its workers, and each range
is read ``BLOCK_BYTES`` at a time and handed on as a list of lines. A line belongs
to the range that holds its first byte, the rule Beam's own text source follows,
so every line is read exactly once whatever the cut.

Lines are bytes without their ``\\n`` or ``\\r\\n``; the header (the first line of
each file) is left out. Lines inside quoted values cannot hold a line break here,
as with the line-by-line reader before.
"""
from typing import Iterator, List, Tuple

RANGE_BYTES = 16 << 20
BLOCK_BYTES = 1 << 20

FileRange = Tuple[str, int, int]


def _is_compressed(path: str) -> bool:
    from apache_beam.io.filesystem import CompressionTypes

    return CompressionTypes.detect_compression_type(path) != CompressionTypes.UNCOMPRESSED


def file_ranges(path: str) -> List[FileRange]:
    """``(path, start, end)`` byte ranges that cover one file."""
    from apache_beam.io.filesystems import FileSystems

    if _is_compressed(path):
        return [(path, 0, -1)]  # -1: to the end
    size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
    return [(path, start, min(start + RANGE_BYTES, size)) for start in range(0, max(size, 1), RANGE_BYTES)]


def _lines(data: bytes) -> List[bytes]:
    """Complete lines (``data`` ends with a newline), their line endings removed."""
    lines = data.split(b"\n")
    lines.pop()  # the empty piece after the last newline
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def read_range(file_range: FileRange) -> Iterator[Tuple[str, List[bytes]]]:
    """``(path, lines)`` blocks of the lines that start inside the range."""
    from apache_beam.io.filesystems import FileSystems

    path, start, end = file_range
    with FileSystems.open(path) as handle:
        position = 0  # file offset of the first byte of ``pending``
        if start > 0:
            # The line that holds byte start - 1 belongs to the range before.
            handle.seek(start - 1)
            position = start - 1
        pending = b""
        skip_first_line = True  # the header, or the previous range's last line
        while end < 0 or position < end:
            block = handle.read(BLOCK_BYTES)
            pending += block
            cut = pending.rfind(b"\n") + 1 if block else len(pending) + 1
            if cut == 0:
                continue  # no line ends in what has been read so far
            complete, pending = pending[:cut], pending[cut:]
            if not block:
                if not complete:
                    break
                complete += b"\n"  # a last line without a line break
            if skip_first_line:
                skipped = complete.index(b"\n") + 1
                complete, position = complete[skipped:], position + skipped
                skip_first_line = False
                if 0 <= end <= position:
                    break  # the skipped line reached past the range: no line starts in it
            if end >= 0 and position + len(complete) > end:
                # Keep the line that holds byte end - 1; the next one starts the next range.
                complete = complete[: complete.index(b"\n", max(end - position - 1, 0)) + 1]
                position = end
            else:
                position += len(complete)
            if complete:
                yield path, _lines(complete)
            if not block:
                break
