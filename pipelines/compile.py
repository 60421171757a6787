"""Compile every pipeline and component to KFP IR YAML.

``compile_all()`` writes ``compiled/<pipeline>.yaml`` and
``compiled/components/<component>.yaml``. The image of every executor can be
replaced at compile time (``image=``), for example by the digest CI just pushed,
and the train task's alone (``train_image=``), for example by the GPU variant.
"""
import os
import tempfile
from typing import Dict, List, Optional

import yaml
from kfp import compiler

from components.catalog import ALL_COMPONENTS
from components.image import COMPONENT_IMAGE
from pipelines import PIPELINES
from pipelines.compiled_dir import default_output_dir

# The repository's compiled/ in a checkout, ./compiled when installed (pipelines/compiled_dir.py).
DEFAULT_OUTPUT_DIR = default_output_dir()


# The executor of the train task in every pipeline and in train's own component YAML.
TRAIN_EXECUTOR = "exec-train"


def replace_image(document: Dict, image: Optional[str], train_image: Optional[str] = None) -> int:
    """Point executors that use the default component image at ``image``.

    ``train_image`` (for example the GPU variant) replaces the train executor's
    image instead; None keeps that executor on ``image``.
    """
    executors = document.get("deploymentSpec", {}).get("executors", {})
    replaced = 0
    for name, executor in executors.items():
        container = executor.get("container", {})
        if container.get("image") != COMPONENT_IMAGE:
            continue
        wanted = train_image if (train_image and name == TRAIN_EXECUTOR) else image
        if wanted and wanted != COMPONENT_IMAGE:
            container["image"] = wanted
            replaced += 1
    return replaced


def _compile_one(obj, path: str, image: Optional[str], train_image: Optional[str]) -> None:
    compiler.Compiler().compile(obj, path)
    if (image and image != COMPONENT_IMAGE) or train_image:
        with open(path) as handle:
            document = yaml.safe_load(handle)
        replace_image(document, image, train_image)
        with open(path, "w") as handle:
            yaml.safe_dump(document, handle, sort_keys=True)


def compile_all(
    output_dir: str = DEFAULT_OUTPUT_DIR, image: Optional[str] = None, train_image: Optional[str] = None
) -> List[str]:
    """Compile every pipeline and component; returns the written paths.

    ``image`` replaces the component image everywhere; ``train_image`` replaces it
    for the train task only (the GPU variant, ``components.image.GPU_COMPONENT_IMAGE``).
    """
    written = []
    os.makedirs(os.path.join(output_dir, "components"), exist_ok=True)
    for name, pipeline in PIPELINES.items():
        path = os.path.join(output_dir, f"{name}.yaml")
        _compile_one(pipeline, path, image, train_image)
        written.append(path)
    for name, component in ALL_COMPONENTS.items():
        path = os.path.join(output_dir, "components", f"{name}.yaml")
        _compile_one(component, path, image, train_image)
        written.append(path)
    return written


def normalized(path: str) -> str:
    """A compiled file's text without the SDK version stamp (for drift checks)."""
    with open(path) as handle:
        return "".join(line for line in handle if not line.lstrip().startswith("sdkVersion:"))


def drifted_files(output_dir: str = DEFAULT_OUTPUT_DIR) -> List[str]:
    """Committed compiled files that differ from a fresh compile (or are missing/extra)."""
    with tempfile.TemporaryDirectory() as fresh:
        fresh_paths = compile_all(fresh)
        drifted = []
        for fresh_path in fresh_paths:
            relative = os.path.relpath(fresh_path, fresh)
            committed = os.path.join(output_dir, relative)
            if not os.path.exists(committed) or normalized(committed) != normalized(fresh_path):
                drifted.append(relative)
        expected = {os.path.relpath(p, fresh) for p in fresh_paths}
    for root, _, files in os.walk(output_dir):
        for name in files:
            relative = os.path.relpath(os.path.join(root, name), output_dir)
            if relative.endswith(".yaml") and relative not in expected:
                drifted.append(relative)
    return sorted(drifted)
