"""ingest: files -> split tf.Example TFRecords, and its clear errors on bad input."""
import os

import pytest

from components.common import layout
from components.common.errors import ConfigurationError, DataError
from components.ingest.runtime import ingest, split_of
from conftest import PENGUINS, read_csv_rows, write_csv


def read_examples(examples_uri, split):
    import tensorflow as tf

    files = tf.io.gfile.glob(layout.examples_pattern(examples_uri, split))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [tf.train.Example.FromString(r.numpy()) for r in dataset]


def _has_value(feature_map, name):
    """A missing value is an absent feature or one with no list set."""
    return name in feature_map and feature_map[name].WhichOneof("kind") is not None


def test_csv_is_split_deterministically_with_typed_features(penguin_run):
    counts = penguin_run.ingest_result["split_row_counts"]
    assert sum(counts.values()) == len(read_csv_rows(PENGUINS)) == 344
    assert 0.7 < counts["train"] / 344 < 0.9
    train = read_examples(penguin_run.examples, "train")
    assert len(train) == counts["train"]
    first = train[0].features.feature
    assert first["species"].bytes_list.value[0] in (b"Adelie", b"Gentoo", b"Chinstrap")
    assert first["flipper_length_mm"].int64_list.value  # whole numbers -> int64
    assert first["bill_length_mm"].float_list.value or "bill_length_mm" not in first
    # the split is a hash of each row's CSV line: the same on every run
    lines = open(PENGUINS).read().splitlines()[1:]
    expected_train = sum(split_of(line.encode(), 0.8) == "train" for line in lines if line.strip())
    assert counts["train"] == expected_train


def test_the_split_is_the_same_on_every_run(tmp_path, penguin_run):
    again = ingest(PENGUINS, str(tmp_path / "again"), label="species")
    assert again["split_row_counts"] == penguin_run.ingest_result["split_row_counts"]
    canonical = lambda uri: sorted(e.SerializeToString(deterministic=True) for e in read_examples(uri, "eval"))
    assert canonical(str(tmp_path / "again")) == canonical(penguin_run.examples)


def test_empty_cells_become_missing_values(penguin_run):
    from components.common.metadata import load_statistics

    rows = [e.features.feature for s in layout.SPLITS for e in read_examples(penguin_run.examples, s)]
    expected = sum(1 for r in read_csv_rows(PENGUINS) if r["sex"] == "")
    assert sum(1 for f in rows if not _has_value(f, "sex")) == expected
    missing = 0
    for split in layout.SPLITS:  # TFDV reads them as missing too
        for feature in load_statistics(penguin_run.statistics, split).datasets[0].features:
            if feature.path.step[0] == "sex":
                missing += feature.string_stats.common_stats.num_missing
    assert missing == expected


def test_rows_without_a_label_are_dropped_and_counted(tmp_path):
    without_sex = sum(1 for r in read_csv_rows(PENGUINS) if r["sex"] == "")
    result = ingest(PENGUINS, str(tmp_path / "out"), label="sex")
    assert without_sex > 0 and result["rows_without_label"] == without_sex
    assert sum(result["split_row_counts"].values()) == 344 - without_sex


def test_parquet_and_tfrecord_inputs(tmp_path, penguin_run):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"x": [float(i) for i in range(40)], "color": ["red", "blue"] * 20, "y": [i % 2 for i in range(40)]})
    pq.write_table(table, tmp_path / "data.parquet")
    result = ingest(str(tmp_path / "data.parquet"), str(tmp_path / "from_parquet"), label="y")
    assert result["format"] == "parquet" and sum(result["split_row_counts"].values()) == 40
    example = read_examples(str(tmp_path / "from_parquet"), "train")[0].features.feature
    assert example["color"].bytes_list.value and example["x"].float_list.value and example["y"].int64_list.value

    # Our own TFRecords read back in: every row, split by a hash of its content.
    pattern = os.path.join(penguin_run.examples, "Split-*", "*.gz")
    result = ingest(pattern, str(tmp_path / "from_tfrecord"), input_format="tfrecord")
    assert sum(result["split_row_counts"].values()) == 344
    assert ingest(pattern, str(tmp_path / "again"), input_format="tfrecord")["split_row_counts"] == result["split_row_counts"]


def test_na_markers_are_missing_in_numeric_columns_only(tmp_path):
    rows = [[i * 1.5 if i % 4 else "NA", "NA" if i % 5 == 0 else f"c{i % 3}", i % 2] for i in range(40)]
    path = write_csv(tmp_path / "na.csv", ["x", "cat", "y"], rows)
    ingest(path, str(tmp_path / "out"), label="y")
    examples = [e.features.feature for s in layout.SPLITS for e in read_examples(str(tmp_path / "out"), s)]
    assert sum(1 for f in examples if not _has_value(f, "x")) == 10  # "NA" in a float column: missing
    assert all(f["x"].float_list.value for f in examples if _has_value(f, "x"))
    assert sum(1 for f in examples if f["cat"].bytes_list.value == [b"NA"]) == 8  # text stays text


