"""Files and folders on local paths and object stores (``gs://``) alike, byte for byte.

Remote paths (anything with ``://``) go through Beam's ``FileSystems``, local paths
through ``os``. Why Beam and not ``tf.io.gfile``: TensorFlow's GCS filesystem
(TF 2.16) has its endpoints compiled in (``https://www.googleapis.com/storage/v1/``,
``storage.googleapis.com``) and reads no setting that points it elsewhere, so no
test can run it against a Cloud Storage emulator; Beam's GCS filesystem is the
google-cloud-storage client, which honours ``STORAGE_EMULATOR_HOST``. In the cloud
both use the same Application Default Credentials.

Object stores have no folders: a "folder" is the prefix ``<path>/`` of its objects,
and it exists while one object does. Compression is never inferred from a name
(a ``.gz`` file is copied as it is, not unpacked).
"""
import os
import shutil
from typing import List

_CHUNK = 16 * 1024 * 1024


def is_remote(path: str) -> bool:
    """Whether ``path`` is a URI (``gs://…``) rather than a local path."""
    return "://" in path


def _filesystems():
    from apache_beam.io.filesystems import FileSystems

    return FileSystems


def _uncompressed():
    from apache_beam.io.filesystem import CompressionTypes

    return CompressionTypes.UNCOMPRESSED


def exists(path: str) -> bool:
    """Whether a file (an object) exists at ``path``. Listing errors (permission,
    network) propagate."""
    if not is_remote(path):
        return os.path.isfile(path)
    return _filesystems().exists(path)


def is_folder(path: str) -> bool:
    """Whether ``path`` is a folder: locally a directory, on an object store a
    prefix with at least one object under it."""
    if not is_remote(path):
        return os.path.isdir(path)
    return bool(list_files(path))


def list_files(folder: str) -> List[str]:
    """Every file under ``folder``, recursively, as sorted paths relative to it;
    ``[]`` when the folder does not exist or holds nothing. Listing errors
    (permission, network, a missing bucket) propagate."""
    folder = folder.rstrip("/")
    if not is_remote(folder):
        if not os.path.isdir(folder):
            return []
        return sorted(
            os.path.relpath(os.path.join(root, name), folder) for root, _, names in os.walk(folder) for name in names
        )
    matched = _filesystems().match([folder + "/**"])[0].metadata_list
    prefix = folder + "/"
    return sorted(m.path[len(prefix):] for m in matched if m.path.startswith(prefix) and not m.path.endswith("/"))


def read_bytes(path: str) -> bytes:
    """The content of one file."""
    if not is_remote(path):
        with open(path, "rb") as handle:
            return handle.read()
    with _filesystems().open(path, compression_type=_uncompressed()) as handle:
        return handle.read()


def write_bytes(path: str, data: bytes) -> None:
    """Write one file (its local folder is created); an object appears whole when closed."""
    if not is_remote(path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        return
    with _filesystems().create(path, compression_type=_uncompressed()) as handle:
        handle.write(data)


def copy_file(source: str, destination: str) -> None:
    """Copy one file between any two filesystems, streaming (no whole-file buffer)."""
    if not is_remote(source) and not is_remote(destination):
        os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
        shutil.copyfile(source, destination)
        return
    fs = _filesystems()
    reader = open(source, "rb") if not is_remote(source) else fs.open(source, compression_type=_uncompressed())
    with reader:
        if not is_remote(destination):
            os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
            writer = open(destination, "wb")
        else:
            writer = fs.create(destination, compression_type=_uncompressed())
        with writer:
            shutil.copyfileobj(reader, writer, _CHUNK)
