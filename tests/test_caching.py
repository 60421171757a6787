"""Caching keyed honestly: a task is served from the KFP cache only while what it reads is unchanged.

The fingerprint runtime runs on real files; the cache decisions are KFP's
backend rule replayed on the compiled IR (``kfp_cache``): kfp 2.13's local
runner has no cache to drive.
"""
import os
import pathlib
import shutil
import tempfile
import time

import pytest
import yaml
from kfp import compiler

from components.fingerprint.runtime import fingerprint, list_entries
from conftest import PENGUINS, REPO_ROOT
from kfp_cache import fingerprint_paths, replay

# Tasks that change or read state a fingerprint cannot key: never cached.
# check-settings reads the serving folder (is it writable), so it runs every time.
NEVER_CACHED = {"fingerprint-inputs", "baseline", "check-settings", "push", "predict", "vertex-push"}


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    return str(path)


def test_fingerprint_follows_the_files_not_the_path(tmp_path):
    data = _write(tmp_path / "latest.csv", "a,b\n1,2\n")
    first = fingerprint([data, ""])
    assert fingerprint([data, ""]) == first  # unchanged: same key
    time.sleep(0.02)
    _write(data, "a,b\n3,4\n")  # same size, rewritten: a new mtime
    rewritten = fingerprint([data, ""])
    assert rewritten != first
    _write(data, "a,b\n3,4\n5,6\n")
    assert fingerprint([data, ""]) not in (first, rewritten)
    assert fingerprint(["", data]) != fingerprint([data, ""])  # the role of each path counts


def test_fingerprint_of_a_folder_and_a_glob_sees_files_added(tmp_path):
    folder = tmp_path / "data"
    (folder / "part").mkdir(parents=True)
    _write(folder / "a.csv", "x\n1\n")
    by_folder, by_glob = fingerprint([str(folder)]), fingerprint([str(folder / "*.csv")])
    _write(folder / "part" / "b.csv", "x\n2\n")  # nested: a folder counts every file under it
    assert fingerprint([str(folder)]) != by_folder
    assert fingerprint([str(folder / "*.csv")]) == by_glob  # not matched by the glob
    _write(folder / "c.csv", "x\n3\n")
    assert fingerprint([str(folder / "*.csv")]) != by_glob
    assert [entry[0] for entry in list_entries(str(folder) + "/")] == sorted(
        str(folder / name) for name in ("a.csv", "c.csv", os.path.join("part", "b.csv"))
    )


def test_fingerprint_of_nothing_is_empty_and_an_unlistable_folder_raises(tmp_path):
    assert list_entries(str(tmp_path / "missing.csv")) == []  # ingest names the missing file itself
    assert list_entries(str(tmp_path / "missing" / "*.csv")) == []
    shared = tempfile.mkdtemp(prefix="kfp-tf-test-")  # pytest's tmp_path is root's only
    os.chmod(shared, 0o755)
    locked = pathlib.Path(shared) / "locked"
    locked.mkdir()
    _write(locked / "a.csv", "x\n")
    os.chmod(locked, 0)
    pid = os.fork()  # as root, permissions are not enforced: list as another user
    if pid == 0:
        raised = 0
        try:
            if os.getuid() == 0:
                os.setuid(4242)
            for path in ("*.csv", "a.csv", ""):  # a glob, a file, the folder
                try:
                    list_entries(os.path.join(locked, path))
                except PermissionError:
                    raised += 1  # raised, not taken for "no file"
        finally:
            os._exit(3 - raised)
    try:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    finally:
        os.chmod(locked, 0o755)
        shutil.rmtree(shared)


def _compiled(tmp_path, name):
    from pipelines import PIPELINES

    path = str(tmp_path / f"{name}.yaml")
    compiler.Compiler().compile(PIPELINES[name], path)
    with open(path) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("pipeline", ["training", "data-validation", "batch-prediction"])
