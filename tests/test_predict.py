"""The predict runtime on the models the session fixtures train: one output row per
input row, and the answers the pushed SavedModel gives for those rows itself."""
import glob
import os
import re

import numpy as np
import pytest

from components.common.errors import ConfigurationError, DataError
from conftest import PENGUINS, read_csv_rows, row_key, write_csv


def _push(run, tmp_path, times=1):
    from components.push.runtime import push_model

    serving = str(tmp_path / "serving")
    for _ in range(times):
        pushed = push_model(run.model, serving, blessed=True)
    return serving, pushed["pushed_destination"]


def _examples(examples_uri):
    """Every serialized example of an examples artifact, all splits."""
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_uri, "Split-*", "data_tfrecord-*.gz")))
    return [record.numpy() for record in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _features(serialized):
    """A serialized tf.Example as {name: value}, floats rounded to float32 as stored."""
    import tensorflow as tf

    row = {}
    for name, feature in tf.train.Example.FromString(serialized).features.feature.items():
        values = getattr(feature, feature.WhichOneof("kind")).value if feature.WhichOneof("kind") else []
        if not values:  # ingest writes a missing cell as a feature without values
            continue
        value = values[0]
        row[name] = value.decode() if isinstance(value, bytes) else value
    return row


def _model_answers(model_dir, serialized, key_names):
    """{row key: serving_examples' outputs for that row}, straight from the SavedModel."""
    import tensorflow as tf

    outputs = tf.saved_model.load(model_dir).signatures["serving_examples"](examples=tf.constant(serialized))
    outputs = {name: tensor.numpy() for name, tensor in outputs.items()}
    answers = {}
    for index, example in enumerate(serialized):
        answers[row_key(_features(example), key_names)] = {name: values[index] for name, values in outputs.items()}
    return answers


def _read_csv(files):
    rows = []
    for path in files:
        rows += read_csv_rows(path)
    return rows


@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_classifier_predictions_equal_the_saved_models_answers(penguin_run, tmp_path, output_format):
    from components.predict.runtime import predict

    serving, version_dir = _push(penguin_run, tmp_path)
    result = predict(penguin_run.examples, penguin_run.statistics, serving, str(tmp_path / "out"), output_format=output_format)

    input_rows = sum(penguin_run.ingest_result["split_row_counts"].values())
    assert result["rows"] == input_rows == 344
    assert result["model_dir"] == version_dir and result["task"] == "classification"
    classes = result["classes"]
    assert sorted(classes) == ["Adelie", "Chinstrap", "Gentoo"]
    keys = result["key_columns"]
    assert set(keys) == {"species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"}
    assert result["columns"] == keys + ["predicted_class"] + [f"probability_{c}" for c in classes]

    if output_format == "csv":
        rows = _read_csv(result["files"])
        assert list(rows[0]) == result["columns"]
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(result["files"][0]) if len(result["files"]) == 1 else None
        assert table is not None and str(table.schema.field("probability_Adelie").type) == "float"
        assert str(table.schema.field("year").type) == "int64" and str(table.schema.field("island").type) == "string"
        rows = table.to_pylist()
    assert len(rows) == input_rows

    answers = _model_answers(version_dir, _examples(penguin_run.examples), keys)
    for row in rows:
        expected = answers[row_key(row, keys)]
        assert row["predicted_class"] == expected["classes"].decode()
        probabilities = [float(row[f"probability_{c}"]) for c in classes]
        np.testing.assert_allclose(probabilities, expected["probabilities"], rtol=1e-5, atol=1e-7)
    # The model's answers are not all the same class: the comparison above is not trivial.
    assert len({row["predicted_class"] for row in rows}) == 3


def test_regressor_predictions_as_tfrecord_with_chosen_key_columns(regression_run, tmp_path):
    import tensorflow as tf

    from components.predict.runtime import predict

    serving, version_dir = _push(regression_run, tmp_path)
    keys = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "sex", "year", "species"]
    result = predict(
        regression_run.examples, regression_run.statistics, version_dir, str(tmp_path / "out"),
        output_format="tfrecord", key_columns=keys,
    )
    assert result["task"] == "regression" and result["columns"] == keys + ["prediction"]
    records = [r.numpy() for r in tf.data.TFRecordDataset(result["files"], compression_type="GZIP")]
    assert len(records) == result["rows"] == sum(regression_run.ingest_result["split_row_counts"].values())

    serialized = _examples(regression_run.examples)
    answers = _model_answers(version_dir, serialized, keys)
    predictions = []
    for record in records:
        row = _features(record)
        assert "body_mass_g" not in row  # only the chosen key columns are copied
        predictions.append(row["prediction"])
        assert row["prediction"] == pytest.approx(float(answers[row_key(row, keys)]["predictions"]), rel=1e-5)
    assert np.std(predictions) > 100  # grams: the model answers differently for different penguins


