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

    Inputs:
      model: the SavedModel from train; blessing: the output of evaluate.
      serving_model_dir: the base folder (local or gs://). Nothing is pushed unless the
        blessing says BLESSED; an existing version is never overwritten; locally the
        copy is written aside and renamed into place.
    Outputs:
      pushed_model: points at the pushed version (metadata pushed, pushed_destination,
        pushed_version); metadata pushed=false when nothing was pushed.
      Returns the pushed folder, or "" when the model was not blessed.
    Fails when:
      serving_model_dir is empty, or the model folder holds no SavedModel.
    """
    from components.evaluate.runtime import is_blessed
    from components.push.runtime import push_model

    result = push_model(model.path, serving_model_dir, is_blessed(blessing.path))
    pushed_model.metadata.update(result)
    if result["pushed"]:
        pushed_model.uri = result["pushed_destination"]
    return result["pushed_destination"]
