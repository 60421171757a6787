"""KFP wrapper of the fingerprint runtime: the never-cached step that keys the cache."""
from typing import List

from kfp import dsl

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def fingerprint_inputs(paths: List[str]) -> str:
    """Fingerprint the external files a pipeline reads, so that the KFP cache sees
    new data at an unchanged path (TFX's input fingerprints).

    Run it with caching off (``.set_caching_options(False)``) and pass its output
    to the task that reads ``paths`` (ingest's ``input_fingerprint``): that task is
    then served from the cache only while every file is unchanged, and the tasks
    after it only while their inputs are.

    Args:
      paths: Files, folders or globs, local or gs:// (empty strings are skipped).
        A folder counts every file under it.

    Returns:
      ``sha256:<hex>`` over each path's files with their sizes and modification
      times (local) or object generations (gs://). Only metadata is read.

    Raises:
      OSError or a google.api_core exception: A path could not be listed
      (permission denied, no network); the run stops rather than cache blindly.
    """
    from components.fingerprint.runtime import digest, listing, summary

    files = listing(paths)
    for line in summary(files):
        print(f"fingerprint: {line}")
    return digest(files)