def test_newest_version_is_used_and_bad_model_folders_are_named(penguin_run, tmp_path):
    from components.predict.model import resolve_model_dir

    serving, newest = _push(penguin_run, tmp_path, times=2)
    versions = sorted(os.listdir(serving), key=int)
    assert len(versions) == 2 and resolve_model_dir(serving) == (newest, int(versions[-1])) and newest.endswith(versions[-1])
    assert resolve_model_dir(os.path.join(serving, versions[0]))[1] == int(versions[0])

    empty = tmp_path / "empty_serving"
    empty.mkdir()
    with pytest.raises(ConfigurationError, match="neither a SavedModel .* nor integer version folders"):
        resolve_model_dir(str(empty))
    with pytest.raises(ConfigurationError, match="does not exist"):
        resolve_model_dir(str(tmp_path / "nowhere"))
    (empty / "17").mkdir()  # a version whose push has not finished (no _PUBLISHED)
    with pytest.raises(ConfigurationError, match=r"None of the versions .*\(17\) is complete: none holds _PUBLISHED"):
        resolve_model_dir(str(empty))


def test_bad_parameters_are_named_before_any_row_is_read(penguin_run, tmp_path):
    from components.predict.runtime import predict

    serving, _ = _push(penguin_run, tmp_path)
    with pytest.raises(ConfigurationError, match="'wingspan' not found in the batch; its columns are bill_depth_mm"):
        predict(penguin_run.examples, penguin_run.statistics, serving, str(tmp_path / "a"), key_columns=["wingspan"])
    with pytest.raises(ConfigurationError, match="Unknown output_format 'xlsx'"):
        predict(penguin_run.examples, penguin_run.statistics, serving, str(tmp_path / "b"), output_format="xlsx")
    with pytest.raises(ConfigurationError, match="no signature taking serialized tf.Examples"):
        predict(penguin_run.examples, penguin_run.statistics, penguin_run.transform_graph + "/transform_fn",
                str(tmp_path / "c"))
    assert not os.path.exists(tmp_path / "a") and not os.path.exists(tmp_path / "b")


def test_a_batch_without_a_feature_the_model_needs_names_it_and_a_row(penguin_run, tmp_path):
    from components.ingest.runtime import ingest
    from components.predict.runtime import predict
    from components.statistics.runtime import generate_statistics

    rows = read_csv_rows(PENGUINS)[:40]
    columns = [c for c in rows[0] if c not in ("species", "island")]
    data = write_csv(tmp_path / "no_island.csv", columns, [[row[c] for c in columns] for row in rows])
    ingest(data, str(tmp_path / "examples"), train_ratio=0.5)
    generate_statistics(str(tmp_path / "examples"), str(tmp_path / "statistics"))
    serving, _ = _push(penguin_run, tmp_path)
    with pytest.raises(DataError) as raised:
        predict(str(tmp_path / "examples"), str(tmp_path / "statistics"), serving, str(tmp_path / "out"))
    message = str(raised.value)
    assert "The model needs feature 'island' (string) in every row" in message
    # The row is shown by its key columns, floats as the CSV writes them (39.1, not 39.099998...).
    assert re.search(r"for example the row bill_depth_mm=(\d+\.\d|none), bill_length_mm=(\d+\.\d|none), body_mass_g=", message)
