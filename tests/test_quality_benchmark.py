"""The quality benchmark's pieces (benchmarks/quality.py) on tiny data: the holdout
split, the reference's preprocessing, the scores, the rows sent to a SavedModel's
``serving_default`` as a JSON client sends them, and the table. No pipeline runs here;
the parts that need scikit-learn or the data packages (benchmarks/requirements-quality*.txt,
installed by the benchmark command, not by the runtime lock) are skipped without them."""
import math
import os
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "benchmarks"))
import quality  # noqa: E402

TINY = quality.Dataset("tiny", "kind", quality.CLASSIFICATION, load=lambda: None, source="test",
                       identifiers=("row id",), dates=("day",))


def tiny_frame(rows=40):
    rng = np.random.RandomState(0)
    return pd.DataFrame({
        "row id": [f"R{i:04d}" for i in range(rows)],
        "day": [f"2012/{1 + i % 12:02d}/{1 + i % 28:02d}" for i in range(rows)],
        "size (cm)": [str(round(v, 2)) if i % 7 else "" for i, v in enumerate(rng.uniform(0, 10, rows))],
        "colour": [["red", "blue", "green"][i % 3] for i in range(rows)],
        "kind": ["a" if i % 4 else "b" for i in range(rows - 2)] + ["", None],
    })


def test_holdout_is_seeded_stratified_disjoint_and_keeps_unlabelled_rows_in_the_rest():
    frame = tiny_frame()
    rest, holdout = quality.split_holdout(frame, "kind", quality.CLASSIFICATION, 0.25, seed=3)
    again_rest, again_holdout = quality.split_holdout(frame, "kind", quality.CLASSIFICATION, 0.25, seed=3)
    pd.testing.assert_frame_equal(holdout, again_holdout)
    other = quality.split_holdout(frame, "kind", quality.CLASSIFICATION, 0.25, seed=4)[1]
    assert set(other["row id"]) != set(holdout["row id"])
    assert not set(rest["row id"]) & set(holdout["row id"])
    assert len(rest) + len(holdout) == len(frame)
    # 28 "a" and 10 "b" labelled: a quarter of each class; the two rows without a label stay in rest.
    assert holdout["kind"].value_counts().to_dict() == {"a": 7, "b": 2}
    assert quality.labelled(holdout, "kind").all()
    assert (~quality.labelled(rest, "kind")).sum() == 2
    # Regression: no stratification, the same share.
    numbers = pd.DataFrame({"y": [str(i) for i in range(50)] + [""], "x": range(51)})
    rest_r, holdout_r = quality.split_holdout(numbers, "y", quality.REGRESSION, 0.2, seed=1)
    assert len(holdout_r) == 10 and "" in set(rest_r["y"])


def test_reference_preprocessing_drops_ids_expands_dates_and_types_columns():
    frame = tiny_frame()
    train, other = frame.iloc[:30].reset_index(drop=True), frame.iloc[30:].reset_index(drop=True)
    other.loc[0, "colour"] = "purple"  # unseen in training
    x_train, x_other = quality.reference_features(train, other, TINY)
    assert "row id" not in x_train and "kind" not in x_train and "day" not in x_train
    assert list(x_train.columns) == list(x_other.columns) == [
        "day__day_number", "day__month", "day__day_of_year", "day__day_of_week", "size (cm)", "colour"]
    assert x_train.loc[0, "day__day_number"] == (pd.Timestamp("2012-01-01") - pd.Timestamp("1970-01-01")).days
    assert x_train.loc[1, "day__month"] == 2 and x_train.loc[1, "day__day_of_year"] == 31 + 2
    assert x_train["size (cm)"].dtype == float and math.isnan(x_train.loc[0, "size (cm)"])
    assert isinstance(x_train["colour"].dtype, pd.CategoricalDtype)
    assert list(x_train["colour"].cat.categories) == ["blue", "green", "red"]
    assert pd.isna(x_other.loc[0, "colour"]) and x_other.loc[1, "colour"] in ("red", "blue", "green")


def test_scores_accuracy_across_spellings_and_r2():
    assert quality.score(quality.CLASSIFICATION, ["1", "2", "3", "3"], [b"1", 2.0, "3", "1"]) == 0.75
    y = [1.0, 2.0, 3.0, 4.0]
    assert quality.score(quality.REGRESSION, y, y) == 1.0
    assert quality.score(quality.REGRESSION, y, [2.5] * 4) == 0.0
    assert quality.score(quality.REGRESSION, ["1", "2", "3", "4"], [2, 2, 3, 3]) == pytest.approx(1 - 2 / 5)
    assert quality.trivial_score(quality.CLASSIFICATION, ["a", "a", "b"], ["a", "b"]) == 0.5
    assert quality.trivial_score(quality.REGRESSION, [1, 3], [1.0, 3.0]) == 0.0


