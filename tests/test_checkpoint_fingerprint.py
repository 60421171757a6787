"""The checkpoint fingerprint hashes the content of the records, labels included,
whatever their order or sharding; shuffled labels make another training."""
import os
import random

import pytest

from components.common import layout
from components.train import checkpoints
from conftest import write_csv

HYPERPARAMETERS = {"hidden_units": [8], "learning_rate": 0.01, "batch_size": 16, "epochs": 3, "seed": 1}


def _records(uri, split):
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(layout.examples_pattern(uri, split)))
    return list(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())


def _write_split(uri, split, records, shards):
    """``records`` as ``shards`` gzipped TFRecord files in the examples layout."""
    import tensorflow as tf

    os.makedirs(layout.split_dir(uri, split), exist_ok=True)
    for shard in range(shards):
        path = f"{layout.examples_prefix(uri, split)}-{shard:05d}-of-{shards:05d}.gz"
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for record in records[shard::shards]:
                writer.write(record)


def _shuffle_labels(source, target, label):
    """The examples of ``source`` with the train split's labels permuted among its rows:
    the same rows, values and per-split label counts, other rows holding each label."""
    import tensorflow as tf

    examples = [tf.train.Example.FromString(r) for r in _records(source, layout.TRAIN)]
    labels = [list(e.features.feature[label].bytes_list.value) for e in examples]
    shuffled = labels[:]
    random.Random(0).shuffle(shuffled)
    assert shuffled != labels and sorted(shuffled) == sorted(labels)
    for example, value in zip(examples, shuffled):
        example.features.feature[label].bytes_list.value[:] = value
    _write_split(target, layout.TRAIN, [e.SerializeToString(deterministic=True) for e in examples], 1)
    _write_split(target, layout.EVAL, _records(source, layout.EVAL), 1)


def _transform(root, examples, name, label="y"):
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics
    from components.transform.runtime import transform

    statistics, schema = os.path.join(root, f"{name}_statistics"), os.path.join(root, f"{name}_schema")
    graph, transformed = os.path.join(root, f"{name}_graph"), os.path.join(root, f"{name}_transformed")
    generate_statistics(examples, statistics)
    make_schema(statistics, schema, label=label)
    transform(examples, schema, statistics, graph, transformed, label)
    return graph, transformed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One small dataset transformed twice, and the same rows with shuffled labels."""
    from components.ingest.runtime import ingest

    root = str(tmp_path_factory.mktemp("fingerprint"))
    rng = random.Random(7)
    rows = [[round(rng.gauss(50, 10), 3), rng.choice("pqr"), rng.choice(["yes", "no"])] for _ in range(80)]
    data = write_csv(os.path.join(root, "data.csv"), ["x", "cat", "y"], rows)
    examples = os.path.join(root, "examples")
    ingest(data, examples, label="y")
    shuffled = os.path.join(root, "shuffled_examples")
    _shuffle_labels(examples, shuffled, "y")
    return {
        "examples": examples,
        "first": _transform(root, examples, "first"),
        "again": _transform(root, examples, "again"),  # the re-run of a killed training transforms again
        "shuffled_examples": shuffled,
        "shuffled": _transform(root, shuffled, "shuffled"),
        "root": root,
    }


def _fingerprint(transformed_run, examples=None):
    graph, transformed = transformed_run
    raw = () if examples is None else (examples,)  # without: the transformed records
    return checkpoints.training_fingerprint(graph, transformed, HYPERPARAMETERS, "", *raw)


def test_shuffled_labels_make_another_fingerprint(runs):
    assert _fingerprint(runs["shuffled"]) != _fingerprint(runs["first"])  # on the transformed records
    assert _fingerprint(runs["shuffled"], runs["shuffled_examples"]) != _fingerprint(runs["first"], runs["examples"])


def test_a_retransformed_run_of_the_same_records_resumes(runs):
    assert _fingerprint(runs["again"], runs["examples"]) == _fingerprint(runs["first"], runs["examples"])


def test_the_same_records_in_another_order_and_sharding_have_the_same_fingerprint(runs):
    root = runs["root"]
    graph, transformed = runs["first"]
    examples = runs["examples"]
    examples_resharded, transformed_resharded = os.path.join(root, "resharded"), os.path.join(root, "t_resharded")
    for split in layout.SPLITS:
        _write_split(examples_resharded, split, _records(examples, split)[::-1], 3)
        _write_split(transformed_resharded, split, _records(transformed, split)[::-1], 2)
        digest = checkpoints.records_digest
        assert digest(layout.examples_pattern(examples_resharded, split)) == digest(layout.examples_pattern(examples, split))
    assert _fingerprint((graph, transformed_resharded)) == _fingerprint(runs["first"])
    assert _fingerprint((graph, transformed_resharded), examples_resharded) == _fingerprint(runs["first"], examples)


def test_the_digest_counts_duplicates_and_moves_between_splits(runs, tmp_path):
    examples = runs["examples"]
    train, evaluation = _records(examples, layout.TRAIN), _records(examples, layout.EVAL)
    pattern = layout.examples_pattern(str(tmp_path / "dup"), layout.TRAIN)
    _write_split(str(tmp_path / "dup"), layout.TRAIN, train + train[:2] + train[:2], 1)  # an XOR would cancel these
    digest = checkpoints.records_digest
    assert digest(pattern) != digest(layout.examples_pattern(examples, layout.TRAIN))
    moved = str(tmp_path / "moved")  # the same rows, one moved from eval to train
    _write_split(moved, layout.TRAIN, train + evaluation[:1], 1)
    _write_split(moved, layout.EVAL, evaluation[1:], 1)
    assert _fingerprint(runs["first"], moved) != _fingerprint(runs["first"], examples)
