"""KFP wrapper of the push runtime."""
from kfp import dsl
from kfp.dsl import Artifact, Input, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def push(
    model: Input[Model],
    blessing: Input[Artifact],
    pushed_model: Output[Model],
    serving_model_dir: str,
) -> str:
    """Push a blessed model to <serving_model_dir>/<integer version>/ (TF Serving layout).

    Args:
      model: The SavedModel from train.
      blessing: The blessing from evaluate; nothing is pushed unless it says BLESSED.
      pushed_model: Output. Points at the pushed version; metadata pushed,
        pushed_destination, pushed_version (pushed false when not blessed).
      serving_model_dir: The base folder, local or gs://. An existing version is never
        overwritten; locally the copy is written aside and renamed into place.

    Returns:
      The pushed version folder, or "" when the model was not blessed.

    Raises:
      ConfigurationError: serving_model_dir is empty, or the model holds no SavedModel.
    """
    from components.evaluate.runtime import is_blessed
    from components.push.runtime import push_model

    result = push_model(model.path, serving_model_dir, is_blessed(blessing.path))
    pushed_model.metadata.update(result)
    if result["pushed"]:
        pushed_model.uri = result["pushed_destination"]
    return result["pushed_destination"]