def test_client_rows_use_safe_input_names_floats_nan_and_leave_out_the_label():
    rows = [{"mean radius": "1.5", "colour": "red", "2nd.x": "", "kind": "a"},
            {"mean radius": "", "colour": "", "2nd.x": "7", "kind": "b"}]
    specs = {"mean_radius": "float64", "colour": "string", "f_2nd_x": "float64"}
    values = quality.client_instances(rows, specs, label="kind")
    assert set(values) == set(specs)
    assert values["mean_radius"][0] == 1.5 and math.isnan(values["mean_radius"][1])
    assert values["colour"] == ["red", ""]
    assert math.isnan(values["f_2nd_x"][0]) and values["f_2nd_x"][1] == 7.0
    with pytest.raises(ValueError, match="no column for"):
        quality.client_instances(rows, dict(specs, height="float64"), label="kind")


def test_model_predictions_call_serving_default_with_client_rows(tmp_path):
    import tensorflow as tf

    class Tiny(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float64, name="mean_radius"),
                                      tf.TensorSpec([None], tf.string, name="colour")])
        def serve(self, mean_radius, colour):
            big = tf.logical_or(mean_radius > 2.0, tf.equal(colour, "red"))
            return {"classes": tf.where(big, tf.constant("M"), tf.constant("B"))}

    module = Tiny()
    tf.saved_model.save(module, str(tmp_path / "model"), signatures={"serving_default": module.serve})
    rows = [{"mean radius": "3", "colour": "blue", "diagnosis": "M"},
            {"mean radius": "1", "colour": "red", "diagnosis": "M"},
            {"mean radius": "", "colour": "", "diagnosis": "B"}]
    answers = quality.model_predictions(str(tmp_path / "model"), rows, "diagnosis", batch=2)
    assert answers == ["M", "M", "B"]
    assert quality.score(quality.CLASSIFICATION, [r["diagnosis"] for r in rows], answers) == 1.0


def test_table_counts_a_run_that_pushed_nothing_as_a_miss():
    runs = [
        {"dataset": "d", "task": quality.CLASSIFICATION, "seed": 1, "pushed": True, "ours": 0.90,
         "ours_pushed": 0.90, "reference": 0.91, "trivial": 0.5, "rows_rest": 80, "rows_holdout": 20},
        {"dataset": "d", "task": quality.CLASSIFICATION, "seed": 2, "pushed": True, "ours": 0.94,
         "ours_pushed": 0.94, "reference": 0.92, "trivial": 0.5},
        {"dataset": "r", "task": quality.REGRESSION, "seed": 1, "pushed": False, "ours": 0.6,
         "ours_pushed": None, "reference": 0.5, "trivial": 0.0},
    ]
    rows = quality.summarize(runs)
    assert rows[0]["met"] and rows[0]["gap"] == pytest.approx(0.005) and rows[0]["gap_min"] == pytest.approx(-0.01)
    assert rows[0]["ours"] == pytest.approx(0.92) and rows[0]["ours_sd"] == pytest.approx(0.0283, abs=1e-4)
    assert not rows[1]["met"] and rows[1]["pushed"] == 0 and rows[1]["ours_any"] == 0.6
    table = quality.markdown(rows)
    assert "| d | accuracy | 80 / 20 |" in table and "0/1" in table and "pushed or not: 0.600" in table


def test_reference_fits_tiny_data_and_package_files_are_found_without_import():
    pytest.importorskip("sklearn")
    frame = tiny_frame(240)
    frame["kind"] = ["b" if c == "red" else "a" for c in frame["colour"]]  # learnable from colour
    rest, holdout = quality.split_holdout(frame, "kind", quality.CLASSIFICATION, 0.25, seed=1)
    predicted = quality.reference_predictions(rest, holdout, TINY, seed=1)
    assert quality.score(quality.CLASSIFICATION, holdout["kind"].tolist(), predicted) == 1.0
    assert os.path.isfile(quality.package_file("sklearn", "datasets", "data", "wine_data.csv"))
    with pytest.raises(SystemExit, match="not installed"):
        quality.package_file("no_such_package_for_the_benchmark", "x.csv")
