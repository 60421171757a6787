"""The Beam steps on a real distributed engine give the local runner's results.

`make test-engine` starts the engine (engine/cluster.py: a Flink JobManager, two
TaskManagers, Beam's Flink job server and a Python SDK worker pool, each its own
process on loopback) and runs this module (marker ``engine``). Ingest, statistics,
transform and batch prediction run through their runtime functions once with Beam's
in-process runner and once on Flink, on the penguins, then evaluation (in its own
process: it runs no Beam pipeline) on each run's examples, and all must agree: the
same rows in each split, statistics equal within sketch error, the same transformed
examples and predictions (identical but for float32 rounding where two workers add in
another order or batch rows otherwise), the same evaluation metrics. The model is trained once,
locally (training is not a Beam step). Without the engine the test fails.
"""
import csv
import glob
import os
import socket
import sys

import pytest

from conftest import PENGUINS, REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "engine"))
import cluster  # noqa: E402  (engine/cluster.py: the engine's ports and Beam flags)

pytestmark = pytest.mark.engine


def _records(pattern):
    """The tf.Examples in the gzip TFRecords matching ``pattern``, each as a sorted tuple
    of (feature, values): comparable whatever the order of rows and of map entries."""
    import tensorflow as tf

    rows = []
    for path in sorted(glob.glob(pattern)):
        for record in tf.data.TFRecordDataset(path, compression_type="GZIP"):
            example = tf.train.Example.FromString(record.numpy())
            row = []
            for name, feature in sorted(example.features.feature.items()):
                kind = feature.WhichOneof("kind")
                row.append((name, tuple(getattr(feature, kind).value) if kind else ()))
            rows.append(tuple(row))
    return sorted(rows)


def _csv_rows(pattern):
    rows = []
    for path in sorted(glob.glob(pattern)):
        with open(path, newline="") as handle:
            rows.extend(tuple(row.items()) for row in csv.DictReader(handle))
    return sorted(rows)


def _statistics(uri):
    """{split: {feature: FeatureNameStatistics}} of a statistics artifact."""
    import tensorflow_data_validation as tfdv

    splits = {}
    for path in sorted(glob.glob(os.path.join(uri, "Split-*", "FeatureStats.pb"))):
        dataset = tfdv.load_stats_binary(path).datasets[0]
        splits[os.path.basename(os.path.dirname(path))] = (
            dataset.num_examples, {f.path.step[0]: f for f in dataset.features})
    return splits


@pytest.fixture(scope="module")
def engine_args():
    for port in (cluster.REST_PORT, cluster.JOB_PORT, cluster.WORKER_POOL_PORT):
        with socket.socket() as sock:
            sock.settimeout(2)
            if sock.connect_ex((cluster.HOST, port)) != 0:
                pytest.fail(f"The engine is not running (nothing on {cluster.HOST}:{port}): `make engine` starts it.")
    return cluster.beam_args()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, engine_args):
    """Each Beam step run locally and on the engine, on the same inputs: (local, engine)
    folders of outputs and results. Downstream engine steps read the engine's upstream
    outputs, so a difference anywhere shows where it began."""
    from components.evaluate.runtime import evaluate
    from components.ingest.runtime import ingest
    from components.predict.runtime import predict
    from components.push.runtime import push_model
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics
    from components.train.runtime import train
    from components.transform.runtime import transform

    outputs = {}
    for name, args in (("local", None), ("engine", engine_args)):
        root = str(tmp_path_factory.mktemp(name))
        path = lambda *parts: os.path.join(root, *parts)  # noqa: E731
        result = {"root": root}
        result["ingest"] = ingest(PENGUINS, path("examples"), label="species", beam_pipeline_args=args)
        result["statistics"] = generate_statistics(path("examples"), path("statistics"), beam_pipeline_args=args)
        if name == "local":
            make_schema(path("statistics"), path("schema"), label="species")
            schema = path("schema")
        result["transform"] = transform(path("examples"), schema, path("statistics"), path("graph"),
                                        path("transformed"), "species", beam_pipeline_args=args)
        if name == "local":
            train(path("graph"), path("transformed"), path("model"), epochs=5)
            push_model(path("model"), path("serving"), blessed=True)
            model, graph, serving = path("model"), path("graph"), path("serving")
        result["evaluate"] = evaluate(model, path("examples"), schema, path("statistics"), graph,
                                      path("evaluation"), path("blessing"))
        result["predict"] = predict(path("examples"), path("statistics"), serving,
                                    path("predictions"), beam_pipeline_args=args)
        outputs[name] = result
    return outputs["local"], outputs["engine"]


