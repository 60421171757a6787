"""Ingest: CSV, Parquet or TFRecord files -> tf.Example TFRecords in splits.

Two split modes. ``train_eval`` (training): a deterministic hash of each row's
content (the CSV line, or the canonically serialized example) sends it to train or
eval, so the same data always lands in the same split, on any runner; both splits
must get rows. ``all`` (a batch to validate or predict): every row goes to the one
split ``all``, so a batch of any size, a single row included, is ingested.

Columns are typed from a schema when one is given (``schema_types``), else from
their values. CSV rows are typed and encoded column by column (pyarrow and
tfx-bsl's C++ encoder); Parquet and TFRecord rows one by one.
"""
import hashlib
import logging
from typing import Dict, List, Optional, Sequence

from components.common import layout
from components.common.beam_options import pipeline_options
from components.common.errors import ConfigurationError, DataError
from components.common.files import match_files
from components.ingest import csv_blocks, csv_rows, numeric_cells, row_guard, schema_types, tables, tfrecords
from components.ingest.csv_header import CsvHeader, read_csv_header  # noqa: F401 (re-exported)
from components.ingest.csv_parse import CsvBlockParser
# FLOAT, INT and cell_type are re-exported: callers type single values as ingest does.
from components.ingest.cells import (  # noqa: F401
    FLOAT,
    INT,
    NA_MARKERS,
    STRING,
    UNKNOWN,
    cell_type,
    column_type,
    list_column,
    missing_mask,
)

logger = logging.getLogger(__name__)

FORMATS = ("csv", "parquet", "tfrecord", "jsonl")
_HASH_BUCKETS = 10_000
TRAIN_EVAL = "train_eval"
SPLIT_MODES = (TRAIN_EVAL, layout.ALL)


def format_of(name: str) -> Optional[str]:
    """The format a file's name says (csv, parquet, tfrecord or jsonl), or None."""
    name = name.lower()
    if name.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if ".tfrecord" in name or name.endswith(".gz"):
        return "tfrecord"
    return None


def detect_format(files: Sequence[str], requested: str = "auto", data_path: str = "") -> str:
    """The input format of ``files`` (what ``data_path`` matched): as requested, or
    from the files' extensions, which must all say the same format.

    Raises:
      ConfigurationError: an unknown requested format; files whose names say
        different formats (a folder or glob mixing CSV, Parquet and TFRecord), or
        a format other than the requested one; with ``auto``, a file whose name
        says no format.
    """
    if requested != "auto" and requested not in FORMATS:
        raise ConfigurationError(
            f"Unknown input format {requested!r}; use one of {', '.join(FORMATS)} or 'auto'."
        )
    source = data_path or files[0]
    by_format: Dict[str, List[str]] = {}
    for path in files:
        by_format.setdefault(format_of(path) or "unknown", []).append(path)
    named = sorted(f for f in by_format if f != "unknown")
    if len(named) > 1 or (requested != "auto" and named and named != [requested]):
        found = "; ".join(f"{fmt}: {', '.join(by_format[fmt][:3])}" for fmt in named)
        raise ConfigurationError(
            f"{source!r} mixes data formats ({found})"
            + (f", but input_format is {requested!r}" if requested != "auto" else "")
            + ". Keep one format per folder, or give a glob that picks one, such as "
            f"'{source.rstrip('/')}/*.csv'."
        )
    if requested != "auto":
        return requested
    if "unknown" in by_format:
        raise ConfigurationError(
            f"Cannot tell the format of {by_format['unknown'][0]!r} (in {source!r}) from its name. "
            "Set the input_format parameter to csv, parquet, tfrecord or jsonl."
        )
    return named[0]


def _make_example(values: Dict[str, object]):
    """A tf.Example from a dict of column -> python value or list of values."""
    import tensorflow as tf

    feature = {}
    for name, value in values.items():
        if value is None:
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        items = [v for v in items if v is not None]
        if not items:
            continue
        first = items[0]
        if isinstance(first, (bool, int)):
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in items]))
        elif isinstance(first, float):
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=items))
        else:
            encoded = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in items]
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=encoded))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def _missing(value) -> bool:
    """An empty cell, None or NaN: no value."""
    if value is None or value == "":
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, str):
        return value.strip().lower() in NA_MARKERS
    return False


