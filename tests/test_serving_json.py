"""The exported model called as a JSON client calls it: TF Serving's REST row format
(``{"instances": [{...}]}``) and Vertex AI's ``Endpoint.predict`` (the real
google-cloud-aiplatform against the loopback fake, which answers through the same row
format). The answers must equal the tf.Example signature's for the same rows."""
import json
import math

import numpy as np
import pytest
from google.auth.credentials import AnonymousCredentials

from components.common import signatures
from conftest import PENGUINS, read_csv_rows, run_chain, serialized_examples
from fakes.fixtures import fake_vertex  # noqa: F401 (fixture)
from fakes.tf_serving import RowFormatError, predict_rows, row_tensors

LABEL = "species"
STRINGS = {"island", "sex"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The penguin classifier, trained through the runtime functions (no evaluation)."""
    return run_chain(tmp_path_factory.mktemp("serving_json"), PENGUINS, LABEL, epochs=3, until="train")


def json_instances(rows):
    """CSV rows as a JSON client sends them: a float for every number (``181.0``, not
    ``181``), NaN for a missing number, "" for a missing string; no label."""
    return [
        {name: (cell if name in STRINGS else float(cell) if cell != "" else float("nan"))
         for name, cell in row.items() if name != LABEL}
        for row in rows
    ]


def by_examples(model, rows):
    outputs = model.signatures[signatures.EXAMPLES](examples=_constant(serialized_examples(rows, skip={LABEL})))
    return {name: value.numpy() for name, value in outputs.items()}


def _constant(values):
    import tensorflow as tf

    return tf.constant(values)


def test_tf_serving_json_rows_with_floats_and_missing_values_answer_as_tf_examples(trained):
    import tensorflow as tf

    model = tf.saved_model.load(trained.model)
    rows = read_csv_rows(PENGUINS)
    instances = json_instances(rows)
    missing = [i for i, row in enumerate(rows) if any(cell == "" for cell in row.values())]
    assert missing and any(math.isnan(instances[i]["body_mass_g"]) for i in missing)  # the bundled data has gaps

    signature = model.signatures[signatures.SERVING_DEFAULT]
    specs = signature.structured_input_signature[1]
    assert set(specs) == set(rows[0]) - {LABEL}  # one input per raw feature, no label
    assert {name: spec.dtype.name for name, spec in specs.items()} == {
        name: "string" if name in STRINGS else "float64" for name in specs
    }
    body = json.dumps({"instances": instances})  # Python writes NaN as TF Serving's parser reads it
    assert '"flipper_length_mm": 181.0' in body and "NaN" in body
    answer = predict_rows(model, body)["predictions"]

    expected = by_examples(model, rows)
    assert len(answer) == len(rows) == 344
    assert [a["classes"] for a in answer] == [c.decode() for c in expected["classes"]]
    assert [a["class_ids"] for a in answer] == expected["class_ids"].tolist()
    np.testing.assert_allclose([a["probabilities"] for a in answer], expected["probabilities"], rtol=0, atol=1e-6)

    # Whole numbers may come as JSON integers too (TF Serving takes them for a float64 input).
    as_integers = [dict(i, flipper_length_mm=int(i["flipper_length_mm"])) for i in instances[:3]]
    first_three = predict_rows(model, json.dumps({"instances": as_integers}))["predictions"]
    assert [a["classes"] for a in first_three] == [a["classes"] for a in answer[:3]]
    # float32 sums differ in the last digits with the batch's size (3 rows here, 344 above).
    np.testing.assert_allclose([a["probabilities"] for a in first_three], [a["probabilities"] for a in answer[:3]],
                               rtol=0, atol=1e-6)


def test_values_the_model_cannot_read_are_refused_naming_the_feature(trained):
    import tensorflow as tf

    model = tf.saved_model.load(trained.model)
    signature = model.signatures[signatures.SERVING_DEFAULT]
    row = json_instances(read_csv_rows(PENGUINS)[:1])[0]
    # flipper_length_mm is int64 in training: a fraction is not silently truncated.
    with pytest.raises(tf.errors.InvalidArgumentError, match="Feature: flipper_length_mm holds whole numbers"):
        signature(**row_tensors(signature, [dict(row, flipper_length_mm=181.5)]))
    # island was present in every training row (FixedLenFeature without default): missing
    # is refused, as the tf.Example signature refuses an example without it.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Feature: island \(data type: string\) is required"):
        signature(**row_tensors(signature, [dict(row, island="")]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="island"):
        model.signatures[signatures.EXAMPLES](examples=_constant(serialized_examples([{"bill_length_mm": "39.1"}])))
    # The row format itself: the label is no input, and null is no number.
    with pytest.raises(RowFormatError, match="keys must be equal to"):
        row_tensors(signature, [dict(row, species="Adelie")])
    with pytest.raises(RowFormatError, match="null is not of expected type: float64"):
        row_tensors(signature, [dict(row, body_mass_g=None)])


def test_vertex_endpoint_predict_answers_json_instances(trained, fake_vertex, tmp_path):
    import tensorflow as tf
    from google.cloud import aiplatform

    from components.push.runtime import push_model
    from components.vertex_push.runtime import push_to_vertex

    pushed = push_model(trained.model, str(tmp_path / "serving"), blessed=True)["pushed_destination"]
    artifact_uri = "gs://pipeline-bucket/root/serving/" + pushed.rsplit("/", 1)[1]
    fake_vertex.model_files[artifact_uri] = pushed  # the fake's Cloud Storage
    created = push_to_vertex(
        artifact_uri, True, project="my-project", location="europe-west4", model_display_name="penguins",
        endpoint_display_name="penguins-online", api_endpoint=fake_vertex.url, credentials=AnonymousCredentials(),
    )
    aiplatform.init(project="my-project", location="europe-west4", credentials=AnonymousCredentials(),
                    api_endpoint=fake_vertex.url, api_transport="rest")
    endpoint = aiplatform.Endpoint(created["endpoint"])

    # The SDK's Endpoint.predict sends protobuf Values as JSON: NaN cannot be one, so rows
    # with a missing number go through raw_predict (README); missing strings are "".
    rows = [r for r in read_csv_rows(PENGUINS) if all(r[n] != "" for n in r if n not in STRINGS)]
    assert any(r["sex"] == "" for r in rows)
    instances = json_instances(rows)
    prediction = endpoint.predict(instances=instances)

    [request] = fake_vertex.calls("POST", r"/v1/projects/my-project/locations/europe-west4/endpoints/[^/]+:predict")
    assert request.path.endswith(created["endpoint"].rsplit("/", 1)[1] + ":predict")
    assert request.body["instances"] == instances and request.status == 200
    first = request.body["instances"][0]
    assert first == {"island": "Torgersen", "bill_length_mm": 39.1, "bill_depth_mm": 18.7, "flipper_length_mm": 181.0,
                     "body_mass_g": 3750.0, "sex": "male", "year": 2007.0}
    assert isinstance(first["flipper_length_mm"], float)  # what TF Serving refuses for an int64 input
    assert prediction.deployed_model_id == created["deployed_model_id"]

    expected = by_examples(tf.saved_model.load(pushed), rows)
    assert [p["classes"] for p in prediction.predictions] == [c.decode() for c in expected["classes"]]
    np.testing.assert_allclose([p["probabilities"] for p in prediction.predictions], expected["probabilities"], rtol=0, atol=1e-6)

    from google.protobuf import json_format

    with pytest.raises(json_format.SerializeToJsonError, match="Fail to serialize NaN"):  # by the SDK, before any request
        endpoint.predict(instances=json_instances(read_csv_rows(PENGUINS)[3:4]))
    assert len(fake_vertex.calls("POST", r".*:predict")) == 1


def _read_examples(examples_uri):
    import glob
    import os

    import tensorflow as tf

    from components.common import layout

    files = sorted(glob.glob(layout.examples_pattern(examples_uri, layout.ALL)))
    assert files, os.listdir(examples_uri)
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def test_json_lines_instances_are_ingested_as_the_csv_rows_and_predicted_alike(trained, tmp_path):
    """batch-prediction's input as JSON Lines: one request instance per line (floats for
    every number, NaN and "" missing), typed by the training schema as the CSV is."""
    import tensorflow as tf

    from components.common import layout
    from components.ingest.runtime import detect_format, ingest

    rows = read_csv_rows(PENGUINS)
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in json_instances(rows)) + "\n\n")
    assert detect_format([str(path)]) == "jsonl" and detect_format([str(tmp_path / "b.ndjson.gz")]) == "jsonl"
    schema = layout.schema_path(trained.schema)
    result = ingest(str(path), str(tmp_path / "examples"), split_mode="all", schema_path=schema)
    assert result["format"] == "jsonl" and result["split_row_counts"] == {"all": len(rows)}

    def typed(serialized):
        example = tf.train.Example.FromString(serialized)
        return sorted((k, f.WhichOneof("kind"), list(getattr(f, f.WhichOneof("kind")).value)) for k, f in example.features.feature.items())

    got = sorted((typed(e) for e in _read_examples(str(tmp_path / "examples"))), key=repr)
    want = sorted((typed(e) for e in serialized_examples(rows, skip={LABEL})), key=repr)
    assert got == want  # flipper_length_mm sent as 181.0 is stored as int64 181, as in training
    assert ("flipper_length_mm", "int64_list", [181]) in [f for g in got for f in g]

    model = tf.saved_model.load(trained.model)
    answers = model.signatures[signatures.EXAMPLES](examples=tf.constant(_read_examples(str(tmp_path / "examples"))))
    assert sorted(c.decode() for c in answers["classes"].numpy()) == sorted(c.decode() for c in by_examples(model, rows)["classes"])


def test_json_lines_that_cannot_be_read_are_named(tmp_path):
    from components.common.errors import DataError
    from components.ingest.runtime import jsonl_table

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"island": "Biscoe", "year": 2007}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"bad.jsonl, line 2: a JSON list, not an object"):
        jsonl_table(str(bad))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"year": 2007}\n{"year": "last year"}\n')
    with pytest.raises(DataError, match=r"mixed.jsonl: the values of 'year' mix types"):
        jsonl_table(str(mixed))
    table = jsonl_table(str(_write(tmp_path / "ok.jsonl", '{"a": 1.0, "b": ""}\n{"a": NaN, "c": null}\n')))
    assert table.column_names == ["a", "b", "c"] and table.to_pylist() == [
        {"a": 1.0, "b": None, "c": None}, {"a": None, "b": None, "c": None}]


def _write(path, text):
    path.write_text(text)
    return path
