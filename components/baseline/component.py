"""KFP wrapper of the baseline runtime."""
from kfp import dsl
from kfp.dsl import Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def baseline(
    baseline_model: Output[Model],
    serving_model_dir: str = "",
    vertex_parent_model: str = "",
    project: str = "",
    location: str = "",
):
    """Find the model to beat: the newest complete version (holding _PUBLISHED) pushed to
    serving_model_dir, or on Vertex AI the default version of a Model Registry parent model.

    Works without a KFP resolver or importer, so the same pipeline runs on the local
    runner, on open-source Kubeflow Pipelines and on Vertex AI. Only reads: nothing
    under serving_model_dir or in the registry is changed.

    Args:
      baseline_model: Output. When a model is found, its URI is that model's folder
        (<serving_model_dir>/<version>, or the default version's artifactUri, a
        SavedModel); metadata found true, version, uri (and resource_name on Vertex).
        Otherwise a folder holding only a NO_BASELINE file; metadata found false.
      serving_model_dir: The base folder push writes <version>/ folders to (local or
        gs://). A missing or empty folder, or one without a complete version, means no
        baseline (the first run). Versions without _PUBLISHED (a push still running or
        killed) are skipped.
      vertex_parent_model: A Vertex AI model's resource name or id; when given, its
        default version is the baseline instead (none while the model does not exist).
      project: Google Cloud project of the registry (with vertex_parent_model).
      location: Vertex AI region of the registry (with vertex_parent_model).

    Raises:
      ConfigurationError: the Vertex default version has no artifact URI.
    """
    from components.baseline.runtime import latest_pushed_model, vertex_default_version
    from components.common.baseline_model import write_no_baseline

    if vertex_parent_model:
        found = vertex_default_version(vertex_parent_model, project, location)
    else:
        found = latest_pushed_model(serving_model_dir)
    if found:
        baseline_model.uri = found["uri"]
        baseline_model.metadata.update({"found": True, **found})
    else:
        write_no_baseline(baseline_model.path, vertex_parent_model or serving_model_dir)
        baseline_model.metadata.update({"found": False, "version": None, "uri": ""})
