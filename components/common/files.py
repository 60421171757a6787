"""File helpers that work on local paths and ``gs://`` URIs alike (Beam filesystems)."""
import json
import os
from typing import Dict, List

from components.common.errors import ConfigurationError, DataError

_WILDCARDS = "*?["


def is_hidden(path: str) -> bool:
    """Whether a file's name starts with ``.`` or ``_``: the markers and side files that
    Hadoop, Spark and Beam leave in data folders (``_SUCCESS``, ``.part-0.crc``). A
    folder read as data skips them, as pyarrow's datasets do."""
    return os.path.basename(path.rstrip("/")).startswith((".", "_"))


def _root_cause(error: BaseException) -> BaseException:
    """The filesystem's own exception inside Beam's (possibly nested) BeamIOError."""
    from apache_beam.io.filesystem import BeamIOError

    while isinstance(error, BeamIOError) and error.exception_details:
        error = next(iter(error.exception_details.values()))
    return error


def _cannot_list(what: str, shown: str, cause: BaseException) -> DataError:
    return DataError(
        f"Could not list the {what} path {shown!r}: {type(cause).__name__}: {cause}. "
        "Check that the path exists and that this job may read it (credentials, "
        "permissions, network), then run again."
    )


def _check_local(pattern: str, shown: str, what: str) -> None:
    """Raise when a local path cannot be looked at: Beam's local filesystem walks
    folders with ``os.walk``, which skips what it cannot read, and would answer
    "nothing matches" for a folder the job may not list. A missing path passes (Beam
    then reports that nothing matches)."""
    wildcard = min((pattern.index(c) for c in _WILDCARDS if c in pattern), default=None)
    path = pattern if wildcard is None else os.path.dirname(pattern[:wildcard]) or "."
    try:
        if os.path.isdir(path):
            os.scandir(path).close()
        else:
            os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as error:  # permission denied, an I/O error: not "nothing there"
        raise _cannot_list(what, shown, error) from error


def _match(pattern: str, shown: str, what: str):
    """Beam's matches of one pattern; an empty list when nothing matches.

    Only "nothing there" is an empty result. Any other failure (no filesystem for the
    scheme, permission denied, no network, a bucket that does not exist) raises
    DataError naming ``shown`` (the path the user gave) and the filesystem's own error.
    """
    from apache_beam.io.filesystem import BeamIOError
    from apache_beam.io.filesystems import FileSystems

    if "://" not in pattern:
        _check_local(pattern, shown, what)
    try:
        filesystem = FileSystems.get_filesystem(pattern)
    except ValueError as error:  # Beam's answer for a scheme no filesystem is registered for
        raise DataError(
            f"The {what} path {shown!r} has a scheme no filesystem here can read ({error}). "
            "Give a local path or a gs:// URI, or install the Beam extra for that scheme."
        ) from error
    except BeamIOError as error:  # the scheme's filesystem is known but cannot be loaded
        cause = _root_cause(error)
        raise DataError(
            f"The filesystem for the {what} path {shown!r} cannot be loaded: "
            f"{type(cause).__name__}: {cause}. Install the Beam extra for that scheme."
        ) from error
    try:
        return filesystem.match([pattern])[0].metadata_list
    except BeamIOError as error:  # listing failed: Beam wraps the filesystem's exception
        raise _cannot_list(what, shown, _root_cause(error)) from error


def match_files(pattern: str, what: str = "input") -> List[str]:
    """Expand a file, a folder or a glob into the sorted list of files it names.

    - A glob (``*``, ``?`` or ``[`` in it; Beam's syntax, where ``*`` stays within one
      folder level and ``**`` crosses levels): the files it matches.
    - A folder, with or without a trailing slash: the files directly inside it,
      except hidden ones (``is_hidden``); sub-folders are not read.
    - Otherwise the file itself.

    Raises:
      DataError naming the pattern when nothing matches, when every match is an
      empty file, when a folder holds only hidden files, or when listing fails for
      any other reason than "nothing there" (with the filesystem's own error).
    """
    if any(ch in pattern for ch in _WILDCARDS):
        found = _match(pattern, pattern, what)
    else:
        listed = _match(pattern.rstrip("/") + "/*", pattern, what)
        found = [m for m in listed if not is_hidden(m.path)]
        if listed and not found:
            raise DataError(
                f"The {what} folder {pattern!r} holds only hidden or marker files "
                f"({', '.join(sorted(m.path for m in listed)[:5])}); names starting with '.' "
                "or '_' are skipped. Put the data files in it, or give their path."
            )
        if not listed and not pattern.endswith("/"):
            # Not a folder with files in it: the path itself, unless it is a local folder.
            found = [m for m in _match(pattern, pattern, what) if not os.path.isdir(m.path)]
    # Object stores list "folder" placeholders as names ending in a slash.
    found = [m for m in found if not m.path.endswith("/")]
    files = sorted(m.path for m in found)
    if not files:
        raise DataError(
            f"The {what} path {pattern!r} matches no file. Check the path, or give a file, "
            "a folder or a glob such as 'data/*.csv' or 'gs://bucket/data/*.csv'."
        )
    if all(m.size_in_bytes == 0 for m in found):
        raise DataError(
            f"The {what} {pattern!r} matches only empty files ({', '.join(files[:5])}). "
            "Point the pipeline at files that contain data."
        )
    return files


def read_json_artifact(folder: str, file_name: str, what: str, producer: str) -> Dict[str, object]:
    """The JSON file ``file_name`` that the task ``producer`` wrote into its output artifact
    ``folder`` (a gate reading its upstream task's result). A missing file raises
    ConfigurationError naming the path, ``what`` it holds and the task that should have
    written it: the artifact was wired from somewhere else."""
    path = os.path.join(folder, file_name)
    if not os.path.exists(path):
        raise ConfigurationError(f"{path} is missing: the {what} artifact was not written by {producer}.")
    with open(path) as handle:
        return json.load(handle)
