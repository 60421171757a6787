"""File helpers that work on local paths and ``gs://`` URIs alike (Beam filesystems)."""
from typing import List

from components.common.errors import DataError


def match_files(pattern: str, what: str = "input") -> List[str]:
    """Expand a path, folder or glob into the sorted list of files it names.

    A folder expands to the files directly inside it. Raises DataError naming the
    pattern when nothing matches, or when every match is an empty file.
    """
    from apache_beam.io.filesystems import FileSystems

    candidates = [pattern]
    if not any(ch in pattern for ch in "*?["):
        candidates.append(pattern.rstrip("/") + "/*")
    for candidate in candidates:
        try:
            results = FileSystems.match([candidate])[0].metadata_list
        except Exception:  # Beam raises when nothing matches on some filesystems
            results = []
        files = sorted(m.path for m in results if not m.path.endswith("/"))
        if files:
            if all(m.size_in_bytes == 0 for m in results):
                raise DataError(
                    f"The {what} {pattern!r} matches only empty files ({', '.join(files[:5])}). "
                    "Point the pipeline at files that contain data."
                )
            return files
    raise DataError(
        f"The {what} path {pattern!r} matches no file. Check the path, or give a glob "
        "such as 'data/*.csv' or 'gs://bucket/data/*.csv'."
    )
