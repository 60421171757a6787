"""The serving folder: ``<base>/<integer version>/`` SavedModels, as TF Serving lays them out.

One home for what push, baseline and predict agree on:

- **Versions** are the integer-named children of the base folder. ``push`` names a
  new one after the Unix time of the push (bumped past every existing name, complete
  or not), so versions sort in push order and a name is never reused.
- **A version is complete** when it holds the marker ``_PUBLISHED`` (``PUBLISHED``),
  written by ``publish`` after every file of the model. Readers (``baseline``,
  ``predict``) take the newest complete version and ignore the others. The rule is
  the same on every filesystem:

  * locally the copy is written aside into ``.staging-<host>-<pid>-<random>/``, the
    marker added there, and the folder renamed to its version, so the version
    appears complete in one step (TF Serving sees it only then too);
  * on object stores (``gs://``), which cannot rename a folder, the files are
    written straight into ``<version>/`` (``saved_model.pb`` after the variables and
    assets) and the marker object last. A push killed half-way leaves a version
    without the marker: readers never pick it up, and the next push names it in a
    warning (objects are never deleted here).

  TF Serving itself does not read the marker: it loads any integer version. Point
  it (or the poller or sync job that feeds it) at complete versions only, i.e.
  those holding ``_PUBLISHED``; on a local folder that is every version.
- **Leftovers of a killed local push** are ``.staging-*`` folders (hidden from TF
  Serving and from readers). The next push removes those of a dead process on the
  same host, and any older than ``STALE_STAGING_SECONDS``.

Remote paths go through ``components.common.storage`` (Beam's filesystems).
"""
import json
import logging
import os
import shutil
import socket
import time
import uuid
from typing import Dict, List, Optional, Tuple

from components.common import storage
from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)

PUBLISHED = "_PUBLISHED"
SAVED_MODEL_FILE = "saved_model.pb"
STAGING_PREFIX = ".staging-"
# A local staging folder this old is a dead push's, whoever wrote it.
STALE_STAGING_SECONDS = 24 * 3600
# How many taken version names a push steps past before giving up.
_CLASHES = 10


def version_uri(base: str, version: int) -> str:
    return os.path.join(base.rstrip("/"), str(version))


def _children(base: str) -> List[str]:
    """Names directly under ``base`` (folders and files); [] when it does not exist."""
    if not storage.is_remote(base):
        return os.listdir(base) if os.path.isdir(base) else []
    return sorted({relative.split("/", 1)[0] for relative in storage.list_files(base)})


def versions(base: str) -> List[int]:
    """Every integer version under ``base``, complete or not, ascending."""
    return sorted(int(name) for name in _children(base) if name.isdigit())


def is_published(version_dir: str) -> bool:
    """Whether a version folder is complete (holds the ``_PUBLISHED`` marker)."""
    return storage.exists(os.path.join(version_dir.rstrip("/"), PUBLISHED))


def published_versions(base: str) -> List[int]:
    """The complete versions under ``base``, ascending."""
    if storage.is_remote(base):  # one listing instead of one request per version
        files = set(storage.list_files(base))
        return sorted(v for v in versions(base) if f"{v}/{PUBLISHED}" in files)
    return [v for v in versions(base) if is_published(version_uri(base, v))]


def newest_published(base: str) -> Optional[Tuple[int, str]]:
    """``(version, uri)`` of the newest complete version, or None (no folder, no
    complete version). Newer incomplete versions are skipped with a warning."""
    if not base:
        return None
    complete = published_versions(base)
    newest = complete[-1] if complete else None
    skipped = [v for v in versions(base) if newest is None or v > newest]
    skipped = [v for v in skipped if v not in complete]
    if skipped:
        logger.warning(
            "Skipping version(s) %s under %s: no %s marker (a push still running, or one that died).",
            ", ".join(map(str, skipped)), base, PUBLISHED,
        )
    return None if newest is None else (newest, version_uri(base, newest))


def next_version(base: str, now: Optional[float] = None) -> int:
    """The version a push now gets: the Unix time, past every existing version name."""
    candidate = int(now if now is not None else time.time())
    return max([candidate] + [v + 1 for v in versions(base)])


def _marker(source: str) -> bytes:
    return json.dumps({"source": source, "published_at": time.time(), "host": socket.gethostname()}).encode()


