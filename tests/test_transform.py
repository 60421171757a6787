"""transform: task inference, the default preprocessing, and the transformed data."""
import pytest

from components.common import layout
from components.common.errors import ConfigurationError
from components.common.metadata import load_schema
from components.common.metadata import load_statistics
from components.common.task import infer_task, read_task_info


def test_task_inference_from_label_type_and_range(penguin_run):
    schema = load_schema(layout.schema_path(penguin_run.schema))
    stats = load_statistics(penguin_run.statistics, "train")
    assert infer_task(schema, stats, "species") == "classification"  # strings
    assert infer_task(schema, stats, "bill_length_mm") == "regression"  # floats
    assert infer_task(schema, stats, "year") == "classification"  # 2007..2009: few integers
    assert infer_task(schema, stats, "body_mass_g") == "regression"  # wide integer range
    assert infer_task(schema, stats, "species", "regression") == "regression"
    with pytest.raises(ConfigurationError):
        infer_task(schema, stats, "species", "ranking")


def test_integer_labels_with_few_values_are_classes_even_when_negative(penguin_run):
    from tensorflow_metadata.proto.v0 import statistics_pb2

    schema = load_schema(layout.schema_path(penguin_run.schema))
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    feature = stats.datasets.add().features.add()
    feature.path.step.append("year")
    feature.num_stats.min, feature.num_stats.max = -1, 1
    assert infer_task(schema, stats, "year") == "classification"
    feature.num_stats.min, feature.num_stats.max = 0, 15  # a count such as rooms
    assert infer_task(schema, stats, "year") == "regression"


def test_positive_class_of_binary_labels():
    from components.transform.runtime import positive_class

    assert positive_class(["no", "yes"]) == "yes"
    assert positive_class(["1", "0"]) == "1"
    assert positive_class(["False", "True"]) == "True"
    assert positive_class(["male", "female"]) == "female"  # else the rarer class


def test_a_label_with_one_class_stops_at_transform(tmp_path):
    from components.common.errors import DataError
    from conftest import run_chain, write_csv

    path = write_csv(tmp_path / "one_class.csv", ["x", "label"], [[i * 0.5, "only"] for i in range(40)])
    with pytest.raises(DataError, match="'label' has 1 class"):
        run_chain(tmp_path / "run", path, "label", until="transform")


def test_transform_outputs_class_ids_and_scaled_features(penguin_run):
    import numpy as np
    import tensorflow as tf
    import tensorflow_transform as tft

    info = read_task_info(penguin_run.transform_graph)
    assert info["task"] == "classification" and sorted(info["classes"]) == ["Adelie", "Chinstrap", "Gentoo"]
    assert info["label_key"] == "species_xf" and "island_xf" in info["features"]
    counts = info["class_counts"]
    assert sum(counts.values()) == penguin_run.ingest_result["split_row_counts"]["train"]
    assert list(counts) == info["classes"] and counts[info["classes"][0]] == max(counts.values())
    spec = tft.TFTransformOutput(penguin_run.transform_graph).transformed_feature_spec()
    files = tf.io.gfile.glob(layout.examples_pattern(penguin_run.transformed_examples, "train"))
    batch = next(iter(tf.data.TFRecordDataset(files, compression_type="GZIP").batch(1000).map(lambda x: tf.io.parse_example(x, spec))))
    assert set(np.unique(batch["species_xf"].numpy())) == {0, 1, 2}
    flipper = batch["flipper_length_mm_xf"].numpy()
    assert abs(flipper.mean()) < 0.05 and abs(flipper.std() - 1) < 0.05  # z-scored on train
    assert np.isfinite(batch["bill_length_mm_xf"].numpy()).all()  # missing values imputed
    assert batch["island_xf"].numpy().max() <= 3  # 3 islands + 1 OOV bucket


def test_regression_label_keeps_its_scale(regression_run):
    info = read_task_info(regression_run.transform_graph)
    assert info["task"] == "regression"
    assert 3500 < info["label_mean"] < 5000 and 500 < info["label_std"] < 1200


def test_a_large_train_split_read_twice_transforms_to_the_same_records(penguin_run, tmp_path, monkeypatch, caplog):
    """Above READ_ONCE_MAX_BYTES the train split is read once to analyze and once to
    transform (flat memory); the transformed records equal those of the one-read path."""
    import logging

    import tensorflow as tf

    from components.transform import runtime

    def transformed(name):
        with caplog.at_level(logging.INFO, logger="components.transform.runtime"):
            runtime.transform(penguin_run.examples, penguin_run.schema, penguin_run.statistics,
                              str(tmp_path / name / "graph"), str(tmp_path / name / "examples"), label="species")
        records = {}
        for split in layout.SPLITS:
            files = sorted(tf.io.gfile.glob(layout.examples_pattern(str(tmp_path / name / "examples"), split)))
            examples = (tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(files, compression_type="GZIP"))
            records[split] = sorted(
                tuple((key, tuple(value.float_list.value) or tuple(value.int64_list.value))
                      for key, value in sorted(example.features.feature.items()))
                for example in examples
            )
        return records, read_task_info(str(tmp_path / name / "graph"))

    once = transformed("once")
    assert "read once, and held in memory until analyzed" in caplog.text
    monkeypatch.setattr(runtime, "READ_ONCE_MAX_BYTES", 0)  # the penguins' few KB count as large
    twice = transformed("twice")
    assert "read twice, to analyze and to transform" in caplog.text
    assert len(twice[0][layout.TRAIN]) == penguin_run.ingest_result["split_row_counts"][layout.TRAIN]
    assert twice == once