def split_of(content: bytes, train_ratio: float) -> str:
    """Deterministic split assignment from a row's content: the CSV line, or a
    tf.Example from ``SerializeToString(deterministic=True)`` (Parquet, TFRecord), so
    the same row lands in the same split in every process and on every runner."""
    bucket = int.from_bytes(hashlib.md5(content).digest()[:8], "little") % _HASH_BUCKETS
    return layout.TRAIN if bucket < train_ratio * _HASH_BUCKETS else layout.EVAL


def splitter(split_mode: str, train_ratio: float):
    """content -> split name: the hash split of ``train_eval``, or ``all`` for every row."""
    if split_mode == layout.ALL:
        return lambda content: layout.ALL
    return lambda content: split_of(content, train_ratio)


EMPTY_COLUMN_COUNTER = "empty_column:"
COLUMN_PROBLEMS = "column_problems"


def _csv_pcollection(
    pipeline, files: Sequence[str], header: CsvHeader, label: str, assign_split, split_names,
    schema_kinds: Dict[str, int], schema_path: str, non_numeric_cells: str,
):
    """CSV lines -> serialized tf.Examples tagged with their split.

    Each file is cut into byte ranges, read as blocks of lines (``csv_blocks``) and
    each block parsed by pyarrow into string columns, with the split of each row (a
    hash of its line, the same in every run) (``csv_parse``). Columns the schema
    types (``schema_kinds``) are typed as it says as they are parsed; the others
    from a profile of all their cells (``numeric_cells``): the narrowest type that
    holds them, and for a column of numbers with a few cells that are not, the
    ``non_numeric_cells`` policy; for that profile the files are read once more before
    the pass that encodes, so nothing is held in memory between the two. Typing and the
    tf.Example encoding are columnar, in C++ (pyarrow, tfx-bsl). Rows whose label cell
    is missing are dropped and counted. Columns empty in every row and columns with
    problems to report are recorded in Beam metrics (``EMPTY_COLUMN_COUNTER``,
    ``COLUMN_PROBLEMS``).
    """
    import json

    import apache_beam as beam
    import pyarrow as pa
    import pyarrow.compute as pc
    from apache_beam.metrics import Metrics

    columns = header.columns
    parse = CsvBlockParser(
        columns, label, assign_split, schema_kinds, schema_path, row_guard.counter(row_guard.WITHOUT_LABEL),
        header.delimiter, read=row_guard.counter(row_guard.ROWS_READ),
    )
    fixed = parse.fixed

    class ProfileColumns(beam.CombineFn):
        """Per column: the numeric_cells profile of its present cells (None when schema-typed)."""

        def create_accumulator(self):
            return [None if index in fixed else numeric_cells.empty() for index in range(len(columns))]

        def add_input(self, acc, arrays):
            for index, cells in enumerate(arrays):
                if index in fixed:
                    continue
                present = pc.filter(cells, pc.invert(missing_mask(cells)))
                if len(present):
                    acc[index] = numeric_cells.merge([acc[index], numeric_cells.profile(present, column_type(present))])
            return acc

        def merge_accumulators(self, accs):
            accs = list(accs)
            return [None if index in fixed else numeric_cells.merge([a[index] for a in accs]) for index in range(len(columns))]

        def extract_output(self, acc):
            return acc

    def plan_of(profiles):
        """(type of each column, indices of columns whose stray cells are read as missing)."""
        kinds, strays = [], set()
        for index, column in enumerate(profiles):
            if index in fixed:
                kinds.append(fixed[index])
                continue
            kind, strays_missing = numeric_cells.decide(column, non_numeric_cells)
            kinds.append(kind)
            if strays_missing:
                strays.add(index)
        return kinds, strays

    listed, parts_read = row_guard.counter(row_guard.PARTS_LISTED), row_guard.counter(row_guard.PARTS_READ)

    class EncodeRange(beam.DoFn):
        """A byte range of a CSV file read, parsed and encoded block by block with the
        column plan. Reading here, in the step that takes the plan as its side input,
        keeps the runner from holding every parsed row until the plan is known."""

        def setup(self):
            from tfx_bsl.coders.example_coder import RecordBatchToExamplesEncoder

            self._encoder = RecordBatchToExamplesEncoder()

        def process(self, part, plan):
            types, strays = plan
            for block in row_guard.read_whole(csv_blocks.read_range, part, parts_read):
                for arrays, splits in parse(block):
                    kept = [(index, cells, kind) for index, (cells, kind) in enumerate(zip(arrays, types)) if kind != UNKNOWN]
                    record_batch = pa.RecordBatch.from_arrays(
                        [cells if index in fixed else list_column(cells, kind, index in strays) for index, cells, kind in kept],
                        [columns[index] for index, _, _ in kept],
                    )
                    for split, serialized in zip(splits, self._encoder.encode(record_batch)):
                        yield beam.pvalue.TaggedOutput(split, serialized)

    ranges = (
        pipeline
        | "ListCsvFiles" >> beam.Create(list(files))
        | "CutIntoRanges" >> beam.FlatMap(lambda path: row_guard.counted_parts(csv_blocks.file_ranges(path), listed))
        | "SpreadRanges" >> beam.Reshuffle()
    )
    # The column plan needs a profile of every cell before the first row can be
    # encoded, so the files are read twice: a pass that profiles, then one that encodes
    # (``EncodeRange``). Memory stays flat as the data grows, where profiling the rows
    # that are then encoded made the runner hold all of them in between (0.7 GiB at a
    # million taxi rows). A schema that types every column needs no profile.
    if len(fixed) < len(columns):
        cells = (
            ranges
            | "ReadBlocksToProfile" >> beam.FlatMap(csv_blocks.read_range)
            | "ParseToProfile" >> beam.FlatMap(parse.string_columns)
        )
    else:
        cells = pipeline | "NothingToProfile" >> beam.Create([])
    profiles = cells | "ProfileColumns" >> beam.CombineGlobally(ProfileColumns())
    plan = profiles | "PlanColumns" >> beam.Map(plan_of)

    def report_columns(column_profiles):
        problems = {}
        for index, (name, column) in enumerate(zip(columns, column_profiles)):
            if index in fixed:
                continue
            if column["present"] == 0:
                Metrics.counter(row_guard.NAMESPACE, EMPTY_COLUMN_COUNTER + name).inc()
            elif column["too_large"] or numeric_cells.mostly_numbers(column):
                problems[index] = column
        if problems:
            Metrics.string_set(row_guard.NAMESPACE, COLUMN_PROBLEMS).add(json.dumps(problems))

    _ = profiles | "ReportColumns" >> beam.Map(report_columns)
    return ranges | "ReadToExamples" >> beam.ParDo(EncodeRange(), plan=beam.pvalue.AsSingleton(plan)).with_outputs(
        *split_names
    )


