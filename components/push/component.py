"""KFP wrapper of the push runtime."""
from kfp import dsl
from kfp.dsl import Artifact, Input, Model, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def push(
    model: Input[Model],
    blessing: Input[Artifact],
    infra_blessing: Input[Artifact],
    statistics: Input[Artifact],
    schema: Input[Artifact],
    pushed_model: Output[Model],
    serving_model_dir: str,
) -> str:
    """Push a model blessed twice to <serving_model_dir>/<integer version>/ (TF Serving layout).

    Args:
      model: The SavedModel from train.
      blessing: The blessing from evaluate; nothing is pushed unless it says BLESSED.
      infra_blessing: The infra_blessing from infra_validate; nothing is pushed unless
        it says INFRA_BLESSED.
      statistics: The output of statistics: its train split is stored with the pushed
        version (assets.extra/training_statistics.pb), the skew baseline of monitoring.
      schema: The output of schema: stored with the version (assets.extra/schema.pbtxt),
        the schema serving traffic is checked against.
      pushed_model: Output. Points at the pushed version; metadata pushed,
        pushed_destination, pushed_version, reason (why nothing was pushed: the
        blessings' reasons).
      serving_model_dir: The base folder, local or gs://. An existing version is never
        overwritten; locally the copy is written aside and renamed into place. The
        version holds _PUBLISHED, written last (on gs:// after every other object):
        readers take only versions holding it.

    Returns:
      The pushed version folder, or "" when a blessing is missing.

    Raises:
      ConfigurationError: serving_model_dir is empty, or the model holds no SavedModel.
    """
    from components.common import layout, model_record
    from components.common.blessing import blessing_record, push_decision
    from components.push.runtime import push_model

    ok, reasons = push_decision(blessing.path, infra_blessing.path)
    baseline = model_record.baseline_files(
        layout.statistics_path(statistics.path, layout.TRAIN), layout.schema_path(schema.path)
    ) if ok else None
    result = push_model(model.path, serving_model_dir, ok, reasons, record=blessing_record(blessing.path),
                        baseline=baseline)
    pushed_model.metadata.update(result)
    if result["pushed"]:
        pushed_model.uri = result["pushed_destination"]
    return result["pushed_destination"]
