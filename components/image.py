"""The one place the component image is chosen, per runtime track.

Two runtime tracks exist (README, "Runtime tracks"): ``tfx-1.16`` (TensorFlow 2.16,
protobuf 4, kfp 2.13; Debian 12 image, requirements/runtime.lock) and ``tfx-1.21``
(TensorFlow 2.21, protobuf 6, kfp 2.17; Debian 13 image, requirements/modern.lock,
glibc >= 2.39). Each has its own image tag.

Every component runs on ``COMPONENT_IMAGE``: the image of the track installed in
this environment (read from the installed TensorFlow Transform's version, without
importing it), or of ``tfx-1.16`` where no runtime is installed (an authoring-only
install). It is not read from the environment's variables: to compile against another
image (for example the digest CI just pushed), pass ``image=`` to
``pipelines.compile.compile_all`` or ``kfp-tf compile --image URI``, which rewrites
the image of every executor.
"""
import os
from importlib import metadata

from components.version import __version__

IMAGE_REPOSITORY = "ghcr.io/kfp-tf-components/kfp-tf-components"

DEFAULT_TRACK = "tfx-1.16"
MODERN_TRACK = "tfx-1.21"
# The track's image tag after the package version ("" keeps the 1.16 track's tags).
_TAG_SUFFIX = {DEFAULT_TRACK: "", MODERN_TRACK: "-tfx-1.21"}
# The oldest glibc the modern track's wheels load on (TFDV and ml-metadata ship
# manylinux_2_39 wheels only).
MODERN_GLIBC = (2, 39)


def image_for_track(track: str, gpu: bool = False) -> str:
    """The component image URI of ``track`` (a key of the tracks above); ValueError otherwise."""
    if track not in _TAG_SUFFIX:
        raise ValueError(f"unknown runtime track {track!r}; the tracks are {sorted(_TAG_SUFFIX)}")
    repository = f"{IMAGE_REPOSITORY}-gpu" if gpu else IMAGE_REPOSITORY
    return f"{repository}:{__version__}{_TAG_SUFFIX[track]}"


def track_for_glibc(glibc: str) -> str:
    """The track a host with this glibc version (``"2.36"``) should install."""
    major, minor = (int(part) for part in glibc.split(".")[:2])
    return MODERN_TRACK if (major, minor) >= MODERN_GLIBC else DEFAULT_TRACK


def host_glibc() -> str:
    """This host's glibc version, e.g. ``"2.36"`` (``os.confstr``; glibc hosts only)."""
    name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
    if name != "glibc":
        raise RuntimeError(f"not a glibc host ({name} {version}); the runtime needs glibc")
    return version


def installed_track() -> str:
    """The track of the runtime installed here; ``DEFAULT_TRACK`` for an authoring-only install."""
    try:
        transform = metadata.version("tensorflow-transform")
    except metadata.PackageNotFoundError:
        return DEFAULT_TRACK
    return MODERN_TRACK if tuple(int(p) for p in transform.split(".")[:2]) >= (1, 21) else DEFAULT_TRACK


COMPONENT_IMAGE = image_for_track(installed_track())
GPU_COMPONENT_IMAGE = image_for_track(installed_track(), gpu=True)

if __name__ == "__main__":  # `python -m components.image`: the track for this host (make setup)
    print(track_for_glibc(host_glibc()))