def _column_problems(result, files: Sequence[str], header: CsvHeader, non_numeric_cells: str) -> List[str]:
    """Warnings for the columns of numbers with stray cells read under a warning policy.

    Raises DataError for values beyond float32, and for stray cells under ``stop``;
    the messages name the file, column and lines (``csv_rows``)."""
    import json

    from apache_beam.metrics.metric import MetricsFilter

    found = result.metrics().query(MetricsFilter().with_name(COLUMN_PROBLEMS))["string_sets"]
    problems: Dict[int, dict] = {}
    for metric in found:
        for text in (metric.committed or metric.attempted or ()):
            for index, column in json.loads(text).items():
                problems[int(index)] = column

    def located(index, cells):
        places = []
        for path in files:
            places += csv_rows.locate_cells(path, header.delimiter, index, [c for c in cells if c not in {p[2] for p in places}])
            if len(places) >= len(set(cells)):
                break
        return places

    warnings, errors = [], []
    for index, column in sorted(problems.items()):
        name = header.columns[index]
        if column["too_large"]:
            errors.append(numeric_cells.too_large(name, located(index, column["too_large"])))
        if numeric_cells.mostly_numbers(column):
            text = numeric_cells.describe(name, column, located(index, [cell for cell, _ in column["samples"]]))
            if non_numeric_cells == "stop":
                errors.append(text)
            else:
                if non_numeric_cells == "missing" and column["numbers"]:
                    treated = "Those cells were read as missing values"
                else:
                    treated = "The column was read as text" + (" (no cell is a plain number)" if non_numeric_cells == "missing" else "")
                warnings.append(f"{text} {treated} (non_numeric_cells={non_numeric_cells}).")
    if errors:
        raise DataError(
            " ".join(errors)
            + (" " + numeric_cells.policy_advice() if any("are not numbers" in e for e in errors) else "")
        )
    for warning in warnings:
        logger.warning("%s", warning)
    return warnings


