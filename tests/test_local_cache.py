"""kfp's own local cache on kfp >= 2.17 (the tfx-1.21 track; pipelines/local_cache.py).

The end-to-end test runs the training pipeline twice in one workdir, the second
time with another ``epochs``: train and everything downstream of it run again, the
data steps come from the cache, and the never-cached tasks (the input fingerprint,
the settings check, the baseline lookup, push) run every time. Then a changed data
file (same path) must re-run ingest and what follows: the fingerprint keys it.
On kfp 2.13 (the tfx-1.16 track) there is no local cache and nothing is turned on.
"""
import inspect
import os
import shutil

import pytest

from conftest import PENGUINS, run_training_pipeline
from pipelines import local_cache

NEVER_CACHED = {"fingerprint-inputs", "check-settings", "baseline", "push"}
DOWNSTREAM_OF_TRAIN = {"train", "evaluate", "infra-validate"}


def test_cache_arguments_follow_what_kfp_offers(tmp_path):
    from kfp import local

    arguments = local_cache.cache_arguments(str(tmp_path))
    if "enable_caching" in inspect.signature(local.init).parameters:
        assert arguments == {"enable_caching": True, "cache_root": os.path.join(str(tmp_path), "kfp_cache")}
    else:
        assert arguments == {}


@pytest.mark.slow
@pytest.mark.skipif(not local_cache.local_cache_supported(), reason="kfp < 2.17 has no local cache")
def test_rerun_with_other_epochs_reruns_train_onwards_and_a_changed_file_reruns_all(tmp_path):
    data = str(tmp_path / "penguins.csv")
    shutil.copyfile(PENGUINS, data)
    first = run_training_pipeline(tmp_path, data=data, epochs=15)
    assert first["status"] == "succeeded" and first["blessed"] is True, first
    assert os.listdir(tmp_path / "kfp_cache")

    second = run_training_pipeline(tmp_path, data=data, epochs=20)
    assert second["status"] == "succeeded", second
    assert set(second["task_seconds"]) == NEVER_CACHED | DOWNSTREAM_OF_TRAIN, second["task_seconds"]

    with open(data, "a", encoding="utf-8") as handle:  # one more row: same path, new state
        handle.write(open(PENGUINS, encoding="utf-8").read().splitlines()[1] + "\n")
    third = run_training_pipeline(tmp_path, data=data, epochs=20)
    assert third["status"] == "succeeded", third
    assert {"ingest", "statistics", "transform", "train"} <= set(third["task_seconds"]), third["task_seconds"]
    assert third["rows"]["train"] + third["rows"]["eval"] == 345
