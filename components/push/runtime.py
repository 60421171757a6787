"""Push: copy a blessed model to ``<serving_model_dir>/<integer version>/``.

TF Serving loads the highest integer version in a base folder. A version is the
Unix time of the push (bumped past the newest existing version if the clock is
behind), so versions sort in push order. The copy is written beside the target
under a hidden name and renamed into place, so a server never sees a half-copied
model, and an existing version is never overwritten.
"""
import logging
import os
import shutil
import time
import uuid
from typing import Dict, List, Optional, Sequence, Tuple

from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)


def existing_versions(serving_model_dir: str) -> List[int]:
    """Integer version folders already under the serving base folder, ascending."""
    fs = _filesystem(serving_model_dir)
    if not fs.exists(serving_model_dir):
        return []
    return sorted(int(name.rstrip("/")) for name in fs.listdir(serving_model_dir) if name.rstrip("/").isdigit())


def next_version(serving_model_dir: str, now: Optional[float] = None) -> int:
    versions = existing_versions(serving_model_dir)
    candidate = int(now if now is not None else time.time())
    return max([candidate] + [v + 1 for v in versions])


class _LocalFS:
    exists = staticmethod(os.path.exists)
    listdir = staticmethod(os.listdir)


class _GFileFS:
    """tf.io.gfile for remote (gs://) serving folders; imported only when needed."""

    def __init__(self):
        import tensorflow as tf

        self._gfile = tf.io.gfile

    def exists(self, path):
        return self._gfile.exists(path)

    def listdir(self, path):
        return self._gfile.listdir(path)


def _filesystem(path: str):
    return _GFileFS() if "://" in path else _LocalFS()


def _copy_tree_remote(source: str, destination: str) -> None:
    import tensorflow as tf

    for root, _, files in tf.io.gfile.walk(source):
        relative = os.path.relpath(root, source)
        target_root = destination if relative == "." else os.path.join(destination, relative)
        tf.io.gfile.makedirs(target_root)
        for name in files:
            tf.io.gfile.copy(os.path.join(root, name), os.path.join(target_root, name), overwrite=False)


def push_decision(blessing_uri: str, infra_blessing_uri: Optional[str]) -> Tuple[bool, List[str]]:
    """Whether both blessings are positive, and why not.

    ``blessing_uri`` is evaluate's blessing (BLESSED / NOT_BLESSED), and
    ``infra_blessing_uri`` infra_validate's (INFRA_BLESSED / INFRA_NOT_BLESSED);
    None skips the infra check. Returns ``(ok, reasons)``, reasons naming what blocks.
    """
    from components.evaluate.runtime import blessing_reasons, is_blessed
    from components.infra_validate.runtime import infra_reasons, is_infra_blessed

    reasons = []
    if not is_blessed(blessing_uri):
        reasons.append("not blessed by evaluate: " + ("; ".join(blessing_reasons(blessing_uri)) or "no BLESSED file"))
    if infra_blessing_uri is not None and not is_infra_blessed(infra_blessing_uri):
        reasons.append("infra validation failed: " + ("; ".join(infra_reasons(infra_blessing_uri)) or "no INFRA_BLESSED file"))
    return not reasons, reasons


def push_model(
    model_uri: str, serving_model_dir: str, blessed: bool, blocked_by: Sequence[str] = ()
) -> Dict[str, object]:
    """Copy the model to a new version folder if and only if it is blessed.

    ``blocked_by`` gives the reasons when it is not (``push_decision``).

    Returns:
      ``{"pushed": bool, "pushed_destination": path or "", "pushed_version": int or None,
      "reason": str}``.

    Raises:
      ConfigurationError: no serving folder given, or the model folder is not a SavedModel.
    """
    if not blessed:
        reason = "; ".join(blocked_by) or "model not blessed"
        logger.info("Nothing pushed: %s", reason)
        return {"pushed": False, "pushed_destination": "", "pushed_version": None, "reason": reason}
    if not serving_model_dir:
        raise ConfigurationError("serving_model_dir is empty: give the base folder models are pushed to.")
    if not os.path.exists(os.path.join(model_uri, "saved_model.pb")) and "://" not in model_uri:
        raise ConfigurationError(f"{model_uri} holds no saved_model.pb; the train step did not export a model.")
    remote = "://" in serving_model_dir
    if not remote:
        os.makedirs(serving_model_dir, exist_ok=True)
    for _ in range(10):
        version = next_version(serving_model_dir)
        destination = os.path.join(serving_model_dir, str(version))
        if remote:
            # Object stores have no atomic folder rename: copy straight into the new version.
            _copy_tree_remote(model_uri, destination)
            break
        staging = os.path.join(serving_model_dir, f".staging-{version}-{uuid.uuid4().hex[:8]}")
        shutil.copytree(model_uri, staging)
        try:
            # os.rename onto an existing non-empty folder fails, and we check for an
            # empty one first, so an existing version is never replaced.
            if os.path.exists(destination):
                raise FileExistsError(destination)
            os.rename(staging, destination)
            break
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            continue
    else:
        raise RuntimeError(f"Could not find a free version folder under {serving_model_dir}.")
    logger.info("Pushed model version %s to %s", version, destination)
    return {"pushed": True, "pushed_destination": destination, "pushed_version": version, "reason": "model blessed"}