def _tagged(serialized: bytes, assign_split):
    """A serialized example as a Beam output tagged with its split."""
    import apache_beam as beam

    return beam.pvalue.TaggedOutput(assign_split(serialized), serialized)


def _table_examples(filename: str, table, files: Sequence[str], label: str, assign_split, schema_kinds, schema_path, first_row: int = 1):
    """The rows of a pyarrow table (a Parquet batch or a JSON Lines file) as serialized
    tf.Examples tagged with their split; nested columns refused and float values
    checked (``tables``), the schema's columns cast to its types first, rows counted
    as read, and rows without a label dropped and counted."""
    tables.check_columns(table.schema, filename)
    tables.check_float_range(table, filename, first_row)
    table = schema_types.cast_table(table, schema_kinds, filename, schema_path)
    if label and label not in table.column_names:
        raise DataError(
            f"Column {label!r} not found in the data ({', '.join(files[:3])}); its columns are "
            f"{', '.join(table.column_names)}. Pass the right --label for this data."
        )
    row_guard.counter(row_guard.ROWS_READ).inc(table.num_rows)
    dropped = row_guard.counter(row_guard.WITHOUT_LABEL)
    for row in table.to_pylist():
        if label and _missing(row[label]):
            dropped.inc()
            continue
        yield _tagged(_make_example(row).SerializeToString(deterministic=True), assign_split)


def _spread_files(pipeline, kind: str, files: Sequence[str], read, split_names):
    """Each file listed and counted, spread over workers, then ``read(file)``'s tagged
    examples, the file counted once read to its end (``row_guard``)."""
    import apache_beam as beam

    listed, parts_read = row_guard.counter(row_guard.PARTS_LISTED), row_guard.counter(row_guard.PARTS_READ)
    return (
        pipeline
        | f"List{kind}Files" >> beam.Create([list(files)])
        | f"Count{kind}Files" >> beam.FlatMap(row_guard.counted_parts, listed)
        | f"Spread{kind}Files" >> beam.Reshuffle()
        | f"Read{kind}" >> beam.FlatMap(lambda path: row_guard.read_whole(read, path, parts_read)).with_outputs(*split_names)
    )


def _parquet_pcollection(pipeline, files: Sequence[str], label: str, assign_split, split_names, schema_kinds, schema_path):
    def rows_of(filename):
        for first_row, table in tables.parquet_batches(filename):
            yield from _table_examples(filename, table, files, label, assign_split, schema_kinds, schema_path, first_row)

    return _spread_files(pipeline, "Parquet", files, rows_of, split_names)


def _json_missing(value) -> bool:
    """A missing value of a JSON instance: null, NaN or "" (the serving signature's convention)."""
    return value is None or value == "" or (isinstance(value, float) and value != value)


