"""Ingest's TFRecord reader (components/ingest/tfrecords.py) against files TensorFlow wrote."""
import pytest

from components.common.errors import DataError
from components.ingest.tfrecords import read_records


def _write(path, records, compression=None):
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path), options=compression) as writer:
        for record in records:
            writer.write(record)


@pytest.mark.parametrize("name,compression", [("plain.tfrecord", None), ("packed.tfrecord.gz", "GZIP")])
def test_reads_every_record_tensorflow_wrote(tmp_path, name, compression):
    records = [b"", b"a", b"x" * 100_000] + [f"record {i}".encode() for i in range(50)]
    _write(tmp_path / name, records, compression)
    assert list(read_records(str(tmp_path / name))) == list(enumerate(records, 1))


def test_a_damaged_or_truncated_file_is_named_with_its_record(tmp_path):
    path = tmp_path / "data.tfrecord"
    _write(path, [b"first", b"second record"])
    content = path.read_bytes()
    damaged = tmp_path / "damaged.tfrecord"
    damaged.write_bytes(content[:-6] + b"?" + content[-5:])  # one byte of record 2's data
    with pytest.raises(DataError, match=r"damaged\.tfrecord: record 2 has a bad data checksum"):
        list(read_records(str(damaged)))
    truncated = tmp_path / "truncated.tfrecord"
    truncated.write_bytes(content[:-3])
    with pytest.raises(DataError, match=r"truncated\.tfrecord: the file ends inside record 2"):
        list(read_records(str(truncated)))
    not_tfrecord = tmp_path / "rows.tfrecord"
    not_tfrecord.write_text("a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match=r"rows\.tfrecord: record 1 has a bad length checksum: not a TFRecord file"):
        list(read_records(str(not_tfrecord)))
