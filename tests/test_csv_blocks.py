"""Reading CSV files as byte ranges of whole lines, and parsing blocks of lines."""
import gzip

import pytest

from components.common.errors import DataError
from components.ingest import csv_blocks
from components.ingest.csv_parse import CsvBlockParser
from components.ingest.runtime import ingest
from test_ingest import read_examples


def _read_all(path):
    return [line for file_range in csv_blocks.file_ranges(path) for _, block in csv_blocks.read_range(file_range)
            for line in block]


@pytest.mark.parametrize("range_bytes", [1, 2, 3, 5, 7, 11, 16, 64, 1 << 20])
@pytest.mark.parametrize("block_bytes", [1, 4, 9, 1 << 20])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
@pytest.mark.parametrize("last_newline", [True, False])
def test_every_line_is_read_once_wherever_the_ranges_and_blocks_cut(
    tmp_path, monkeypatch, range_bytes, block_bytes, ending, last_newline
):
    monkeypatch.setattr(csv_blocks, "RANGE_BYTES", range_bytes)
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", block_bytes)
    lines = [b"a,b", b"1,x", b"22,yy", b"", b"333,a long value", b"4,z"]
    path = tmp_path / "data.csv"
    path.write_bytes(ending.join(lines) + (ending if last_newline else b""))
    assert _read_all(str(path)) == lines[1:]


def test_a_gzip_file_is_one_range(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_blocks, "RANGE_BYTES", 4)
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n3,4\n"))
    assert csv_blocks.file_ranges(str(path)) == [(str(path), 0, -1)]
    assert _read_all(str(path)) == [b"1,2", b"3,4"]


def test_a_header_only_file_has_no_lines(tmp_path):
    path = tmp_path / "header.csv"
    path.write_bytes(b"a,b")
    assert _read_all(str(path)) == []


class _Counter:
    def __init__(self):
        self.count = 0

    def inc(self, n=1):
        self.count += n


def _parser(columns=("x", "y"), label=""):
    return CsvBlockParser(columns, label, lambda line: "train", {}, "", _Counter())


def test_pyarrow_and_the_line_by_line_fallback_agree():
    """A stray quote makes pyarrow refuse the block; Python's csv reads it as before."""
    parser = _parser()
    fast = list(parser(("f.csv", [b" 1 , a", b"2,b"])))[0][0]
    slow = list(parser(("f.csv", [b" 1 , a", b'2,"b'])))[0][0]
    assert [c.to_pylist() for c in fast] == [["1", "2"], ["a", "b"]]
    assert [c.to_pylist() for c in slow] == [["1", "2"], ["a", "b"]]
    quoted = list(parser(("f.csv", [b'1,"a, ""b"""', b'2,""'])))[0][0]
    assert [c.to_pylist() for c in quoted] == [["1", "2"], ['a, "b"', ""]]


def test_rows_without_a_label_are_dropped_with_their_lines():
    seen = []
    parser = CsvBlockParser(["x", "y"], "y", lambda line: seen.append(line) or "train", {}, "", _Counter())
    (arrays, splits), = parser(("f.csv", [b"1,a", b"2,", b"3,NA", b"4,d"]))
    assert [c.to_pylist() for c in arrays] == [["1", "4"], ["a", "d"]]
    assert seen == [b"1,a", b"4,d"] and splits == ["train", "train"] and parser.dropped.count == 2


def test_text_that_is_not_utf8_names_the_file_and_row(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("x,y\n1,a\n2,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1\.csv: a row is not UTF-8 text.*caf.*Save the file as UTF-8"):
        ingest(str(path), str(tmp_path / "out"), label="x")
    assert path.read_bytes() == "x,y\n1,a\n2,caf\u00e9\n".encode("latin-1")


def test_a_file_cut_into_many_ranges_ingests_every_row_once(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_blocks, "RANGE_BYTES", 100)
    rows = [f"{i},{i % 3},name {i}" for i in range(400)]
    path = tmp_path / "many.csv"
    path.write_text("id,group,name\n" + "\n".join(rows) + "\n")
    result = ingest(str(path), str(tmp_path / "out"), label="group")
    assert sum(result["split_row_counts"].values()) == 400
    ids = sorted(e.features.feature["id"].int64_list.value[0]
                 for split in ("train", "eval") for e in read_examples(str(tmp_path / "out"), split))
    assert ids == list(range(400))
