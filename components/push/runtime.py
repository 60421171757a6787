"""Push: publish a blessed model as ``<serving_model_dir>/<integer version>/``.

TF Serving loads the highest integer version in a base folder. Publishing (the
version's name, the ``_PUBLISHED`` completion marker, writing aside locally, never
overwriting a version) is ``components.common.serving_folder``'s: readers see a
version only once it is complete, on local folders and on ``gs://`` alike.
"""
import logging
from typing import Dict, Optional, Sequence

from components.common import model_record, serving_folder
from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)


def push_model(
    model_uri: str, serving_model_dir: str, blessed: bool, blocked_by: Sequence[str] = (),
    record: Optional[Dict[str, object]] = None, baseline: Optional[Dict[str, bytes]] = None,
) -> Dict[str, object]:
    """Publish the model as a new version if and only if it is blessed
    (``serving_folder.publish``: complete before any reader sees it).

    ``blocked_by`` gives the reasons when it is not (``push_decision``). ``record``
    (``blessing_record``: what the model scored when blessed) is published inside
    the version, so the next run can tell whether this champion collapsed
    (``components.common.model_record``). ``baseline``
    (``model_record.baseline_files``: the train split's statistics and the schema) is
    published beside it, the baseline ``monitor`` checks serving traffic against.

    Returns:
      ``{"pushed": bool, "pushed_destination": path or "", "pushed_version": int or None,
      "reason": str}``.

    Raises:
      ConfigurationError: no serving folder given, or the model folder is not a SavedModel.
      OSError: copying or renaming failed (permission, full disk, network), with its cause.
    """
    if not blessed:
        reason = "; ".join(blocked_by) or "model not blessed"
        logger.info("Nothing pushed: %s", reason)
        return {"pushed": False, "pushed_destination": "", "pushed_version": None, "reason": reason}
    if not serving_model_dir:
        raise ConfigurationError("serving_model_dir is empty: give the base folder models are pushed to.")
    extra = dict(baseline or {})
    if record:
        extra[model_record.RECORD_PATH] = model_record.record_bytes(record)
    extra = extra or None
    version, destination = serving_folder.publish(model_uri, serving_model_dir, extra_files=extra)
    logger.info("Pushed model version %s to %s", version, destination)
    return {"pushed": True, "pushed_destination": destination, "pushed_version": version, "reason": "model blessed"}
