"""Champion/challenger: the candidate against the last pushed model, change thresholds, reasons."""
import csv
import json
import os
import random

import pytest

from components.common.errors import ConfigurationError
from components.common.blessing import is_blessed
from components.common.views.formatting import number, signed
from components.evaluate.runtime import evaluate
from conftest import PENGUINS, read_csv_rows


@pytest.fixture(scope="module")
def weak_model(tmp_path_factory, penguin_run):
    """A barely trained species model: clearly worse than penguin_run's."""
    from components.train.runtime import train

    path = str(tmp_path_factory.mktemp("weak") / "model")
    train(penguin_run.transform_graph, penguin_run.transformed_examples, path, epochs=1, learning_rate=1e-4, hidden_units=[2])
    return path


def _evaluate(run, tmp_path, model, baseline, **kwargs):
    return evaluate(
        model, run.examples, run.schema, run.statistics, run.transform_graph,
        str(tmp_path / "evaluation"), str(tmp_path / "blessing"), report_path=str(tmp_path / "report.md"),
        view_path=str(tmp_path / "view.html"), baseline_model_uri=baseline, baseline_info={"version": 1700000000}, **kwargs,
    )


def test_a_candidate_worse_than_the_baseline_is_not_blessed(tmp_path, penguin_run, weak_model):
    # The value threshold alone would bless it: only the comparison stops it.
    result = _evaluate(penguin_run, tmp_path, weak_model, penguin_run.model, thresholds={"accuracy": {"lower_bound": 0.0}})
    assert result["blessed"] is False and not is_blessed(str(tmp_path / "blessing"))
    candidate, baseline = result["overall"]["accuracy"], result["baseline_overall"]["accuracy"]
    assert baseline >= 0.9 and candidate < baseline - 0.01
    held = [c for c in result["checks"] if c["check"] == "change" and not c["passed"]]
    assert [c["metric"] for c in held] == ["accuracy"]
    low, high = held[0]["interval"]
    assert held[0]["difference"] == pytest.approx(candidate - baseline) and low <= candidate - baseline <= high < -0.01
    assert result["reasons"][0] == held[0]["text"] and "its collapse is not checked" in result["reasons"][-1]
    assert "against the champion on the same examples, paired 95 % interval" in held[0]["text"]
    assert result["change_thresholds"] == {"accuracy": {"max_drop": 0.01}}
    comparison = {row["metric"]: row for row in result["comparison"]}
    assert comparison["accuracy"]["candidate"] == candidate and comparison["accuracy"]["baseline"] == baseline
    saved = json.load(open(tmp_path / "blessing" / "blessing.json"))
    assert saved["blessed"] is False and saved["baseline_overall"]["accuracy"] == baseline
    assert saved["baseline"]["version"] == 1700000000
    report = open(tmp_path / "report.md").read()
    assert "**NOT BLESSED**" in report and "version 1700000000" in report
    assert f"| accuracy | {number(candidate)} [" in report and f"| {signed(candidate - baseline)} |" in report
    assert "| accuracy | accuracy ≥ 0 | may drop by at most 0.01000 |" in report
    view = open(tmp_path / "view.html").read()  # the champion beside the candidate in the HTML view too
    assert "NOT BLESSED" in view and "(version 1700000000)" in view and "champion [95 % interval]" in view
    assert f"{number(candidate)} [" in view and f"{number(baseline)} [" in view and signed(candidate - baseline) in view


def test_a_candidate_as_good_as_the_baseline_is_blessed(tmp_path, penguin_run):
    result = _evaluate(penguin_run, tmp_path, penguin_run.model, penguin_run.model, slices=["island"],
                       change_thresholds={"accuracy": {"max_drop": 0.0}, "loss": {"max_relative_increase": 0.0}})
    assert result["blessed"] is True
    assert result["overall"]["accuracy"] == result["baseline_overall"]["accuracy"]
    change = {c["metric"]: c for c in result["checks"] if c["check"] == "change"}
    assert change["accuracy"]["difference"] == 0 and change["accuracy"]["passed"]
    assert "it may grow by at most 0 % of the baseline's value" in change["loss"]["text"]
    assert list(result["slices"]) == ["Overall", "island=Biscoe", "island=Dream", "island=Torgersen"]


