"""Settings of evaluate and push, checked before any work (the ``check_settings`` task).

Runs right after ``schema``, beside ``validate``, and before ``transform``: a threshold
on a metric that will not be computed, a slice on a feature the data lacks, or a
serving folder that cannot be written stops the run in seconds, not after training.
What it needs is already known there: the task follows from the label's type and
range in the schema and train statistics (``components.common.task``), the metric
names from the task (``components.evaluate.config``), the features from the schema.
"""
import logging
import os
from typing import Dict, List, Optional, Sequence

from components.common import layout, storage
from components.common.errors import ConfigurationError
from components.common.task import CLASSIFICATION, class_count_from_statistics, infer_task
from components.evaluate.config import check_thresholds, parse_slices

logger = logging.getLogger(__name__)


def check_slices(slices: List[List[str]], feature_names: Sequence[str]) -> None:
    """Raise ConfigurationError naming any slice feature the schema does not have."""
    unknown = sorted({name for names in slices for name in names if name not in feature_names})
    if unknown:
        raise ConfigurationError(
            f"slices name feature(s) {unknown} that are not in the schema; features: {', '.join(feature_names)}. "
            'Give feature names, or "a,b" to cross two features.'
        )


def check_serving_folder_writable(serving_model_dir: str) -> None:
    """Raise ConfigurationError when models could not be pushed to ``serving_model_dir``.

    Locally: the folder, or the nearest folder above it that exists, must be a
    writable directory (nothing is created). On an object store: the bucket must
    be listable with the run's credentials (writing is only proven by the push).
    """
    if not serving_model_dir:
        raise ConfigurationError("serving_model_dir is empty: give the base folder models are pushed to.")
    if storage.is_remote(serving_model_dir):
        try:
            storage.list_files(serving_model_dir)  # an empty prefix lists as []; a missing bucket raises
        except Exception as error:  # any client error (no bucket, no permission, network) names the cause
            raise ConfigurationError(
                f"The serving folder {serving_model_dir!r} cannot be listed: {type(error).__name__}: {error}. "
                "Check the bucket name and the run's service account permissions."
            ) from error
        return
    path = os.path.abspath(serving_model_dir)
    existing = path
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ConfigurationError(
            f"The serving folder {serving_model_dir!r} cannot be created: {existing!r} is a file, not a folder. "
            "Give a folder path for serving_model_dir."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"The serving folder {serving_model_dir!r} cannot be written: {existing!r} is not writable by this user. "
            "Give a serving_model_dir you can write to."
        )


def check_settings(
    schema_uri: str,
    statistics_uri: str,
    label: str,
    task: str = "auto",
    thresholds: Optional[Dict[str, Dict[str, float]]] = None,
    change_thresholds: Optional[Dict[str, Dict[str, float]]] = None,
    slices: Optional[Sequence[str]] = None,
    serving_model_dir: Optional[str] = None,
) -> Dict[str, object]:
    """Check the evaluation and push settings against the schema and train statistics.

    Returns ``{"task", "class_count"}`` (what the metric names were checked for).

    Raises:
      ConfigurationError: a threshold or change threshold names a metric that is
        not computed for this task (or a bad bound or direction), a slice names a
        feature the schema lacks, or the serving folder cannot be written.
      DataError: the label is not in the schema or statistics.
    """
    from components.common.metadata import load_schema, load_statistics

    schema = load_schema(layout.schema_path(schema_uri))
    statistics = load_statistics(statistics_uri, layout.TRAIN)
    inferred = infer_task(schema, statistics, label, task)
    class_count = class_count_from_statistics(statistics, label) if inferred == CLASSIFICATION else None
    # Binary-only metrics (auc, precision, ...) are allowed when two classes are possible.
    classes = [str(i) for i in range(class_count or 3)] if inferred == CLASSIFICATION else []
    check_thresholds({"task": inferred, "classes": classes}, dict(thresholds or {}), dict(change_thresholds or {}))
    check_slices(parse_slices(slices) or [], [f.name for f in schema.feature])
    if serving_model_dir is not None:
        check_serving_folder_writable(serving_model_dir)
    logger.info("Settings checked: task %s, %s classes", inferred, class_count)
    return {"task": inferred, "class_count": class_count}