def test_glob_of_csv_files(tmp_path):
    rows = [[i, f"c{i % 3}", i % 2] for i in range(30)]
    write_csv(tmp_path / "part1.csv", ["x", "cat", "y"], rows[:15])
    write_csv(tmp_path / "part2.csv", ["x", "cat", "y"], rows[15:])
    result = ingest(str(tmp_path / "part*.csv"), str(tmp_path / "out"), label="y")
    assert result["files"] == 2 and sum(result["split_row_counts"].values()) == 30


@pytest.mark.parametrize(
    "name, content, needle",
    [
        ("empty.csv", "", "matches only empty files"),
        ("header_only.csv", "a,b,label\n", "holds no data rows"),
        ("ragged.csv", "a,b,label\n1,2,x\n3,4\n5,6,y\n", "ragged.csv line 3: a row has 2 fields but the header has 3"),
        ("no_label.csv", "a,b,c\n1,2,3\n", "Column 'label' not found in"),
        ("blank_header.csv", "\n1,2,3\n", "the first line must be the header"),
        ("old_mac.csv", "a,b,label\r1,2,x\r3,4,y\r", "old_mac.csv ends its lines with a carriage return alone"),
    ],
)
def test_bad_csv_input_names_the_file_and_problem(tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_text(content)
    before = path.read_bytes()
    with pytest.raises(DataError) as raised:
        ingest(str(path), str(tmp_path / "out"), label="label")
    assert needle in str(raised.value)
    assert path.read_bytes() == before  # the input is untouched


def test_a_column_empty_in_every_row_is_named(tmp_path):
    path = write_csv(tmp_path / "hollow.csv", ["x", "notes", "label"], [[i, "", i % 2] for i in range(30)])
    with pytest.raises(DataError, match="Column\\(s\\) notes of .*hollow.csv are empty in every row"):
        ingest(path, str(tmp_path / "out"), label="label")


def test_path_that_matches_nothing(tmp_path):
    with pytest.raises(DataError, match="matches no file"):
        ingest(str(tmp_path / "nothing*.csv"), str(tmp_path / "out"))


def test_train_ratio_must_be_a_fraction(tmp_path):
    with pytest.raises(ConfigurationError, match="train_ratio"):
        ingest(PENGUINS, str(tmp_path / "out"), train_ratio=1.0)


def _schema_file(tmp_path, types):
    """A schema.pbtxt with one feature per {name: "FLOAT" | "INT" | "BYTES"}."""
    text = "".join(f'feature {{ name: "{name}" type: {kind} }}\n' for name, kind in types.items())
    path = tmp_path / "schema.pbtxt"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("rows", [1, 5])
def test_split_mode_all_keeps_every_row_of_a_tiny_batch_in_one_split(tmp_path, rows):
    data = write_csv(tmp_path / "batch.csv", ["x", "color"], [[i * 1.5, f"c{i}"] for i in range(rows)])
    result = ingest(data, str(tmp_path / "out"), split_mode="all")
    assert result["split_names"] == ["all"] and result["split_row_counts"] == {"all": rows}
    assert layout.split_names(str(tmp_path / "out")) == ["all"]
    examples = read_examples(str(tmp_path / "out"), "all")
    assert sorted(e.features.feature["color"].bytes_list.value[0] for e in examples) == [f"c{i}".encode() for i in range(rows)]


def test_train_eval_mode_still_fails_clearly_when_a_split_would_be_empty(tmp_path):
    data = write_csv(tmp_path / "one.csv", ["x", "y"], [[1.5, 0]])
    with pytest.raises(DataError, match=r"split of .*one.csv is empty .* use split_mode='all'"):
        ingest(data, str(tmp_path / "out"), label="y")
    with pytest.raises(ConfigurationError, match="Unknown split_mode 'single'"):
        ingest(data, str(tmp_path / "out2"), split_mode="single")


def test_a_schema_types_the_columns_not_the_batch_values(tmp_path):
    # Floats that happen to be whole numbers, an int column, and codes that look numeric.
    rows = [[i * 10, i, str(100 + i), "NA" if i == 2 else i * 2] for i in range(5)]
    data = write_csv(tmp_path / "whole.csv", ["price", "count", "zip", "weight"], rows)
    schema = _schema_file(tmp_path, {"price": "FLOAT", "count": "INT", "zip": "BYTES", "weight": "FLOAT"})

    ingest(data, str(tmp_path / "untyped"), split_mode="all")
    untyped = read_examples(str(tmp_path / "untyped"), "all")
    assert all(e.features.feature["price"].int64_list.value for e in untyped)  # the values alone say int

    result = ingest(data, str(tmp_path / "typed"), split_mode="all", schema_path=schema)
    assert result["split_row_counts"] == {"all": 5}
    typed = sorted(read_examples(str(tmp_path / "typed"), "all"), key=lambda e: e.features.feature["count"].int64_list.value[0])
    assert [list(e.features.feature["price"].float_list.value) for e in typed] == [[float(i * 10)] for i in range(5)]
    assert [list(e.features.feature["count"].int64_list.value) for e in typed] == [[i] for i in range(5)]
    assert [list(e.features.feature["zip"].bytes_list.value) for e in typed] == [[str(100 + i).encode()] for i in range(5)]
    assert not _has_value(typed[2].features.feature, "weight")  # "NA" in a FLOAT column: missing
    assert list(typed[3].features.feature["weight"].float_list.value) == [6.0]


def test_a_schema_typed_column_empty_in_every_row_is_missing_not_an_error(tmp_path):
    data = write_csv(tmp_path / "one.csv", ["x", "notes"], [[1.5, ""]])
    schema = _schema_file(tmp_path, {"x": "FLOAT", "notes": "BYTES"})
    assert ingest(data, str(tmp_path / "out"), split_mode="all", schema_path=schema)["split_row_counts"] == {"all": 1}
    (example,) = read_examples(str(tmp_path / "out"), "all")
    assert not _has_value(example.features.feature, "notes")


def test_a_cell_that_is_not_its_schema_type_names_file_column_value_and_row(tmp_path):
    rows = [[i * 0.5, i] for i in range(20)] + [[2.5, "7.5"]] + [[i * 0.5, i] for i in range(20)]
    data = write_csv(tmp_path / "counts.csv", ["x", "count"], rows)
    schema = _schema_file(tmp_path, {"x": "FLOAT", "count": "INT"})
    before = open(data, "rb").read()
    with pytest.raises(DataError) as raised:
        ingest(data, str(tmp_path / "out"), split_mode="all", schema_path=schema)
    message = str(raised.value)
    assert "counts.csv: column 'count' is INT (whole number) in the schema" in message
    assert "the value '7.5' cannot be read as one. Row: '2.5,7.5'" in message
    assert "change the column's type in the schema" in message
    assert open(data, "rb").read() == before


def test_parquet_and_tfrecord_inputs_are_typed_by_the_schema(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema_file(tmp_path, {"x": "FLOAT", "n": "INT", "code": "BYTES"})
    table = pa.table({"x": [1, 2, 3], "n": [1.0, 2.0, 3.0], "code": [10, 20, 30]})
    pq.write_table(table, tmp_path / "whole.parquet")
    ingest(str(tmp_path / "whole.parquet"), str(tmp_path / "pq"), split_mode="all", schema_path=schema)
    examples = read_examples(str(tmp_path / "pq"), "all")
    assert sorted(e.features.feature["x"].float_list.value[0] for e in examples) == [1.0, 2.0, 3.0]
    assert sorted(e.features.feature["n"].int64_list.value[0] for e in examples) == [1, 2, 3]
    assert sorted(e.features.feature["code"].bytes_list.value[0] for e in examples) == [b"10", b"20", b"30"]

    # The examples written without the schema (x as int64) come back as floats with it.
    ingest(str(tmp_path / "whole.parquet"), str(tmp_path / "pq_untyped"), split_mode="all")
    pattern = os.path.join(str(tmp_path / "pq_untyped"), "Split-all", "*.gz")
    ingest(pattern, str(tmp_path / "tfr"), input_format="tfrecord", split_mode="all", schema_path=schema)
    examples = read_examples(str(tmp_path / "tfr"), "all")
    assert sorted(e.features.feature["x"].float_list.value[0] for e in examples) == [1.0, 2.0, 3.0]
    assert sorted(e.features.feature["n"].int64_list.value[0] for e in examples) == [1, 2, 3]

    import tensorflow as tf

    bad_record = tf.train.Example(features=tf.train.Features(feature={
        "n": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"seven"]))}))
    with tf.io.TFRecordWriter(str(tmp_path / "bad.tfrecord")) as writer:
        writer.write(bad_record.SerializeToString())
    with pytest.raises(DataError, match=r"bad.tfrecord: column 'n' is INT \(whole number\) in the schema .* the value b'seven'"):
        ingest(str(tmp_path / "bad.tfrecord"), str(tmp_path / "bad_tfr"), split_mode="all", schema_path=schema)

    pq.write_table(pa.table({"x": ["1.5", "lots"], "n": [1, 2]}), tmp_path / "bad.parquet")
    with pytest.raises(DataError, match=r"bad.parquet: column 'x' is FLOAT \(number\) in the schema .* the value 'lots'"):
        ingest(str(tmp_path / "bad.parquet"), str(tmp_path / "bad"), split_mode="all", schema_path=schema)