def test_a_scheduled_run_on_changed_data_at_the_same_path_is_not_served_stale(tmp_path, pipeline):
    document = _compiled(tmp_path, pipeline)
    data = str(tmp_path / "latest.csv")
    with open(PENGUINS) as handle:
        rows = handle.read().splitlines(keepends=True)
    _write(data, "".join(rows[:200]))
    schema = _write(tmp_path / "schema.pbtxt", 'feature { name: "species" type: BYTES }\n')
    arguments = {
        "training": {
            "data_path": data, "label": "species", "serving_model_dir": str(tmp_path / "serving"),
            "curated_schema_path": schema,
        },
        "data-validation": {"data_path": data, "curated_schema_path": schema},
        "batch-prediction": {"data_path": data, "model_path": str(tmp_path / "serving"), "curated_schema_path": schema},
    }[pipeline]
    cache = {}

    def run():
        value = fingerprint(fingerprint_paths(document, arguments))
        return replay(document, arguments, cache, {"fingerprint-inputs": {"Output": value}})

    first = run()
    assert not any(first.values())
    same = run()  # nothing changed: every cacheable task not after a never-cached one is a hit
    assert same["ingest"] and same["statistics"] and same["schema"] and same["validate"]
    assert not any(same[task] for task in NEVER_CACHED & set(same))
    time.sleep(0.02)
    _write(data, "".join(rows[:1] + rows[200:400]))  # next week's data, same path
    changed = run()
    assert not any(changed.values()), f"served stale: {[t for t, hit in changed.items() if hit]}"
    time.sleep(0.02)
    _write(schema, 'feature { name: "species" type: BYTES }\nfeature { name: "island" type: BYTES }\n')
    assert not any(run().values())  # a curated schema edited in place


def test_compiled_pipelines_cache_each_task_as_designed():
    """The committed YAML (what is submitted): the fingerprint task and side-effecting
    tasks never cached; ingest keyed on the fingerprint; every other task cached."""
    for name in ("training", "data-validation", "batch-prediction", "vertex-training"):
        with open(os.path.join(REPO_ROOT, "compiled", f"{name}.yaml")) as handle:
            tasks = yaml.safe_load(handle)["root"]["dag"]["tasks"]
        caching = {task: spec.get("cachingOptions", {}).get("enableCache", False) for task, spec in tasks.items()}
        assert {task for task, on in caching.items() if not on} == NEVER_CACHED & set(tasks), name
        binding = tasks["ingest"]["inputs"]["parameters"]["input_fingerprint"]["taskOutputParameter"]
        assert binding["producerTask"] == "fingerprint-inputs", name


def test_caching_cannot_be_forced_on_for_the_never_cached_tasks():
    """Forcing every task's cache on would serve the fingerprint, baseline and push
    steps from the cache; only "as compiled" and "off" are offered."""
    from pipelines.cloud import kubeflow, vertex
    from pipelines.cloud.templates import TemplateError
    from pipelines.cli import main

    params = {"data_path": "gs://b/latest.csv", "label": "species", "serving_model_dir": "gs://b/serving"}
    with pytest.raises(TemplateError, match="cannot be forced on"):
        kubeflow.submit("training", params, host="http://127.0.0.1:9", enable_caching=True, dry_run=True)
    settings = vertex.VertexSettings(project="p", region="us-central1", pipeline_root="gs://b/root", enable_caching=True)
    with pytest.raises(TemplateError, match="cannot be forced on"):
        vertex.submit("training", params, settings, dry_run=True)
    with pytest.raises(SystemExit):  # the option is gone from the command line
        main(["submit", "training", "--kubeflow", "--host", "http://127.0.0.1:9", "--caching", "--dry-run"])
    compiled = kubeflow.submit("training", params, host="http://127.0.0.1:9", dry_run=True)["request"]["pipeline_spec"]
    assert compiled == yaml.safe_load(open(os.path.join(REPO_ROOT, "compiled", "training.yaml")))  # as compiled
