"""Transform on wide tables: the default preprocessing's analyzers do not grow with the
number of numeric columns, the shared statistics are right (sparse columns included),
and the memory of a wide transform stays bounded (benchmarks/wide_memory.py)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from components.common import layout
from conftest import REPO_ROOT, run_chain, write_csv


def _float_schema(names):
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    for name in names:
        feature = schema.feature.add(name=name, type=schema_pb2.FLOAT)
        feature.value_count.min = feature.value_count.max = 1
    schema.feature.add(name="label", type=schema_pb2.BYTES).value_count.max = 1
    return schema


def _analyzer_outputs(columns):
    """How many analyzer results TFT must compute for the default preprocessing of
    ``columns`` float columns (traced in a graph, nothing run)."""
    import tensorflow as tf
    from tensorflow_transform import analyzer_nodes

    from components.transform.preprocessing import make_preprocessing_fn

    names = [f"x{i:03d}" for i in range(columns)]
    preprocessing_fn = make_preprocessing_fn(_float_schema(names), "label", "classification")
    with tf.compat.v1.Graph().as_default() as graph:
        inputs = {name: tf.compat.v1.placeholder(tf.float32, [None]) for name in names}
        inputs["label"] = tf.compat.v1.placeholder(tf.string, [None])
        preprocessing_fn(inputs)
        return len(graph.get_collection(analyzer_nodes.TENSOR_REPLACEMENTS))


def test_numeric_analyzers_do_not_grow_with_the_columns():
    narrow, wide = _analyzer_outputs(3), _analyzer_outputs(300)
    assert wide == narrow, (narrow, wide)  # per-column analyzers made 300 columns cost 100 times 3


def test_shared_statistics_match_numpy_with_a_mostly_missing_column(tmp_path):
    import tensorflow as tf
    import tensorflow_transform as tft

    rng = np.random.default_rng(5)
    count = 300
    dense = rng.normal(loc=1e6, scale=2.0, size=count)  # a large mean: E[x^2] - E[x]^2 needs float64
    sparse = rng.normal(size=count)
    sparse_present = rng.random(count) < 0.03  # a few values: most batches lack this column
    rows = [[f"{d:.4f}", f"{s:.4f}" if p else "", "a" if d > 1e6 else "b"] for d, s, p in zip(dense, sparse, sparse_present)]
    run = run_chain(tmp_path / "run", write_csv(tmp_path / "x.csv", ["dense", "sparse", "label"], rows), "label",
                    until="transform")
    spec = tft.TFTransformOutput(run.transform_graph).transformed_feature_spec()
    files = tf.io.gfile.glob(layout.examples_pattern(run.transformed_examples, layout.TRAIN))
    batch = next(iter(tf.data.TFRecordDataset(files, compression_type="GZIP").batch(1000).map(
        lambda x: tf.io.parse_example(x, spec))))
    dense_xf, sparse_xf = batch["dense_xf"].numpy(), batch["sparse_xf"].numpy()
    assert np.isfinite(dense_xf).all() and np.isfinite(sparse_xf).all()
    assert abs(dense_xf.mean()) < 1e-3 and abs(dense_xf.std() - 1) < 1e-3  # z-scored on the train split
    present = sparse_xf != 0  # missing values sit at the mean, 0
    assert present.sum() >= 3 and abs(sparse_xf[present].std() - 1) < 0.2


@pytest.mark.slow
def test_wide_transform_memory_stays_under_the_limit(tmp_path):
    """20,000 rows x 300 numeric columns: the whole process tree under 4 GiB (the full
    100,000-row figure is in benchmarks/README.md)."""
    done = subprocess.run(
        [sys.executable, os.path.join(REPO_ROOT, "benchmarks", "wide_memory.py"), "--rows", "20000",
         "--columns", "300", "--workdir", str(tmp_path / "wide")],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=1800,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and figures["transform"]["peak_rss_gib"] < 4.0, figures
