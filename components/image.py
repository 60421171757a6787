"""The one place the component image is chosen.

Every component runs on this image. It is a constant, not read from the
environment: to compile against another image (for example the digest CI just
pushed), pass ``image=`` to ``pipelines.compile.compile_all`` or
``kfp-tf compile --image URI``, which rewrites the image of every executor.
"""
from components.version import __version__

IMAGE_REPOSITORY = "ghcr.io/kfp-tf-components/kfp-tf-components"
COMPONENT_IMAGE = f"{IMAGE_REPOSITORY}:{__version__}"
GPU_COMPONENT_IMAGE = f"{IMAGE_REPOSITORY}-gpu:{__version__}"
