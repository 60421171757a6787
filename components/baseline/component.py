"""KFP wrapper of the baseline runtime."""
from kfp import dsl
from kfp.dsl import Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def baseline(
    baseline_model: Output[Model],
    serving_model_dir: str,
):
    """Find the model to beat: the newest version pushed to serving_model_dir.

    Works without a KFP resolver or importer, so the same pipeline runs on the local
    runner, on open-source Kubeflow Pipelines and on Vertex AI. Reads the folder
    listing only; nothing under serving_model_dir is written or changed.

    Args:
      baseline_model: Output. When a version exists, its URI is that version folder
        (<serving_model_dir>/<version>, a SavedModel); metadata found true, version,
        uri. Otherwise a folder holding only a NO_BASELINE file; metadata found false.
      serving_model_dir: The base folder push writes <version>/ folders to (local or
        gs://). A missing or empty folder means no baseline (the first run).
    """
    from components.baseline.runtime import latest_pushed_model, write_no_baseline

    found = latest_pushed_model(serving_model_dir)
    if found:
        baseline_model.uri = found["uri"]
        baseline_model.metadata.update({"found": True, "version": found["version"], "uri": found["uri"]})
    else:
        write_no_baseline(baseline_model.path, serving_model_dir)
        baseline_model.metadata.update({"found": False, "version": None, "uri": ""})