def test_ingest_writes_the_same_rows_to_the_same_splits(runs):
    local, engine = runs
    assert engine["ingest"]["split_row_counts"] == local["ingest"]["split_row_counts"]
    assert sum(engine["ingest"]["split_row_counts"].values()) == engine["ingest"]["rows_read"] == 344
    for split in local["ingest"]["split_names"]:
        pattern = os.path.join("examples", f"Split-{split}", "*.gz")
        assert _records(os.path.join(engine["root"], pattern)) == _records(os.path.join(local["root"], pattern))


def test_statistics_agree_within_sketch_error(runs):
    import math

    local, engine = _statistics(os.path.join(runs[0]["root"], "statistics")), _statistics(os.path.join(runs[1]["root"], "statistics"))
    assert set(engine) == set(local) == {"Split-train", "Split-eval"}
    for split, (count, features) in local.items():
        engine_count, engine_features = engine[split]
        assert engine_count == count and set(engine_features) == set(features)
        for name, stats in features.items():
            other = engine_features[name]
            if stats.HasField("num_stats"):
                a, b = stats.num_stats, other.num_stats
                assert b.common_stats.num_non_missing == a.common_stats.num_non_missing, name
                assert (b.min, b.max, b.num_zeros) == (a.min, a.max, a.num_zeros), name
                assert math.isclose(b.mean, a.mean, rel_tol=1e-9) and math.isclose(b.std_dev, a.std_dev, rel_tol=1e-9), name
                # quantiles come from a mergeable sketch: equal up to its rank error (1 % of the range here)
                spread = (a.max - a.min) or 1.0
                assert abs(b.median - a.median) <= 0.01 * spread, name
            else:
                a, b = stats.string_stats, other.string_stats
                assert b.common_stats.num_non_missing == a.common_stats.num_non_missing, name
                assert b.unique == a.unique, name
                assert [(v.value, v.frequency) for v in b.top_values] == [(v.value, v.frequency) for v in a.top_values], name


def _by_row(records):
    """``records`` (from ``_records``) sorted on their values with floats rounded to 1e-3,
    so the same row of two runs lands at the same index when floats differ in the last bits."""
    def key(row):
        return tuple((name, tuple(round(v, 3) if isinstance(v, float) else v for v in values)) for name, values in row)
    return sorted(records, key=key)


def test_transform_writes_identical_values(runs):
    """Vocabularies, labels and integer features are identical; a float feature is the
    local one to float32 rounding. Its z-score divides by a mean and a variance that
    TFT's analyzers add up in float32: on the engine two workers each sum their part and
    the parts are merged, a different order of additions (seen: at most 4 float32 steps,
    about 1e-6, on values of size 2), so bitwise equality is not expected of those."""
    import math

    local, engine = runs
    for split in ("train", "eval"):
        pattern = os.path.join("transformed", f"Split-{split}", "*.gz")
        expected = _by_row(_records(os.path.join(local["root"], pattern)))
        got = _by_row(_records(os.path.join(engine["root"], pattern)))
        assert len(expected) == local["ingest"]["split_row_counts"][split] == len(got)
        for row, other in zip(expected, got):
            assert [name for name, _ in other] == [name for name, _ in row]
            for (name, values), (_, others) in zip(row, other):
                if values and isinstance(values[0], float):
                    assert len(others) == len(values) and all(
                        math.isclose(b, a, rel_tol=1e-6, abs_tol=2e-6) for a, b in zip(values, others)), (split, name, values, others)
                else:
                    assert others == values, (split, name)


def test_evaluation_metrics_are_the_same(runs):
    import math

    local, engine = runs[0]["evaluate"], runs[1]["evaluate"]
    assert set(engine["overall"]) == set(local["overall"]) and local["overall"]
    for name, value in local["overall"].items():
        assert math.isclose(engine["overall"][name], value, rel_tol=1e-6, abs_tol=1e-9), name
    assert engine["confusion_matrix"] == local["confusion_matrix"]


def test_batch_prediction_predicts_identically(runs):
    local, engine = runs
    assert engine["predict"]["rows"] == local["predict"]["rows"] == 344
    expected = _csv_rows(os.path.join(local["root"], "predictions", "predictions-*.csv"))
    got = _csv_rows(os.path.join(engine["root"], "predictions", "predictions-*.csv"))
    assert len(expected) == 344 == len(got)
    # The same keys and classes; each probability the local one to float32 rounding: the
    # model sees the rows in other batches on the engine, and a batch's matrix products
    # round differently (seen: 60 of 344 rows, at most 1.4e-7).
    for row, other in zip(expected, got):
        assert [name for name, _ in other] == [name for name, _ in row]
        for (name, value), (_, value_there) in zip(row, other):
            if name.startswith("probability_"):
                assert abs(float(value_there) - float(value)) <= 1e-6, (name, row, other)
            else:
                assert value_there == value, (name, row, other)
