"""Ingest on data as users have it (issue 14): a byte-order mark, other delimiters,
numbers written as text, numbers beyond float32, line breaks in quoted values,
SequenceExamples, nested Parquet columns; and the row guard (issue 17)."""
import gzip
import os

import pytest

from components.common.errors import ConfigurationError, DataError, DataLossError
from components.ingest.runtime import ingest


def _examples(out, split):
    import tensorflow as tf

    pattern = os.path.join(str(out), f"Split-{split}", "*")
    files = tf.io.gfile.glob(pattern)
    return [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _all_examples(out):
    return _examples(out, "train") + _examples(out, "eval")


def _rows(count, make):
    return "".join(make(i) for i in range(count))


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffisland,mass,label\n".encode("utf-8") + _rows(40, lambda i: f"B{i % 3},{i},{i % 2}\n").encode())
    result = ingest(str(path), str(tmp_path / "out"), label="label")
    assert result["columns"] == ["island", "mass", "label"]
    assert all(set(e.features.feature) == {"island", "mass", "label"} for e in _all_examples(tmp_path / "out"))


@pytest.mark.parametrize("delimiter, name", [(";", "semicolon"), ("\t", "tab")])
def test_a_semicolon_or_tab_delimited_file_is_detected_and_read(tmp_path, delimiter, name):
    path = tmp_path / "european.csv"
    path.write_text(delimiter.join(["a", "b", "label"]) + "\n" + _rows(40, lambda i: delimiter.join([str(i), f"x{i % 3}", str(i % 2)]) + "\n"))
    result = ingest(str(path), str(tmp_path / "out"), label="label")
    assert result["delimiter"] == name and result["columns"] == ["a", "b", "label"]
    examples = _all_examples(tmp_path / "out")
    assert sorted(e.features.feature["a"].int64_list.value[0] for e in examples) == list(range(40))


def test_a_file_whose_header_and_rows_disagree_on_the_delimiter_is_named(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("a;b;label\n1,2,3\n")
    with pytest.raises(DataError, match=r"mixed\.csv looks semicolon-delimited .*first data line splits into 1 cells"):
        ingest(str(path), str(tmp_path / "out"), label="label")


def _mostly_numbers(tmp_path):
    """60 rows of plain numbers in 'mass' and three cells that are not."""
    odd = {5: "unknown", 20: '"3,750"', 33: "18.3%"}  # a thousands separator is quoted, as spreadsheets write it
    lines = ["mass,label\n"] + [f"{odd.get(i, str(3000 + i))},{i % 2}\n" for i in range(60)]
    path = tmp_path / "mass.csv"
    path.write_text("".join(lines))
    return path


def test_a_column_of_numbers_with_text_cells_stops_naming_column_share_cells_and_lines(tmp_path):
    path = _mostly_numbers(tmp_path)
    with pytest.raises(DataError) as raised:
        ingest(str(path), str(tmp_path / "out"), label="label")
    message = str(raised.value)
    assert "column 'mass' holds numbers, but 3 of its 60 non-empty cells (5.0 %) are not numbers" in message
    # Lines as an editor shows them: the header is line 1, row i is line i + 2.
    assert f"{path} line 7: 'unknown'" in message
    assert f"{path} line 22: '3,750' (a thousands separator)" in message
    assert f"{path} line 35: '18.3%' (a percent sign)" in message
    assert "Write numbers without thousands separators (3750, not 3,750)" in message
    assert "non_numeric_cells=missing" in message and "Traceback" not in message


def test_non_numeric_cells_missing_reads_them_as_missing_with_a_warning(tmp_path):
    path = _mostly_numbers(tmp_path)
    result = ingest(str(path), str(tmp_path / "out"), label="label", non_numeric_cells="missing")
    assert len(result["warnings"]) == 1 and "column 'mass'" in result["warnings"][0]
    assert "Those cells were read as missing values (non_numeric_cells=missing)" in result["warnings"][0]
    examples = _all_examples(tmp_path / "out")
    values = sorted(v for e in examples for v in e.features.feature["mass"].int64_list.value)
    assert len(examples) == 60 and values == sorted(3000 + i for i in range(60) if i not in (5, 20, 33))


def test_non_numeric_cells_text_keeps_the_column_as_text_with_a_warning(tmp_path):
    path = _mostly_numbers(tmp_path)
    result = ingest(str(path), str(tmp_path / "out"), label="label", non_numeric_cells="text")
    assert "The column was read as text (non_numeric_cells=text)" in result["warnings"][0]
    values = {v for e in _all_examples(tmp_path / "out") for v in e.features.feature["mass"].bytes_list.value}
    assert {b"unknown", b"3,750", b"3000"} <= values


def test_a_text_column_with_a_few_numbers_stays_text_silently(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,label\n" + _rows(40, lambda i: f"{'A' + str(i) if i % 5 else str(i)},{i % 2}\n"))
    result = ingest(str(path), str(tmp_path / "out"), label="label")
    assert result["warnings"] == []
    assert all(e.features.feature["code"].bytes_list.value for e in _all_examples(tmp_path / "out"))


def test_an_unknown_policy_is_refused():
    with pytest.raises(ConfigurationError, match="non_numeric_cells must be one of stop, missing, text"):
        ingest("unused.csv", "unused", non_numeric_cells="ignore")


def test_a_value_beyond_float32_is_named_with_its_line(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("x,label\n" + _rows(30, lambda i: f"{'1e300' if i == 12 else str(i + 0.5)},{i % 2}\n"))
    with pytest.raises(DataError, match=r"column 'x' has values beyond the float32 range .*huge\.csv line 14: '1e300'"):
        ingest(str(path), str(tmp_path / "out"), label="label")


def test_a_line_break_inside_a_quoted_value_is_named_as_the_cause(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('note,label\n"one line",1\n"two\nlines",0\n"fine",1\n')
    with pytest.raises(DataError) as raised:
        ingest(str(path), str(tmp_path / "out"), label="label")
    message = str(raised.value)
    assert f"{path} line 3: a quoted value holds a line break" in message
    assert "replace the line breaks inside values" in message


def test_sequence_examples_are_refused_by_name(tmp_path):
    import tensorflow as tf

    sequence = tf.train.SequenceExample()
    sequence.context.feature["label"].int64_list.value.append(1)
    sequence.feature_lists.feature_list["clicks"].feature.add().float_list.value.append(0.5)
    path = tmp_path / "sessions.tfrecord.gz"
    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        writer.write(sequence.SerializeToString())
    with pytest.raises(DataError, match=r"sessions\.tfrecord\.gz: record 1 is a tf\.train\.SequenceExample \(feature lists 'clicks'\)"):
        ingest(str(path), str(tmp_path / "out"), label="label")


@pytest.mark.parametrize("values, kind", [
    ([[1, 2], [3]], "lists"),
    ([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], "structs"),
])
def test_nested_parquet_columns_are_refused_by_name(tmp_path, values, kind):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"nested": values, "label": [0, 1]}), str(path))
    with pytest.raises(DataError, match=rf"nested\.parquet: 'nested' holds {kind} .*one value per cell"):
        ingest(str(path), str(tmp_path / "out"), label="label")


def test_a_parquet_value_beyond_float32_is_named_with_its_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "huge.parquet"
    pq.write_table(pa.table({"x": [0.5, 1e300, 2.0], "label": [0, 1, 0]}), str(path))
    with pytest.raises(DataError, match=r"huge\.parquet: column 'x' has values beyond the float32 range .*row 2: 1e\+300"):
        ingest(str(path), str(tmp_path / "out"), label="label")


class _LoseOneRow:
    """A Beam transform that loses the example holding ``marker``: a lossy transfer."""

    def __new__(cls, marker: bytes):
        import apache_beam as beam

        return beam.Filter(lambda serialized: marker not in serialized)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_row_guard_stops_a_run_that_loses_one_row(tmp_path, fmt):
    rows = [(i, f"note{i:03d}", i % 2) for i in range(40)]
    if fmt == "csv":
        path = tmp_path / "data.csv"
        path.write_text("x,note,label\n" + "".join(f"{x},{n},{y}\n" for x, n, y in rows))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "data.parquet"
        pq.write_table(pa.table({"x": [r[0] for r in rows], "note": [r[1] for r in rows], "label": [r[2] for r in rows]}), str(path))
    kept = ingest(str(path), str(tmp_path / "kept"), label="label", stage_transfer=_LoseOneRow(b"no such row"))
    assert kept["rows_read"] == 40 and sum(kept["split_row_counts"].values()) == 40
    with pytest.raises(DataLossError, match=r"read 40 row\(s\) but wrote 39: 1 row\(s\) unaccounted for"):
        ingest(str(path), str(tmp_path / "lost"), label="label", stage_transfer=_LoseOneRow(b"note017"))


def test_dropped_rows_are_accounted_for_by_the_guard(tmp_path):
    path = tmp_path / "gz.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("x,label\n" + _rows(30, lambda i: f"{i},{'' if i % 10 == 0 else i % 2}\n"))
    result = ingest(str(path), str(tmp_path / "out"), label="label")
    assert result["rows_read"] == 30 and result["rows_without_label"] == 3
    assert sum(result["split_row_counts"].values()) == 27
