"""Parsing a block of CSV lines into string columns, with the split of every row.

The fast path hands the whole block to pyarrow's CSV parser (C++); the split of a
row is a hash of its line, so it is the same in every run and on every runner.
When pyarrow refuses the block (a ragged row, text that is not UTF-8, a stray
quote), the block is parsed again line by line with Python's ``csv`` module, which
finds the row to name in the error, or accepts what pyarrow was stricter about.
"""
import csv
import io
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from components.common.errors import DataError
from components.ingest import csv_rows, schema_types
from components.ingest.cells import first_unreadable, list_column, missing_mask


class CsvBlockParser:
    """Turns ``(filename, lines)`` blocks into ``(columns, splits)``: pyarrow string
    arrays (typed list arrays for the columns a schema types) and each row's split.

    Args:
      columns: the header's column names.
      label: the label column, or "": rows whose label cell is missing are dropped
        and counted in ``dropped``.
      assign_split: the row's line (bytes) -> its split name.
      schema_kinds: column name -> schema type, for the columns a schema types; those
        are typed here, and a cell that is not of its type is an error naming it.
      schema_path: the schema's path, for those errors.
      dropped: a Beam counter (anything with ``inc(n)``).
      delimiter: the file's delimiter (``csv_header``).
      read: a counter of the rows read (non-blank lines), or None.
    """

    def __init__(
        self, columns: Sequence[str], label: str, assign_split: Callable[[bytes], str],
        schema_kinds: Dict[str, int], schema_path: str, dropped, delimiter: str = ",", read=None,
    ):
        self.columns = list(columns)
        self.delimiter = delimiter
        self.read = read
        self.label_index = self.columns.index(label) if label else -1
        self.assign_split = assign_split
        self.fixed = {index: schema_kinds[name] for index, name in enumerate(self.columns) if name in schema_kinds}
        self.schema_path = schema_path
        self.dropped = dropped

    def __call__(self, block: Tuple[str, List[bytes]]):
        filename = block[0]
        parsed = self._labelled_columns(block, counting=True)
        if parsed is None:
            return
        arrays, lines = parsed
        for index, kind in self.fixed.items():
            arrays[index] = self._typed_column(arrays[index], kind, index, filename, lines)
        yield arrays, [self.assign_split(line) for line in lines]

    def string_columns(self, block: Tuple[str, List[bytes]]):
        """The block's string columns as ``__call__`` parses them (rows without a label
        left out), with nothing counted, typed or split: for a pass that only looks at
        the cells. Yields one list of arrays, or nothing for a block without rows."""
        parsed = self._labelled_columns(block, counting=False)
        if parsed is not None:
            yield parsed[0]

    def _labelled_columns(self, block: Tuple[str, List[bytes]], counting: bool):
        """``(string arrays, lines)`` of the block's rows that have a label, or None when
        none is left; with ``counting``, rows read and rows dropped are counted."""
        import pyarrow as pa

        filename, lines = block
        lines = [line for line in lines if line.strip()]
        if not lines:
            return None
        if counting and self.read is not None:
            self.read.inc(len(lines))
        arrays = self._parse_with_pyarrow(lines)
        if arrays is None:
            arrays = self._parse_line_by_line(filename, lines)
        if self.label_index >= 0:
            labelled = ~missing_mask(arrays[self.label_index]).to_numpy(zero_copy_only=False)
            if not labelled.all():
                if counting:
                    self.dropped.inc(int((~labelled).sum()))
                labelled_rows = pa.array(labelled)
                arrays = [column.filter(labelled_rows) for column in arrays]
                lines = [line for line, has_label in zip(lines, labelled) if has_label]
        return (arrays, lines) if lines else None

    def _parse_with_pyarrow(self, lines: List[bytes]) -> Optional[list]:
        """Whitespace-trimmed string columns, or None when pyarrow cannot parse every line as one row."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pa_csv

        try:
            table = pa_csv.read_csv(
                io.BytesIO(b"\n".join(lines)),
                read_options=pa_csv.ReadOptions(column_names=self.columns),
                parse_options=pa_csv.ParseOptions(delimiter=self.delimiter, newlines_in_values=False),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.string() for name in self.columns}, strings_can_be_null=False
                ),
            )
        except pa.ArrowInvalid:
            return None
        if table.num_rows != len(lines):
            return None
        return [pc.utf8_trim_whitespace(column.combine_chunks()) for column in table.columns]

    def _parse_line_by_line(self, filename: str, lines: List[bytes]) -> list:
        """The same columns through Python's csv module; the errors name the file and row."""
        import pyarrow as pa

        rows = []
        for line in lines:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataError(
                    f"{filename}: a row is not UTF-8 text ({error.reason} at byte {error.start}). "
                    f"Row: {line[:200]!r}. Save the file as UTF-8."
                ) from None
            cells = next(csv.reader([text], delimiter=self.delimiter))
            if len(cells) != len(self.columns):
                where = f"{filename} line {csv_rows.line_number(filename, line) or '?'}"
                if text.count('"') % 2:
                    raise DataError(
                        f"{where}: a quoted value holds a line break (the row ends inside quotes: {text[:200]!r}). "
                        "Ingest reads one row per line: replace the line breaks inside values (with a space, "
                        "say) and save the file again."
                    )
                raise DataError(
                    f"{where}: a row has {len(cells)} fields but the header has {len(self.columns)} "
                    f"({', '.join(self.columns)}). Row: {text[:200]!r}. Fix or remove malformed rows "
                    "(quote values that contain the delimiter)."
                )
            rows.append([cell.strip() for cell in cells])
        return [pa.array(column, type=pa.string()) for column in zip(*rows)]

    def _typed_column(self, cells, kind: int, index: int, filename: str, lines: List[bytes]):
        """A column the schema types, as a tf.Example list array; a cell that cannot be
        read as the schema's type is a DataError naming its file, column, value and row."""
        import pyarrow as pa

        try:
            return list_column(cells, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            row = first_unreadable(cells, kind)
            if row < 0:
                raise
            raise schema_types.unreadable_cell_error(
                filename, self.columns[index], cells[row].as_py(), kind, self.schema_path,
                row=lines[row].decode("utf-8", "replace"),
            ) from None