def publish(model_dir: str, base: str, extra_files: Optional[Dict[str, bytes]] = None) -> Tuple[int, str]:
    """Publish the SavedModel in ``model_dir`` as a new version of ``base``.

    ``extra_files`` (``{path relative to the version: content}``, such as the
    evaluation record) are written into the version with the model, before the
    marker. Returns ``(version, uri)``. An existing version is never written into.

    Raises:
      ConfigurationError: ``model_dir`` holds no ``saved_model.pb``.
      RuntimeError: ten version names in a row were taken by concurrent pushes.
      OSError: any other failure (permission, disk full, network), with its cause.
    """
    files = [f for f in storage.list_files(model_dir) if f != PUBLISHED]
    if SAVED_MODEL_FILE not in files:
        raise ConfigurationError(f"{model_dir} holds no {SAVED_MODEL_FILE}; the train step did not export a model.")
    extra_files = dict(extra_files or {})
    if storage.is_remote(base):
        return _publish_remote(model_dir, files, base, extra_files)
    return _publish_local(model_dir, base, extra_files)


def _publish_remote(model_dir: str, files: List[str], base: str, extra_files: Dict[str, bytes]) -> Tuple[int, str]:
    incomplete = [v for v in versions(base) if v not in published_versions(base)]
    if incomplete:
        logger.warning(
            "Version(s) %s under %s have no %s marker: pushes that died or are still running. "
            "Readers ignore them; remove them once no push is running.",
            ", ".join(map(str, incomplete)), base, PUBLISHED,
        )
    for _ in range(_CLASHES):
        version = next_version(base)
        destination = version_uri(base, version)
        if storage.list_files(destination):  # written by a push that listed at the same moment
            continue
        # saved_model.pb after the variables and assets, the marker last.
        for relative in sorted(files, key=lambda f: f == SAVED_MODEL_FILE):
            storage.copy_file(os.path.join(model_dir, relative), f"{destination}/{relative}")
        for relative, content in extra_files.items():
            storage.write_bytes(f"{destination}/{relative}", content)
        storage.write_bytes(f"{destination}/{PUBLISHED}", _marker(model_dir))
        return version, destination
    raise RuntimeError(f"Could not find a free version folder under {base}: {_CLASHES} names in a row were taken.")


def _publish_local(model_dir: str, base: str, extra_files: Dict[str, bytes]) -> Tuple[int, str]:
    os.makedirs(base, exist_ok=True)
    remove_dead_staging(base)
    staging = os.path.join(base, f"{STAGING_PREFIX}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    renamed = False
    try:
        shutil.copytree(model_dir, staging, ignore=shutil.ignore_patterns(PUBLISHED))
        for relative, content in extra_files.items():
            storage.write_bytes(os.path.join(staging, relative), content)
        storage.write_bytes(os.path.join(staging, PUBLISHED), _marker(model_dir))
        for _ in range(_CLASHES):
            version = next_version(base)
            destination = version_uri(base, version)
            # os.rename replaces an empty folder: never rename onto an existing name.
            if os.path.lexists(destination):
                continue
            try:
                os.rename(staging, destination)
            except OSError:
                if os.path.lexists(destination):  # taken between the check and the rename
                    continue
                raise
            renamed = True
            return version, destination
        raise RuntimeError(f"Could not find a free version folder under {base}: {_CLASHES} names in a row were taken.")
    finally:
        if not renamed:
            shutil.rmtree(staging, ignore_errors=True)  # our own copy; the error raised says why


def _dead(name: str, path: str, now: float) -> bool:
    """Whether a staging folder is a dead push's: its process on this host is gone,
    or it is older than STALE_STAGING_SECONDS."""
    if now - os.lstat(path).st_mtime > STALE_STAGING_SECONDS:
        return True
    host, _, rest = name[len(STAGING_PREFIX):].rpartition("-")[0].rpartition("-")
    if host != socket.gethostname() or not rest.isdigit():
        return False
    try:
        os.kill(int(rest), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def remove_dead_staging(base: str) -> List[str]:
    """Remove the ``.staging-*`` folders of dead local pushes under ``base``; returns
    their paths. Staging folders of running pushes are left alone."""
    now, removed = time.time(), []
    for name in _children(base):
        path = os.path.join(base, name)
        if name.startswith(STAGING_PREFIX) and os.path.isdir(path) and not os.path.islink(path) and _dead(name, path, now):
            shutil.rmtree(path)
            removed.append(path)
            logger.warning("Removed %s, left by a push that died.", path)
    return removed
