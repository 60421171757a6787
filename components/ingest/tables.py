"""Parquet files (and JSON Lines tables) read as ingest reads them: one value per cell.

- Columns of lists, structs or maps are refused by name: the pipeline's features
  hold one value per row (the default preprocessing and the ``serving_default``
  signature take one value per feature), and a struct would otherwise become the
  text of a Python dict.
- Numbers beyond float32's range are refused with their row (``numeric_cells``).

Rows are numbered from 1 in the order of the file.
"""
from typing import Iterator, Tuple

from components.common.errors import DataError
from components.ingest.numeric_cells import FLOAT32_MAX


def _kind_of(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_struct(arrow_type):
        return "structs"
    if pa.types.is_map(arrow_type):
        return "maps"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return "lists"
    return ""


def check_columns(schema, path: str) -> None:
    """Refuse columns that hold more than one value per cell, naming them.

    Raises DataError for list, struct and map columns."""
    nested = [(field.name, _kind_of(field.type), field.type) for field in schema if _kind_of(field.type)]
    if nested:
        shown = ", ".join(f"{name!r} holds {kind} ({arrow_type})" for name, kind, arrow_type in nested)
        raise DataError(
            f"{path}: {shown}. The pipeline reads one value per cell: flatten each into columns of "
            "single values (one column per struct field or list position), or join a list into one text "
            "value, before ingesting."
        )


def check_float_range(table, path: str, first_row: int = 1) -> None:
    """Refuse float values beyond float32's range, naming the column and row.

    Raises DataError."""
    import numpy as np
    import pyarrow as pa

    for name in table.column_names:
        column = table.column(name)
        if not pa.types.is_floating(column.type):
            continue
        values = column.to_numpy().astype(np.float64)
        large = np.flatnonzero(np.isfinite(values) & (np.abs(values) > FLOAT32_MAX))
        if len(large):
            shown = "; ".join(f"row {first_row + int(i)}: {float(values[i])!r}" for i in large[:5])
            raise DataError(
                f"{path}: column {name!r} has values beyond the float32 range (about ±3.4e38) the model reads "
                f"numbers as, which would become infinities: {shown}. Rescale the column (other units, or a "
                "logarithm) or fix the values."
            )


def parquet_batches(path: str) -> Iterator[Tuple[int, object]]:
    """``(first row number, pyarrow table)`` for each batch of a Parquet file, checked."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as handle:
        parquet = pq.ParquetFile(handle)
        check_columns(parquet.schema_arrow, path)
        first_row = 1
        for batch in parquet.iter_batches():
            table = pa.Table.from_batches([batch])
            check_float_range(table, path, first_row)
            yield first_row, table
            first_row += table.num_rows