def test_without_a_baseline_value_thresholds_alone_decide(tmp_path, penguin_run, weak_model):
    from components.common.baseline_model import write_no_baseline

    marker = str(tmp_path / "no_baseline")
    write_no_baseline(marker, str(tmp_path / "serving"))
    result = _evaluate(penguin_run, tmp_path, weak_model, marker, thresholds={"accuracy": {"lower_bound": 0.0}})
    assert result["blessed"] is True and result["baseline"]["found"] is False
    assert result["baseline_overall"] is None and result["change_thresholds"] == {}
    assert "no champion in the serving folder: judged without change thresholds" in result["reasons"]


def test_default_change_thresholds():
    from components.evaluate.config import default_change_thresholds

    three = {"task": "classification", "classes": ["a", "b", "c"]}
    assert default_change_thresholds(three) == {"accuracy": {"max_drop": 0.01}}
    binary = {"task": "classification", "classes": ["no", "yes"]}
    assert default_change_thresholds(binary) == {"accuracy": {"max_drop": 0.01}, "auc": {"max_drop": 0.01}}
    assert default_change_thresholds({"task": "regression"}) == {"mean_squared_error": {"max_relative_increase": 0.05}}


def test_change_thresholds_are_checked_before_any_work(tmp_path, penguin_run):
    with pytest.raises(ConfigurationError, match=r"'loss'.*'max_drop'.*lower is better.*max_increase"):
        _evaluate(penguin_run, tmp_path, penguin_run.model, None, change_thresholds={"loss": {"max_drop": 0.1}})
    with pytest.raises(ConfigurationError, match="'auc'"):  # not computed for three classes
        _evaluate(penguin_run, tmp_path, penguin_run.model, None, change_thresholds={"auc": {"max_drop": 0.1}})
    with pytest.raises(ConfigurationError, match="must be >= 0"):
        _evaluate(penguin_run, tmp_path, penguin_run.model, None, change_thresholds={"accuracy": {"max_drop": -1}})
    assert not os.path.exists(tmp_path / "blessing")


def _old_layout_copy(model_uri, target):
    """The model as train exported it before the JSON-row signature: its only serving
    signature is serving_default on serialized tf.Examples."""
    import tensorflow as tf

    model = tf.saved_model.load(model_uri)
    tf.saved_model.save(model, target, signatures={
        "serving_default": model.signatures["serving_examples"], "transform_features": model.signatures["transform_features"],
    })
    return target


def test_a_champion_exported_before_the_json_rows_signature_is_still_compared(tmp_path, penguin_run):
    from components.common.signatures import read_signature_defs, signature_inputs_of
    from components.predict.model import ModelOutputs

    old = _old_layout_copy(penguin_run.model, str(tmp_path / "old_champion"))
    assert signature_inputs_of(read_signature_defs(old))["serving_default"] == ["examples"]
    assert "serving_examples" not in read_signature_defs(old)
    result = _evaluate(penguin_run, tmp_path, penguin_run.model, old)
    assert result["baseline"]["found"] and result["blessed"] is True, result["reasons"]
    assert result["baseline_overall"]["accuracy"] == result["overall"]["accuracy"]  # the same weights
    assert ModelOutputs(old).signature == "serving_default" and ModelOutputs(penguin_run.model).signature == "serving_examples"


def test_a_baseline_for_another_task_is_a_clear_error(tmp_path, penguin_run):
    import tensorflow as tf

    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        return {"predictions": tf.zeros([tf.shape(examples)[0]])}

    module.serve = serve
    regression = str(tmp_path / "regression")
    tf.saved_model.save(module, regression, signatures={"serving_default": serve, "transform_features": serve})
    with pytest.raises(ConfigurationError, match=r"cannot be compared.*returns \['predictions'\], not 'probabilities'.*another serving_model_dir"):
        _evaluate(penguin_run, tmp_path, penguin_run.model, regression)
    assert not os.path.exists(tmp_path / "blessing")


