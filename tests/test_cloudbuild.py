"""cloudbuild.yaml: its structure, its documented substitutions, and every command it runs exists here.

Cloud Build itself is not reachable from the tests, so each step's command is
checked against this repository: `make` targets against the Makefile, `kfp-tf`
command lines against the CLI's parser, and the kfp-tf steps are run for real
(compile) or as dry runs (upload, schedule) with sample substitution values.
"""
import os
import re
import shlex

import pytest
import yaml

from conftest import REPO_ROOT

CLOUDBUILD = os.path.join(REPO_ROOT, "cloudbuild.yaml")
STEPS = ["wheelhouse", "beam-boot", "image", "push", "test", "compile", "upload", "schedule"]
SAMPLE = {
    "PROJECT_ID": "my-project", "SHORT_SHA": "1a2b3c4", "COMMIT_SHA": "1a2b3c4" + "0" * 33,
    "_REGION": "europe-west4", "_IMAGE_REPOSITORY": "kfp-tf", "_TEMPLATE_REPOSITORY": "kfp-templates",
    "_SCHEDULE_CRON": "0 3 * * 1", "_SCHEDULE_PIPELINE": "training", "_SCHEDULE_NAME": "training-ci",
    "_PIPELINE_ROOT": "gs://bucket/root", "_SERVICE_ACCOUNT": "ci@my-project.iam.gserviceaccount.com",
    "_SCHEDULE_PARAMS": "--param data_path=gs://b/d.csv --param label=species --param serving_model_dir=gs://b/s",
}


def load():
    with open(CLOUDBUILD) as handle:
        return yaml.safe_load(handle)


def scripts(document):
    return {step["id"]: step["args"][-1] for step in document["steps"]}


def substitute(text, values, files):
    """Cloud Build's substitution, then the `$$(cat /workspace/FILE)` the steps read back."""
    text = re.sub(r"\$\$\(cat /workspace/([\w.-]+)\)", lambda m: files[m.group(1)], text)
    for name in sorted(values, key=len, reverse=True):
        text = text.replace("${%s}" % name, values[name]).replace("$" + name, values[name])
    return text


def commands(script, program):
    """Command lines of ``program`` in a bash script (one per line)."""
    found = []
    for line in script.splitlines():
        for command in re.split(r"&&|;|\bthen\b", line):
            if command.strip().startswith(program + " "):
                found.append(command.strip())
    return found


def test_structure_and_order():
    document = load()
    assert [step["id"] for step in document["steps"]] == STEPS
    for step in document["steps"]:
        assert step["entrypoint"] == "bash" and step["args"][0] == "-c" and "set -euo pipefail" in step["args"][-1]
    assert document["options"]["dynamic_substitutions"] is True


def test_every_substitution_is_defined_and_documented():
    text = open(CLOUDBUILD).read()
    document = load()
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    used = set(re.findall(r"\$\{(_[A-Z_]+)\}", text))
    assert used <= set(document["substitutions"]), used - set(document["substitutions"])
    for name in document["substitutions"]:
        if name != "_IMAGE":  # derived from the others
            assert re.search(rf"#\s+{name}\s+\S", header), f"{name} is not documented in the header"


def test_every_make_target_exists_in_the_makefile():
    makefile = open(os.path.join(REPO_ROOT, "Makefile")).read()
    targets = set(re.findall(r"^([\w./-]+)\s*:(?!=)", makefile, flags=re.M))
    used = []
    for script in scripts(load()).values():
        for line in commands(script, "make"):
            used.append(shlex.split(line)[1])
    assert used == ["wheelhouse", "beam-boot", "image"]
    assert set(used) <= targets, set(used) - targets


def test_the_test_step_runs_what_make_test_runs():
    makefile = open(os.path.join(REPO_ROOT, "Makefile")).read()
    recipe = re.search(r"^test:.*\n\t(.+)", makefile, flags=re.M).group(1)
    assert "-m pytest" in recipe
    assert "python -m pytest" in scripts(load())["test"]


@pytest.fixture(scope="module")
def ci_files(tmp_path_factory):
    return {"version": "0.1.0", "image_digest": "europe-west4-docker.pkg.dev/my-project/kfp-tf/kfp-tf-components@sha256:" + "b" * 64}


def test_kfp_tf_steps_parse_and_run(ci_files, tmp_path, capsys):
    from pipelines.cli import build_parser, main

    document = load()
    values = dict(SAMPLE, _IMAGE=substitute(document["substitutions"]["_IMAGE"], SAMPLE, ci_files))
    lines = {step: commands(script, "kfp-tf") for step, script in scripts(document).items()}
    assert [step for step, found in lines.items() if found] == ["compile", "upload", "schedule"]
    parser = build_parser()
    argvs = {}
    for step, [line] in ((s, f) for s, f in lines.items() if f):
        argv = shlex.split(substitute(line, values, ci_files).replace("/workspace/compiled-ci", str(tmp_path)))[1:]
        parser.parse_args(argv)  # every subcommand and flag exists
        argvs[step] = argv

    assert main(argvs["compile"]) == 0
    compiled = (tmp_path / "training.yaml").read_text()
    assert ci_files["image_digest"] in compiled
    capsys.readouterr()
    assert main(argvs["upload"] + ["--dry-run"]) == 0
    assert '"0.1.0-1a2b3c4"' in capsys.readouterr().out
    assert main(argvs["schedule"] + ["--dry-run"]) == 0
    printed = capsys.readouterr().out
    for expected in ('"cron": "0 3 * * 1"', '"displayName": "training-ci"', '"serviceAccount": "ci@my-project',
                     '"commit": "1a2b3c4"', '"data_path": "gs://b/d.csv"', '"gcsOutputDirectory": "gs://bucket/root"'):
        assert expected in printed
