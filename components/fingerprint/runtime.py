"""Fingerprints of a pipeline's external inputs, as TFX's input fingerprints.

A KFP task is served from the cache when its component and input values are
unchanged; a path is a value, so new data at the same path looks unchanged.
``fingerprint`` turns the state behind the paths into a value: every file a path
names, with its size and modification time (local files) or its generation
(Cloud Storage objects, new on every write). Passed as an input to the task that
reads the paths, it keys the cache on the data, not on its name. Only file
metadata is read, never contents, so it costs one listing per path.

Imports only the standard library and, for ``gs://``, google-cloud-storage (an
authoring dependency too); other URI schemes go through Beam's filesystems.
"""
import fnmatch
import glob
import hashlib
import json
import os
from typing import List, Sequence, Tuple

# (name, size in bytes, version): mtime in ns locally, the generation on GCS.
Entry = Tuple[str, int, str]

_WILDCARDS = "*?["


def _raise(error: OSError) -> None:
    raise error


def _local_matches(path: str) -> List[str]:
    """The file or folder ``path`` names, or a glob's matches. A missing path matches
    nothing; one that cannot be read (permission denied) raises, where ``glob`` and
    ``os.path.exists`` would quietly report nothing."""
    wildcard = min((path.index(c) for c in _WILDCARDS if c in path), default=None)
    if wildcard is None:
        try:
            os.stat(path)
        except FileNotFoundError:
            return []
        return [path]
    base = os.path.dirname(path[:wildcard]) or "."
    try:
        os.scandir(base).close()  # the folder the glob starts from must be readable
    except FileNotFoundError:
        return []
    return sorted(glob.glob(path))


def _local_entries(path: str) -> List[Entry]:
    """Every file under ``path`` (a file, a folder, walked whole, or a glob)."""
    entries: List[Entry] = []
    for match in _local_matches(path):
        files = [match]
        if os.path.isdir(match):
            files = [os.path.join(root, name) for root, _, names in os.walk(match, onerror=_raise) for name in names]
        for name in files:
            status = os.stat(name)
            entries.append((os.path.abspath(name), status.st_size, str(status.st_mtime_ns)))
    return entries


def _gcs_entries(path: str) -> List[Entry]:
    """Every object a gs:// path names: the object itself, the objects under it
    (a folder) or those a glob matches, each with its generation."""
    from google.cloud import storage

    bucket_name, _, name = path[len("gs://"):].partition("/")
    wildcard = min((name.index(c) for c in _WILDCARDS if c in name), default=None)
    prefix = name if wildcard is None else name[:wildcard]
    client = storage.Client()
    entries: List[Entry] = []
    for blob in client.list_blobs(bucket_name, prefix=prefix):
        if wildcard is not None:
            wanted = fnmatch.fnmatchcase(blob.name, name)
        else:
            wanted = blob.name == name or blob.name.startswith(name.rstrip("/") + "/")
        if wanted:
            entries.append((f"gs://{bucket_name}/{blob.name}", int(blob.size or 0), str(blob.generation)))
    return entries


def _beam_entries(path: str) -> List[Entry]:
    """Other URI schemes (s3://, hdfs://, ...): Beam's match, with its last-updated times."""
    from apache_beam.io.filesystems import FileSystems

    patterns = [path] if any(c in path for c in _WILDCARDS) else [path, path.rstrip("/") + "/**"]
    entries: List[Entry] = []
    for result in FileSystems.match(patterns):
        entries.extend((m.path, m.size_in_bytes, repr(m.last_updated_in_seconds)) for m in result.metadata_list)
    return entries


def list_entries(path: str) -> List[Entry]:
    """The sorted, de-duplicated files ``path`` names; empty when it names none.

    A path naming nothing is not an error here: the task reading it reports that
    with its own message. Errors listing a path (permission denied, no network)
    propagate: a fingerprint that cannot see the state must not pretend to.
    """
    if not path:
        return []
    if path.startswith("gs://"):
        found = _gcs_entries(path)
    elif "://" in path:
        found = _beam_entries(path)
    else:
        found = _local_entries(path)
    return sorted(set(found))


Listing = List[Tuple[str, List[Entry]]]


def listing(paths: Sequence[str]) -> Listing:
    """Each path with the files it names (``list_entries``), in the given order."""
    return [(path, list_entries(path)) for path in paths]


def digest(files: Listing) -> str:
    """``sha256:<hex>`` over a listing: names, sizes and versions of every path's files."""
    plain = [[path, [list(entry) for entry in entries]] for path, entries in files]
    return "sha256:" + hashlib.sha256(json.dumps(plain, separators=(",", ":")).encode()).hexdigest()


def fingerprint(paths: Sequence[str]) -> str:
    """A digest of the files every path names: their names, sizes and versions.

    Equal for unchanged files; different when a file is added, removed, resized,
    rewritten (a new mtime or generation) or when a path changes. The order of
    ``paths`` counts (they are separate inputs). Returns ``sha256:<hex>``.
    """
    return digest(listing(paths))


def summary(files: Listing) -> List[str]:
    """One line per non-empty path: how many files and bytes it covered (for the log)."""
    return [f"{path}: {len(entries)} file(s), {sum(e[1] for e in entries)} bytes" for path, entries in files if path]