def _shuffled_train_labels(source, target, label, seed=0, split="train"):
    """The same CSV, except that the labels of the rows ingest puts in ``split`` are shuffled.

    Rows of the other split are left byte for byte. A shuffled row whose new line
    would hash into the other split gets trailing spaces after its first cell
    (ingest strips cells: the same value) until it hashes into ``split`` again.
    """
    from components.ingest.runtime import split_of

    with open(source, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    column = header.index(label)
    line = lambda cells: ",".join(cells)  # the sample CSV has no quoted cells
    train = [i for i, r in enumerate(rows) if r[column] and split_of(line(r).encode(), 0.8) == split]
    labels = [rows[i][column] for i in train]
    random.Random(seed).shuffle(labels)
    for index, new_label in zip(train, labels):
        row = list(rows[index])
        row[column] = new_label
        while split_of(line(row).encode(), 0.8) != split:
            row[0] += " "
        rows[index] = row
    with open(target, "w", newline="") as handle:
        handle.write("\n".join(line(r) for r in [header] + rows) + "\n")
    return str(target)


@pytest.mark.slow
def test_second_run_on_shuffled_labels_is_not_blessed_and_pushes_nothing(tmp_path):
    from pipelines import training
    from pipelines.local import run_locally

    serving = str(tmp_path / "serving")
    common = {"label": "species", "serving_model_dir": serving, "epochs": 10}
    first = run_locally(training, {"data_path": PENGUINS, **common}, str(tmp_path / "first"))
    assert first["status"] == "succeeded" and first["blessed"] is True, first
    assert first["baseline"] is None and first["baseline_metrics"] is None and first["infra_blessed"] is True
    assert first["pushed_model"] and first["infra_latency_ms"]["p95"] > 0
    version = int(os.path.basename(first["pushed_model"]))

    shuffled = _shuffled_train_labels(PENGUINS, tmp_path / "shuffled.csv", "species")
    assert len(read_csv_rows(shuffled)) == 344
    second = run_locally(training, {"data_path": shuffled, **common}, str(tmp_path / "second"))

    assert second["status"] == "succeeded", second
    assert second["rows"] == first["rows"]  # the same eval rows, with their true labels
    assert second["blessed"] is False and second["pushed_model"] is None
    assert sorted(os.listdir(serving)) == [str(version)]  # nothing pushed, nothing touched
    assert second["baseline"] == {"version": version, "uri": first["pushed_model"]}
    new, old = second["metrics"]["accuracy"], second["baseline_metrics"]["accuracy"]
    assert old == pytest.approx(first["metrics"]["accuracy"]) and old >= 0.9 and new < 0.7
    assert any(r.startswith(f"accuracy changed by {signed(new - old)} against the champion") for r in second["blessing_reasons"])
    assert any("McNemar" in r for r in second["blessing_reasons"])  # no better than the most frequent class
    assert second["infra_blessed"] is True  # a bad model, but a sound signature
    assert second["push_reason"].startswith("not blessed by evaluate: ")
    report = open(os.path.join(second["run_dir"], "evaluate", "evaluation_report")).read()
    assert "| metric | candidate | baseline | change |" in report

    # New data whose eval labels disagree with what the champion learned: it collapses.
    relabelled = _shuffled_train_labels(PENGUINS, tmp_path / "eval_shuffled.csv", "species", seed=1, split="eval")
    third = run_locally(training, {"data_path": relabelled, **common}, str(tmp_path / "third"))
    assert third["status"] == "succeeded" and third["blessed"] is False and third["pushed_model"] is None, third
    collapse = [r for r in third["blessing_reasons"] if r.startswith(f"the champion (version {version}) scores accuracy")]
    assert collapse and "when it was blessed" in collapse[0] and "accept_champion_collapse" in collapse[0]
    assert sorted(os.listdir(serving)) == [str(version)]
