"""infra_validate: the real exported model answers canaries; garbage signatures are stopped."""
import json
import os

import pytest

from components.common.errors import ConfigurationError
from components.common.blessing import is_infra_blessed
from components.infra_validate.runtime import infra_validate
from components.common.blessing import push_decision
from components.push.runtime import push_model


def _save_model(path, outputs_fn):
    """A SavedModel whose serving_default maps serialized examples to outputs_fn(batch size)."""
    import tensorflow as tf

    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        return outputs_fn(tf.shape(examples)[0])

    module.serve = serve
    tf.saved_model.save(module, str(path), signatures={"serving_default": serve})
    return str(path)


def _nan_probabilities(n):
    import tensorflow as tf

    return {"probabilities": tf.fill([n, 3], float("nan")), "class_ids": tf.zeros([n], tf.int64)}


def _unnormalized_probabilities(n):
    import tensorflow as tf

    return {"probabilities": tf.fill([n, 3], 0.5), "class_ids": tf.zeros([n], tf.int64)}


def _wrong_width(n):
    import tensorflow as tf

    return {"probabilities": tf.fill([n, 2], 0.5)}


def _regression_output(n):
    import tensorflow as tf

    return {"predictions": tf.zeros([n])}


def test_the_exported_model_passes_and_latency_is_recorded(tmp_path, penguin_run):
    run = penguin_run
    report = infra_validate(run.model, run.examples, run.transform_graph, str(tmp_path / "infra"), num_examples=40, batch_size=16)
    eval_rows = run.ingest_result["split_row_counts"]["eval"]
    assert report["blessed"] is True, report["reasons"]
    assert report["examples"] == min(40, eval_rows) and report["batches"] == 3  # 16 + 16 + 8
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"] and latency["warmup"] > 0
    assert is_infra_blessed(str(tmp_path / "infra"))
    saved = json.load(open(tmp_path / "infra" / "infra_validation.json"))
    assert saved["blessed"] is True and "probabilities summing to 1" in saved["reasons"][0]


@pytest.mark.parametrize(
    "outputs_fn, expected",
    [
        (_nan_probabilities, "probabilities are NaN or infinite for 16 of 16 examples"),
        (_unnormalized_probabilities, "do not sum to 1 (row 0 sums to 1.5)"),
        (_wrong_width, "probabilities have shape [16, 2], expected [16, 3]"),
        (_regression_output, "no 'probabilities'"),
    ],
    ids=["nan", "not-summing-to-one", "wrong-number-of-classes", "regression-outputs"],
)
def test_a_garbage_signature_is_stopped_and_nothing_is_pushed(tmp_path, penguin_run, outputs_fn, expected):
    from components.common.blessing import write_blessing

    run = penguin_run
    model = _save_model(tmp_path / "garbage", outputs_fn)
    infra = str(tmp_path / "infra")
    report = infra_validate(model, run.examples, run.transform_graph, infra, num_examples=32, batch_size=16)
    assert report["blessed"] is False and not is_infra_blessed(infra)
    assert len(report["reasons"]) == 1 and expected in report["reasons"][0], report["reasons"]
    assert report["reasons"][0].startswith("canary batch 0 (16 examples): ")

    # Even with evaluate's blessing, push refuses and says why.
    write_blessing(str(tmp_path / "blessing"), True, ["passes every threshold"])
    ok, reasons = push_decision(str(tmp_path / "blessing"), infra)
    serving = tmp_path / "serving"
    result = push_model(model, str(serving), ok, reasons)
    assert result["pushed"] is False and expected in result["reason"]
    assert not serving.exists()


def test_a_model_that_does_not_load_is_stopped(tmp_path, penguin_run):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a protobuf")
    report = infra_validate(str(broken), penguin_run.examples, penguin_run.transform_graph, str(tmp_path / "infra"))
    assert report["blessed"] is False and "does not load" in report["reasons"][0]


def test_bad_settings_are_a_clear_error(tmp_path, penguin_run):
    with pytest.raises(ConfigurationError, match="batch_size"):
        infra_validate(penguin_run.model, penguin_run.examples, penguin_run.transform_graph, str(tmp_path / "i"), batch_size=0)
    with pytest.raises(ConfigurationError, match="No eval examples"):
        infra_validate(penguin_run.model, str(tmp_path), penguin_run.transform_graph, str(tmp_path / "i"))
    assert not os.path.exists(tmp_path / "i")


