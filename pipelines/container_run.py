"""Local runs in containers: kfp's ``DockerRunner`` on the component image.

kfp 2.13's ``DockerRunner`` starts each task as a container of the component's
image (``components.image.COMPONENT_IMAGE``; it pulls the image when no local
image has that tag, so build it first: ``make image``) and bind-mounts one
folder, the pipeline root, at the same path. Everything else on the host is
invisible to the task. So before a run:

* local input files and folders named by the arguments (data, curated schema,
  baseline, module file) that lie outside the pipeline root are *copied* to
  ``<pipeline_root>/inputs/`` and the arguments point at the copies (the
  originals are only read);
* folders a task writes to (``serving_model_dir``) must already lie under the
  pipeline root; anything else is refused with the reason;
* the pipeline root is made writable for the image's non-root user (uid 1000):
  tasks create their output folders themselves.

Importing this module loads no Docker client; ``docker_runner()`` does.
"""
import glob
import hashlib
import os
import shutil
from typing import Dict

from components.image import COMPONENT_IMAGE

# Parameters naming folders the tasks write into (not inputs to copy).
OUTPUT_FOLDER_PARAMETERS = ("serving_model_dir",)
INPUTS_FOLDER = "inputs"


class ContainerRunError(RuntimeError):
    """The host is not ready for a run in containers; the message says what to do."""


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == os.path.abspath(folder)


def _local_path(value: object) -> bool:
    return isinstance(value, str) and os.path.isabs(value) and "://" not in value


def _copy_input(path: str, inputs_root: str) -> str:
    """Copy a file, folder or glob's matches under ``inputs_root``; return the path to use there."""
    target_dir = os.path.join(inputs_root, hashlib.sha256(path.encode()).hexdigest()[:12])
    os.makedirs(target_dir, exist_ok=True)
    target = os.path.join(target_dir, os.path.basename(path.rstrip("/")))
    if os.path.isdir(path):
        shutil.copytree(path, target, dirs_exist_ok=True)
    elif os.path.isfile(path):
        shutil.copy2(path, target)
    else:  # a glob: copy what it matches, keep the pattern
        for match in glob.glob(path):
            if os.path.isfile(match):
                shutil.copy2(match, os.path.join(target_dir, os.path.basename(match)))
    return target


def stage_arguments(arguments: Dict[str, object], pipeline_root: str) -> Dict[str, object]:
    """The arguments with every local path made visible inside the task containers.

    Raises ContainerRunError for an output folder outside ``pipeline_root``.
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
            staged[name] = _copy_input(value, inputs_root)
    return staged


def open_to_container_user(pipeline_root: str) -> None:
    """Let the image's non-root user create task folders in the (host-owned) pipeline root."""
    os.makedirs(pipeline_root, exist_ok=True)
    os.chmod(pipeline_root, 0o777)


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