def jsonl_table(filename: str):
    """One JSON Lines file (one JSON object per line, as the instances of a serving
    request) as a pyarrow table with a column per key seen in any line.

    ``null``, ``NaN`` and ``""`` are missing values (``NaN`` and ``Infinity`` are read
    as Python's ``json`` reads them); blank lines are skipped; a compressed file
    (``.gz``) is read as such. Column types are pyarrow's for the values (whole numbers
    only: int64; any fraction: double); the schema's types are applied afterwards.

    Raises:
      DataError: a line that is not a JSON object, a nested object as a value, or a
        column whose values mix types (numbers and strings), naming file, line or column.
    """
    import json

    import pyarrow as pa
    from apache_beam.io.filesystems import FileSystems

    rows, names = [], {}
    with FileSystems.open(filename) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as error:
                raise DataError(f"{filename}, line {number}: not JSON ({error}). JSON Lines hold one JSON object per line.") from None
            if not isinstance(row, dict):
                raise DataError(f"{filename}, line {number}: a JSON {type(row).__name__}, not an object of feature values.")
            for name, value in row.items():
                if isinstance(value, dict):
                    raise DataError(f"{filename}, line {number}: {name!r} is a JSON object; a feature holds a value or a list.")
                names.setdefault(name, None)
            rows.append({name: None if _json_missing(value) else value for name, value in row.items()})
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise DataError(f"{filename}: the values of {name!r} mix types ({error}); give each feature one type.") from None
    return pa.table(columns) if columns else pa.table({})


def _jsonl_pcollection(pipeline, files: Sequence[str], label: str, assign_split, split_names, schema_kinds, schema_path):
    def rows_of(filename):
        return _table_examples(filename, jsonl_table(filename), files, label, assign_split, schema_kinds, schema_path)

    return _spread_files(pipeline, "Jsonl", files, rows_of, split_names)


def sequence_example_error(filename: str, number: int, record: bytes) -> DataError:
    """The error for a tf.train.SequenceExample record, naming its feature lists."""
    import tensorflow as tf

    lists = sorted(tf.train.SequenceExample.FromString(record).feature_lists.feature_list)
    return DataError(
        f"{filename}: record {number} is a tf.train.SequenceExample (feature lists "
        f"{', '.join(repr(n) for n in lists[:10])}), not a tf.train.Example. Ingest reads one tf.Example per "
        "row; reading it as one would silently drop the sequences. Turn each sequence into features of "
        "the row (per step or aggregated) and write tf.Examples, or write a CSV or Parquet file."
    )


def _tfrecord_pcollection(pipeline, files: Sequence[str], label: str, assign_split, split_names, schema_kinds, schema_path):
    read, dropped = row_guard.counter(row_guard.ROWS_READ), row_guard.counter(row_guard.WITHOUT_LABEL)

    def examples_of(filename):
        import tensorflow as tf
        from google.protobuf import unknown_fields
        from google.protobuf.message import DecodeError

        for number, record in tfrecords.read_records(filename):
            try:
                example = tf.train.Example.FromString(record)
            except DecodeError as error:
                raise DataError(
                    f"{filename}: record {number} is not a serialized tf.Example ({error}). "
                    "TFRecord input must hold tf.Example protos."
                ) from None
            # Field 2 is a SequenceExample's feature_lists; an Example has no such field.
            if any(field.field_number == 2 for field in unknown_fields.UnknownFieldSet(example)):
                raise sequence_example_error(filename, number, record)
            read.inc()
            if label and label not in example.features.feature:
                dropped.inc()
                continue
            if schema_kinds:
                schema_types.retype_example(example, schema_kinds, filename, schema_path)
            # Deterministic serialization (sorted feature keys) makes the hash split stable.
            yield _tagged(example.SerializeToString(deterministic=True), assign_split)

    return _spread_files(pipeline, "TFRecord", files, examples_of, split_names)