@pytest.mark.slow
def test_in_a_pipeline_a_nan_model_is_stopped_and_push_pushes_nothing(tmp_path, penguin_run):
    """infra_validate and push as kfp.local runs them (a task process each), on imported artifacts."""
    from kfp import dsl
    from kfp.dsl import Artifact, Dataset, Model

    from components.catalog import infra_validate as infra_validate_component
    from components.catalog import push as push_component
    from components.common.blessing import write_blessing
    from pipelines.local import run_locally

    @dsl.pipeline(name="infra-gate")
    def infra_gate(model_uri: str, examples_uri: str, transform_graph_uri: str, blessing_uri: str,
                   statistics_uri: str, schema_uri: str, serving_model_dir: str):
        model = dsl.importer(artifact_uri=model_uri, artifact_class=Model)
        examples = dsl.importer(artifact_uri=examples_uri, artifact_class=Dataset)
        transform_graph = dsl.importer(artifact_uri=transform_graph_uri, artifact_class=Artifact)
        blessing = dsl.importer(artifact_uri=blessing_uri, artifact_class=Artifact)
        statistics = dsl.importer(artifact_uri=statistics_uri, artifact_class=Artifact)
        schema = dsl.importer(artifact_uri=schema_uri, artifact_class=Artifact)
        check = infra_validate_component(
            model=model.output, examples=examples.output, transform_graph=transform_graph.output, num_examples=20
        )
        push_component(
            model=model.output, blessing=blessing.output, infra_blessing=check.outputs["infra_blessing"],
            statistics=statistics.output, schema=schema.output, serving_model_dir=serving_model_dir,
        )

    write_blessing(str(tmp_path / "blessing"), True, ["passes every threshold"])  # evaluate said yes
    serving = tmp_path / "serving"
    arguments = {
        "model_uri": _save_model(tmp_path / "nan_model", _nan_probabilities),
        "examples_uri": penguin_run.examples,
        "transform_graph_uri": penguin_run.transform_graph,
        "blessing_uri": str(tmp_path / "blessing"),
        "statistics_uri": penguin_run.statistics,
        "schema_uri": penguin_run.schema,
        "serving_model_dir": str(serving),
    }
    summary = run_locally(infra_gate, arguments, str(tmp_path / "run"))

    assert summary["status"] == "succeeded", summary  # a failed check blocks the push, not the run
    assert summary["infra_blessed"] is False
    assert summary["infra_reasons"] == ["canary batch 0 (16 examples): probabilities are NaN or infinite for 16 of 16 examples (rows [0, 1, 2, 3, 4])"]
    assert summary["pushed_model"] is None and not serving.exists()
    assert summary["push_reason"] == "infra validation failed: " + summary["infra_reasons"][0]


def _save_two_signature_model(path, rows_probabilities):
    """serving_examples answers class 0 for every example; serving_default (one input,
    island, as JSON rows) answers ``rows_probabilities`` for every row."""
    import tensorflow as tf

    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_examples(examples):
        n = tf.shape(examples)[0]
        return {"probabilities": tf.tile([[1.0, 0.0, 0.0]], [n, 1]), "class_ids": tf.zeros([n], tf.int64)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="island")])
    def serve_rows(island):
        n = tf.shape(island)[0]
        probabilities = tf.tile([rows_probabilities], [n, 1])
        return {"probabilities": probabilities, "class_ids": tf.argmax(probabilities, axis=1)}

    module.serve_examples, module.serve_rows = serve_examples, serve_rows
    tf.saved_model.save(module, str(path), signatures={"serving_default": serve_rows, "serving_examples": serve_examples})
    return str(path)


def test_both_signatures_are_exercised_and_must_agree(tmp_path, penguin_run):
    run = penguin_run
    report = infra_validate(run.model, run.examples, run.transform_graph, str(tmp_path / "real"), num_examples=20)
    assert report["blessed"] and "as tf.Examples (serving_examples) and as JSON rows (serving_default)" in report["reasons"][0]
    assert report["row_latency_ms"]["p50"] > 0

    agreeing = _save_two_signature_model(tmp_path / "agreeing", [1.0, 0.0, 0.0])
    assert infra_validate(agreeing, run.examples, run.transform_graph, str(tmp_path / "a"), num_examples=20)["blessed"]

    disagreeing = _save_two_signature_model(tmp_path / "disagreeing", [0.0, 1.0, 0.0])
    report = infra_validate(disagreeing, run.examples, run.transform_graph, str(tmp_path / "d"), num_examples=20)
    assert not report["blessed"] and not is_infra_blessed(str(tmp_path / "d"))
    assert report["reasons"] == [
        "canary batch 0 (16 examples): class_ids differ between serving_default and serving_examples for 16 examples",
        "canary batch 0 (16 examples): probabilities differ between serving_default and serving_examples by up to 1",
    ]


def test_a_model_whose_serving_default_takes_tf_examples_is_not_passed(tmp_path, penguin_run):
    """As train exported models before the JSON-row signature: a JSON client cannot call it."""
    import tensorflow as tf

    run = penguin_run
    model = tf.saved_model.load(run.model)
    old = str(tmp_path / "old")
    tf.saved_model.save(model, old, signatures={"serving_default": model.signatures["serving_examples"]})
    report = infra_validate(old, run.examples, run.transform_graph, str(tmp_path / "infra"), num_examples=20)
    assert not report["blessed"] and report["examples"] == 20  # every canary answered through the tf.Example form
    assert "serving_default takes serialized tf.Examples" in report["reasons"][0] and "cannot call it" in report["reasons"][0]
