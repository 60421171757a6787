"""Data on Cloud Storage (the fake-gcs-server emulator): ingest reads gs:// CSV,
Parquet, a TFRecord folder and a glob as it reads local files; a curated schema and
baseline statistics are read from gs://."""
import glob
import os

import pytest

from components.ingest.runtime import ingest
from conftest import PENGUINS, read_csv_rows, write_csv

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


@pytest.fixture(scope="module")
def local_penguins(tmp_path_factory):
    """The penguins ingested from the local file: what every gs:// form must match."""
    out = str(tmp_path_factory.mktemp("local") / "examples")
    return out, ingest(PENGUINS, out, label="species")


def _records(examples_uri):
    """Every example of an examples artifact, serialized with its features in name order."""
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_uri, "Split-*", "*.gz")))
    return sorted(
        tf.train.Example.FromString(r.numpy()).SerializeToString(deterministic=True)
        for r in tf.data.TFRecordDataset(files, compression_type="GZIP")
    )


def _upload(gcs_emulator, local, uri):
    bucket, _, key = uri[len("gs://"):].partition("/")
    gcs_emulator.client.bucket(bucket).blob(key).upload_from_filename(local)


def test_ingest_a_csv_file_on_gs(gcs_emulator, gcs_bucket, tmp_path, local_penguins):
    _upload(gcs_emulator, PENGUINS, f"{gcs_bucket}/data/penguins.csv")
    result = ingest(f"{gcs_bucket}/data/penguins.csv", str(tmp_path / "examples"), label="species")
    assert result["files"] == 1
    assert result["split_row_counts"] == local_penguins[1]["split_row_counts"]
    assert _records(str(tmp_path / "examples")) == _records(local_penguins[0])


def test_ingest_a_glob_of_csv_parts_on_gs(gcs_emulator, gcs_bucket, tmp_path, local_penguins):
    rows = read_csv_rows(PENGUINS)
    header = list(rows[0])
    for i, part in enumerate((rows[:150], rows[150:])):
        local = write_csv(tmp_path / f"part-{i}.csv", header, [[r[c] for c in header] for r in part])
        _upload(gcs_emulator, local, f"{gcs_bucket}/parts/part-{i}.csv")
    _upload(gcs_emulator, PENGUINS, f"{gcs_bucket}/parts/notes.txt.bak")  # not matched by the glob
    result = ingest(f"{gcs_bucket}/parts/*.csv", str(tmp_path / "examples"), label="species")
    assert result["files"] == 2
    assert sum(result["split_row_counts"].values()) == sum(local_penguins[1]["split_row_counts"].values())


def test_ingest_parquet_on_gs(gcs_emulator, gcs_bucket, tmp_path, local_penguins):
    import pandas as pd

    local = str(tmp_path / "penguins.parquet")
    pd.read_csv(PENGUINS).to_parquet(local, index=False)
    _upload(gcs_emulator, local, f"{gcs_bucket}/pq/penguins.parquet")
    result = ingest(f"{gcs_bucket}/pq/penguins.parquet", str(tmp_path / "examples"), label="species")
    assert result["format"] == "parquet"
    assert sum(result["split_row_counts"].values()) == sum(local_penguins[1]["split_row_counts"].values())


def test_ingest_a_tfrecord_folder_on_gs(gcs_emulator, gcs_bucket, tmp_path, local_penguins):
    examples, _ = local_penguins
    for path in glob.glob(os.path.join(examples, "Split-*", "*.gz")):
        split = os.path.basename(os.path.dirname(path))
        _upload(gcs_emulator, path, f"{gcs_bucket}/records/{split}-{os.path.basename(path)}")
    result = ingest(f"{gcs_bucket}/records/", str(tmp_path / "examples"), label="species")
    assert result["format"] == "tfrecord"
    assert _records(str(tmp_path / "examples")) == _records(examples)


def test_a_curated_schema_on_gs(gcs_emulator, gcs_bucket, tmp_path):
    from components.common.metadata import load_schema
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics

    curated = f"{gcs_bucket}/config/schema.pbtxt"
    _upload(gcs_emulator, os.path.join(FIXTURES, "penguins_schema.pbtxt"), curated)
    assert load_schema(curated) == load_schema(os.path.join(FIXTURES, "penguins_schema.pbtxt"))

    examples = str(tmp_path / "examples")
    ingest(PENGUINS, examples, label="species", schema_path=curated)
    generate_statistics(examples, str(tmp_path / "statistics"))
    result = make_schema(str(tmp_path / "statistics"), str(tmp_path / "schema"), label="species", curated_schema_path=curated)
    assert result["source"] == "curated"


def test_baseline_statistics_on_gs(gcs_emulator, gcs_bucket, tmp_path, local_penguins):
    from components.common.metadata import load_statistics
    from components.statistics.runtime import generate_statistics
    from components.validate.runtime import load_baseline_statistics

    statistics = str(tmp_path / "statistics")
    generate_statistics(local_penguins[0], statistics)
    gcs_emulator.upload_folder(statistics, f"{gcs_bucket}/baseline/statistics")

    from_folder = load_baseline_statistics(f"{gcs_bucket}/baseline/statistics")
    from_file = load_baseline_statistics(f"{gcs_bucket}/baseline/statistics/Split-train/FeatureStats.pb")
    assert from_folder == from_file == load_statistics(statistics, "train")
    assert load_statistics(f"{gcs_bucket}/baseline/statistics", "eval") == load_statistics(statistics, "eval")
