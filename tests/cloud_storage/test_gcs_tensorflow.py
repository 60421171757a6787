"""Baseline and predict from a gs:// serving folder with TensorFlow's own GCS
filesystem loading the model (predict, and TFMA in evaluate), on the emulator (in a
private namespace: ``tensorflow_gcs.py`` says why and how). Push writes through
Beam's filesystem, TensorFlow reads."""
import json
import math
import os
import string

import pytest

from conftest import read_csv_rows

from .tensorflow_gcs import namespace_unavailable, run_with_tensorflow_gcs

SCRIPT = string.Template('''
import json
from tests.cloud_storage.conftest import anonymous_beam_credentials
anonymous_beam_credentials()
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from components.baseline.runtime import latest_pushed_model
from components.evaluate.runtime import evaluate
from components.predict.runtime import predict
from components.push.runtime import push_model

client = storage.Client(project="test", credentials=AnonymousCredentials())
client.create_bucket("models")
push_model($model, "gs://models/serving", blessed=True)
newest = push_model($model, "gs://models/serving", blessed=True)
# A newer version a push is still writing: saved_model.pb, but no _PUBLISHED yet.
client.bucket("models").blob(f"serving/{newest['pushed_version'] + 100}/saved_model.pb").upload_from_string(b"not yet")
result = predict($examples, $statistics, "gs://models/serving", $out)
baseline = latest_pushed_model("gs://models/serving")
evaluation = evaluate(
    $model, $examples, $schema, $statistics, $transform_graph, $out + "-evaluation", $out + "-blessing",
    baseline_model_uri=baseline["uri"], baseline_info=baseline,
)
with open($result_path, "w") as handle:
    json.dump({"newest": newest, "result": result, "baseline": baseline, "overall": evaluation["overall"],
               "baseline_overall": evaluation["baseline_overall"]}, handle)
''')


def _rows(files):
    """Every output row as (its fields other than probabilities, its probabilities), sorted."""
    rows = []
    for path in files:
        for row in read_csv_rows(path):
            fields = tuple(sorted((k, v) for k, v in row.items() if not k.startswith("probability_")))
            probabilities = tuple(sorted((k, float(v)) for k, v in row.items() if k.startswith("probability_")))
            rows.append((fields, probabilities))
    return sorted(rows)


def _assert_same_predictions(rows, expected):
    """Same rows and classes; probabilities equal up to float32 rounding (TensorFlow's sums
    differ in the last digits with the batch a row lands in)."""
    assert [fields for fields, _ in rows] == [fields for fields, _ in expected]
    for (fields, probabilities), (_, wanted) in zip(rows, expected):
        assert [name for name, _ in probabilities] == [name for name, _ in wanted]
        for (name, value), (_, wanted_value) in zip(probabilities, wanted):
            assert math.isclose(value, wanted_value, rel_tol=1e-4, abs_tol=1e-7), (fields, name, value, wanted_value)


@pytest.mark.slow
def test_baseline_and_predict_load_the_newest_complete_version_from_gs_through_tensorflow(penguin_run, tmp_path):
    from components.predict.runtime import predict
    from components.push.runtime import push_model

    reason = namespace_unavailable()
    if reason:
        pytest.skip(f"TensorFlow's GCS filesystem can only reach the emulator in a private namespace: {reason}")
    local_serving = str(tmp_path / "serving")
    push_model(penguin_run.model, local_serving, blessed=True)
    local = predict(penguin_run.examples, penguin_run.statistics, local_serving, str(tmp_path / "local"))

    result_path = str(tmp_path / "result.json")
    script = SCRIPT.substitute(
        model=repr(penguin_run.model), examples=repr(penguin_run.examples), statistics=repr(penguin_run.statistics),
        schema=repr(penguin_run.schema), transform_graph=repr(penguin_run.transform_graph),
        out=repr(str(tmp_path / "from_gs")), result_path=repr(result_path),
    )
    workdir = tmp_path / "namespace"
    workdir.mkdir()
    run = run_with_tensorflow_gcs(script, str(workdir))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]

    with open(result_path) as handle:
        answer = json.load(handle)
    newest, from_gs = answer["newest"], answer["result"]
    assert from_gs["model_dir"] == f"gs://models/serving/{newest['pushed_version']}"
    assert from_gs["model_version"] == newest["pushed_version"]
    assert from_gs["rows"] == local["rows"] == 344
    assert from_gs["classes"] == local["classes"]
    local_files = sorted(os.path.join(str(tmp_path / "local"), f) for f in os.listdir(tmp_path / "local"))
    gs_files = sorted(os.path.join(str(tmp_path / "from_gs"), f) for f in os.listdir(tmp_path / "from_gs"))
    _assert_same_predictions(_rows(gs_files), _rows(local_files))
    # The champion read from gs:// by TFMA is the same model as the candidate.
    assert answer["baseline"] == {"version": newest["pushed_version"], "uri": from_gs["model_dir"]}
    assert answer["baseline_overall"]["accuracy"] == answer["overall"]["accuracy"] >= 0.9
