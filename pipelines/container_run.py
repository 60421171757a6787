"""Local runs in containers: kfp's ``DockerRunner`` on the component image.

kfp 2.13's ``DockerRunner`` starts each task as a container of the component's
image (``components.image.COMPONENT_IMAGE``; it pulls the image when no local
image has that tag, so build it first: ``make image``) and bind-mounts one
folder, the pipeline root, at the same path. Everything else on the host is
invisible to the task. So before a run:

* the Docker daemon and the image are checked first (``docker_runner``);
  nothing is staged or changed on the host before that;
* the pipeline root is made writable for the image's non-root user (uid 1000),
  tasks create their output folders themselves, and kept private: mode 0700
  when the host user is that uid (or root, who hands it to that uid); for any
  other user, mode 1777 (sticky: nobody can rename or delete another's entries);
* local input files and folders named by the arguments (data, curated schema,
  baseline, module file) that lie outside the pipeline root are *copied* into a
  fresh folder of unpredictable name under ``<pipeline_root>/inputs/`` (created
  atomically by ``mkdtemp``, so nothing can be planted there beforehand), and the
  arguments point at the copies. The path the user named is resolved; symlinks
  inside a copied folder or matched by a glob are copied as symlinks, never
  followed. The originals are only read; ``unstage`` removes the copies;
* folders a task writes to (``serving_model_dir``) must already lie under the
  pipeline root; anything else is refused with the reason.

Importing this module loads no Docker client; ``docker_runner()`` does.
"""
import glob
import os
import shutil
import stat
import tempfile
from typing import Dict, Tuple

from components.image import COMPONENT_IMAGE

# Parameters naming folders the tasks write into (not inputs to copy).
OUTPUT_FOLDER_PARAMETERS = ("serving_model_dir",)
INPUTS_FOLDER = "inputs"
# The user the component image runs its tasks as.
CONTAINER_UID = 1000


class ContainerRunError(RuntimeError):
    """The host is not ready for a run in containers; the message says what to do."""


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == os.path.abspath(folder)


def _local_path(value: object) -> bool:
    return isinstance(value, str) and os.path.isabs(value) and "://" not in value


def _private_folder(path: str, mode: int) -> None:
    """Make ``path`` a real folder owned by this user with ``mode``; refuse a symlink or
    a folder someone else owns (planted in a shared pipeline root)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    status = os.lstat(path)
    owners = (0, CONTAINER_UID) if os.getuid() == 0 else (os.getuid(),)
    if stat.S_ISLNK(status.st_mode) or not stat.S_ISDIR(status.st_mode) or status.st_uid not in owners:
        raise ContainerRunError(f"{path} is not a folder of yours (a symlink, or owned by uid {status.st_uid}): remove it and run again.")
    os.chmod(path, mode)


def _copy_input(path: str, inputs_root: str) -> str:
    """Copy a file, folder or glob's matches into a fresh folder under ``inputs_root``;
    return the path to use there. Symlinks inside are copied as symlinks."""
    target_dir = tempfile.mkdtemp(prefix="input-", dir=inputs_root)
    os.chmod(target_dir, 0o755)  # readable by the container user, writable by nobody else
    source = os.path.realpath(path) if os.path.exists(path) else path
    target = os.path.join(target_dir, os.path.basename(path.rstrip("/")))
    if os.path.isdir(source):
        shutil.copytree(source, target, symlinks=True)
    elif os.path.isfile(source):
        shutil.copy2(source, target)
    else:  # a glob: copy what it matches, keep the pattern
        for match in glob.glob(path):
            if os.path.islink(match) or os.path.isfile(match):
                shutil.copy2(match, os.path.join(target_dir, os.path.basename(match)), follow_symlinks=False)
    return target


def stage_arguments(arguments: Dict[str, object], pipeline_root: str) -> Dict[str, object]:
    """The arguments with every local path made visible inside the task containers.

    Call it after ``prepare_pipeline_root``. Raises ContainerRunError for an output
    folder outside ``pipeline_root``, before anything is copied.
    """
    outside = {name: value for name, value in arguments.items() if _local_path(value) and not _inside(value, pipeline_root)}
    for name, value in outside.items():
        if name in OUTPUT_FOLDER_PARAMETERS:
            raise ContainerRunError(
                f"{name}={value} is outside the pipeline root {pipeline_root}, the only host folder "
                f"the containers see. Give a folder under it, e.g. {os.path.join(pipeline_root, name)}."
            )
    staged = dict(arguments)
    inputs_root = os.path.join(pipeline_root, INPUTS_FOLDER)
    for name, value in outside.items():
        if os.path.exists(value) or glob.glob(value):
            _private_folder(inputs_root, 0o755)
            staged[name] = _copy_input(value, inputs_root)
    return staged


def unstage(arguments: Dict[str, object], staged: Dict[str, object], pipeline_root: str) -> None:
    """Remove the copies ``stage_arguments`` made (their ``input-*`` folders)."""
    inputs_root = os.path.join(pipeline_root, INPUTS_FOLDER)
    for name, value in staged.items():
        if value != arguments.get(name) and isinstance(value, str) and _inside(value, inputs_root):
            shutil.rmtree(os.path.join(inputs_root, os.path.relpath(value, inputs_root).split(os.sep)[0]))


def pipeline_root_mode() -> Tuple[int, bool]:
    """(mode, hand to the container user) for the pipeline root, as the module docstring says."""
    if os.getuid() == CONTAINER_UID:
        return 0o700, False
    if os.getuid() == 0:
        return 0o700, True
    return 0o1777, False


def prepare_pipeline_root(pipeline_root: str) -> None:
    """Let the image's non-root user create task folders in the pipeline root, keeping it
    private (0700) where the host user allows, else sticky (1777)."""
    mode, hand_over = pipeline_root_mode()
    _private_folder(pipeline_root, mode)
    if hand_over:
        os.chown(pipeline_root, CONTAINER_UID, CONTAINER_UID)


def docker_runner(image: str = COMPONENT_IMAGE):
    """A ``kfp.local.DockerRunner``, once the daemon answers and ``image`` exists locally."""
    try:
        import docker
    except ImportError as error:
        raise ContainerRunError("The docker Python package is missing: install requirements/runtime.lock.") from error
    from kfp import local

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        raise ContainerRunError(
            f"No Docker daemon answers ({error}). Start one (`make dockerd`) and run again."
        ) from error
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as error:
        raise ContainerRunError(
            f"The component image {image} is not built here; kfp would try to pull it. Build it with `make image`."
        ) from error
    finally:
        client.close()
    return local.DockerRunner()
