"""Read the records of one TFRecord file, local or on an object store, through Beam's filesystems.

TensorFlow's own reader (``tf.data.TFRecordDataset``) opens ``gs://`` through
TensorFlow's GCS filesystem, which cannot be pointed at a Cloud Storage emulator
(``components/common/storage.py`` says why); Beam's filesystems can, and are what
ingest uses for every other file. The framing is TFRecord's: for each record a
little-endian uint64 length, the masked CRC-32C of those 8 bytes, the data, and the
masked CRC-32C of the data. Both checksums are verified (``crcmod``, which Beam's
GCS client uses too), so a damaged file is named instead of yielding garbage.
"""
import struct
from typing import BinaryIO, Iterator, Tuple

from components.common.errors import DataError

_MASK_DELTA = 0xA282EAD8


def _crc32c():
    import crcmod.predefined

    return crcmod.predefined.mkPredefinedCrcFun("crc-32c")


def masked_crc32c(data: bytes, crc=None) -> int:
    """TFRecord's masked CRC-32C of ``data``."""
    value = (crc or _crc32c())(data)
    return ((((value >> 15) | (value << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def _exactly(handle: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = handle.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def iter_records(handle: BinaryIO, name: str) -> Iterator[Tuple[int, bytes]]:
    """``(record number from 1, record bytes)`` of the TFRecord stream ``handle``.

    Raises:
      DataError: the stream ends inside a record, or a checksum does not match
        (not a TFRecord file, or a damaged one), naming ``name`` and the record.
    """
    crc = _crc32c()
    number = 0
    while True:
        header = _exactly(handle, 12)
        if not header:
            return
        number += 1
        if len(header) < 12:
            raise DataError(f"{name}: the file ends inside the header of record {number}: a truncated TFRecord file.")
        length, length_crc = struct.unpack("<QI", header)
        if masked_crc32c(header[:8], crc) != length_crc:
            raise DataError(
                f"{name}: record {number} has a bad length checksum: not a TFRecord file (or a compressed one "
                "without a .gz name), or a damaged one."
            )
        data, footer = _exactly(handle, length), _exactly(handle, 4)
        if len(data) < length or len(footer) < 4:
            raise DataError(f"{name}: the file ends inside record {number}: a truncated TFRecord file.")
        if masked_crc32c(data, crc) != struct.unpack("<I", footer)[0]:
            raise DataError(f"{name}: record {number} has a bad data checksum: a damaged TFRecord file.")
        yield number, data


def read_records(path: str) -> Iterator[Tuple[int, bytes]]:
    """``(record number, bytes)`` of the TFRecord file ``path`` (gzip when its name ends in ``.gz``)."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    compression = CompressionTypes.GZIP if path.endswith(".gz") else CompressionTypes.UNCOMPRESSED
    with FileSystems.open(path, compression_type=compression) as handle:
        yield from iter_records(handle, path)