def ingest(
    data_path: str,
    output_uri: str,
    train_ratio: float = 0.8,
    input_format: str = "auto",
    label: str = "",
    beam_pipeline_args: Optional[Sequence[str]] = None,
    split_mode: str = TRAIN_EVAL,
    schema_path: str = "",
    non_numeric_cells: str = "stop",
    stage_transfer=None,
) -> Dict[str, object]:
    """Convert tabular files into tf.Example TFRecords, split into train and eval
    (``split_mode="train_eval"``) or all in one split (``split_mode="all"``).

    Args:
      data_path: a file, a folder (with or without a trailing slash: the files
        directly inside it, names starting with ``.`` or ``_`` skipped) or a glob,
        local or ``gs://``, in any of the formats (``common.files.match_files``).
      output_uri: the examples artifact folder; gets ``Split-train`` and
        ``Split-eval``, or ``Split-all``.
      train_ratio: fraction of rows (by hash) that go to the train split, in (0, 1);
        not used with ``split_mode="all"``.
      input_format: ``csv``, ``parquet``, ``tfrecord``, ``jsonl`` (JSON Lines: one
        object per line, the shape of a serving request's instances: ``jsonl_table``)
        or ``auto`` (from the extension: ``.jsonl``/``.ndjson``, optionally ``.gz``).
      label: the label column, or "" for unlabelled data. It must exist (checked
        before any data is read for CSV input); rows without a label value (empty,
        null or NaN) are dropped, counted and reported, since they can be neither
        trained nor evaluated on.
      beam_pipeline_args: extra Beam flags.
      split_mode: ``train_eval`` (hash split by ``train_ratio``; both splits must
        get rows) or ``all`` (every row in the split ``all``: a batch to validate or
        predict, of any size).
      schema_path: a schema.pbtxt (local or ``gs://``) whose INT, FLOAT and BYTES
        features type the columns of the same names; other columns, and every
        column when empty, are typed from their values.
      non_numeric_cells: for a CSV column of numbers with a few cells that are not
        numbers (``numeric_cells``): ``stop`` (an error naming the column, the share
        of such cells and examples with their lines), ``missing`` (read them as
        missing values, with a warning) or ``text`` (read the column as text, with a
        warning).
      stage_transfer: a Beam PTransform applied to each split's serialized examples
        just before they are counted and written, or None. It stands for the
        transfers between stages where a runner can lose rows (``row_guard``): a
        test gives one that loses a row to prove the guard stops the run.

    Returns:
      ``{"format", "files", "columns", "split_names", "split_row_counts": {split:
      rows}, "rows_without_label": n, "rows_read": n, "delimiter": name (CSV),
      "warnings": [text]}``.

    Raises:
      DataError: no file matches, listing the path fails (with the filesystem's
        error), files are empty, a CSV header is missing or
        differs between files, a row is ragged, a required column is missing,
        a column the schema does not type is empty in every row, a cell cannot be
        read as its schema type (file, column, value and row named), a column of
        numbers has cells that are not numbers (policy ``stop``) or values beyond
        float32, a quoted value holds a line break, a Parquet column holds lists,
        structs or maps, a TFRecord holds SequenceExamples, or a train_eval split
        ends up empty.
      DataLossError: rows read ≠ rows written + rows dropped (``row_guard``).
      ConfigurationError: train_ratio out of range, unknown split mode or format,
        files of different formats (by extension) in one folder or glob,
        or an unreadable schema.
    """
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter

    policy_error = numeric_cells.check_policy(non_numeric_cells)
    if policy_error:
        raise ConfigurationError(policy_error)
    if split_mode not in SPLIT_MODES:
        raise ConfigurationError(f"Unknown split_mode {split_mode!r}; use {' or '.join(SPLIT_MODES)}.")
    if split_mode == TRAIN_EVAL and not 0.0 < train_ratio < 1.0:
        raise ConfigurationError(
            f"train_ratio must be strictly between 0 and 1, got {train_ratio}. To keep every row "
            "in one split (a batch to validate or predict), use split_mode='all'."
        )
    split_names = (layout.ALL,) if split_mode == layout.ALL else layout.SPLITS
    assign_split = splitter(split_mode, train_ratio)
    schema_kinds = schema_types.column_types(schema_path) if schema_path else {}
    files = match_files(data_path, what="data")
    fmt = detect_format(files, input_format, data_path)
    columns: List[str] = []
    header = None
    if fmt == "csv":
        header = read_csv_header(files[0])
        columns = header.columns
        for other in files[1:]:
            if read_csv_header(other) != header:
                raise DataError(
                    f"{other} has a different header from {files[0]}; all CSV files of one "
                    "dataset must have the same columns in the same order, with the same delimiter."
                )
        if label and label not in columns:
            raise DataError(
                f"Column {label!r} not found in {files[0]}; its columns are "
                f"{', '.join(columns)}. Pass the right --label for this data."
            )

    options = pipeline_options(beam_pipeline_args)
    with beam.Pipeline(options=options) as pipeline:
        splitting = (assign_split, split_names, schema_kinds, schema_path)
        if fmt == "csv":
            examples = _csv_pcollection(pipeline, files, header, label, *splitting, non_numeric_cells)
        elif fmt == "parquet":
            examples = _parquet_pcollection(pipeline, files, label, *splitting)
        elif fmt == "jsonl":
            examples = _jsonl_pcollection(pipeline, files, label, *splitting)
        else:
            examples = _tfrecord_pcollection(pipeline, files, label, *splitting)
        for split in split_names:
            written = row_guard.counter(row_guard.written(split))
            split_examples = examples[split]
            if stage_transfer is not None:
                split_examples = split_examples | f"Transfer{split.title()}" >> stage_transfer
            _ = (
                split_examples
                | f"Count{split.title()}" >> beam.Map(row_guard.passed, written)
                | f"Write{split.title()}" >> beam.io.WriteToTFRecord(
                    layout.examples_prefix(output_uri, split), file_name_suffix=".gz"
                )
            )
    result = pipeline.result

    def counter(name: str) -> int:
        found = result.metrics().query(MetricsFilter().with_namespace(row_guard.NAMESPACE).with_name(name))["counters"]
        return int(sum(c.committed or c.attempted or 0 for c in found))

    counts = {split: counter(row_guard.written(split)) for split in split_names}
    without_label = counter(row_guard.WITHOUT_LABEL)
    guard_names = (row_guard.PARTS_LISTED, row_guard.PARTS_READ, row_guard.ROWS_READ, row_guard.WITHOUT_LABEL)
    row_guard.check({name: counter(name) for name in guard_names}, counts, data_path)
    warnings = _column_problems(result, files, header, non_numeric_cells) if fmt == "csv" else []
    empty_columns = sorted(
        c.key.metric.name[len(EMPTY_COLUMN_COUNTER):]
        for c in result.metrics().query()["counters"]
        if c.key.metric.name.startswith(EMPTY_COLUMN_COUNTER)
    )
    if sum(counts.values()) == 0:
        if without_label:
            raise DataError(
                f"No row of {data_path} has a value in the label column {label!r} "
                f"({without_label} rows read). Check the label column."
            )
        raise DataError(
            f"{data_path} holds no data rows ({len(files)} file(s) read). "
            "Check that the files contain rows below the header."
        )
    if empty_columns and sum(counts.values()):
        raise DataError(
            f"Column(s) {', '.join(empty_columns)} of {data_path} are empty in every row. "
            "Fill them, or remove them from the files, so that the data says what it holds."
        )
    if without_label:
        logger.warning(
            "Dropped %d row(s) of %s with no value in the label column %r; they cannot be "
            "trained or evaluated on.", without_label, data_path, label,
        )
    for split, rows in counts.items():
        if rows == 0:
            raise DataError(
                f"The {split} split of {data_path} is empty ({counts}); with so few rows "
                f"the hash split cannot fill both. Provide more rows or change train_ratio "
                "(for a batch that is only validated or predicted, use split_mode='all')."
            )
    logger.info("Ingested %s rows from %d %s file(s): %s", sum(counts.values()), len(files), fmt, counts)
    return {
        "format": fmt,
        "files": len(files),
        "columns": columns,
        "split_names": list(split_names),
        "split_row_counts": counts,
        "rows_without_label": without_label,
        "rows_read": counter(row_guard.ROWS_READ),
        **({"delimiter": header.delimiter_name} if header else {}),
        "warnings": warnings,
    }
