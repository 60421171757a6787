"""KFP wrapper of the ingest runtime."""
from typing import List

from kfp import dsl
from kfp.dsl import Dataset, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def ingest(
    data_path: str,
    examples: Output[Dataset],
    label: str = "",
    train_ratio: float = 0.8,
    input_format: str = "auto",
    beam_pipeline_args: List[str] = [],
    split_mode: str = "train_eval",
    schema_path: str = "",
    input_fingerprint: str = "",
    non_numeric_cells: str = "stop",
):
    """Read CSV, Parquet or TFRecord files into tf.Example TFRecords, split into train
    and eval (training) or all in one split (a batch to validate or predict).

    Args:
      data_path: A file, folder or glob, local or gs:// (for example gs://bucket/data/*.csv).
      examples: Output. Split-train/ and Split-eval/ folders (or one Split-all/) of
        gzip TFRecords (TFX layout); metadata split_names, split_row_counts, format
        and columns.
      label: The label column: it must exist, and rows without a label value are
        dropped (counted in metadata rows_without_label). Empty for unlabelled data.
      train_ratio: Fraction of rows assigned to train by a deterministic content hash
        (split_mode train_eval).
      input_format: csv, parquet, tfrecord, jsonl (JSON Lines), or auto (from the file extension).
      beam_pipeline_args: Extra Apache Beam flags, for example --runner=DataflowRunner.
      split_mode: train_eval (hash split; both splits must get rows) or all (every
        row in the one split "all", for a batch of any size, a single row included).
      schema_path: A schema.pbtxt (local or gs://) that types the columns it names
        (FLOAT -> float, INT -> int, BYTES -> string) instead of their values; empty:
        every column typed from its values.
      input_fingerprint: Not read by the task: the fingerprint of data_path and the
        pipeline's other external files (fingerprint_inputs), so that the KFP cache
        key changes when a file at an unchanged path does.
      non_numeric_cells: A CSV column of numbers with a few cells that are not
        numbers ("unknown", "3,750", "18.3%"): stop (an error naming the column, the
        share of such cells and examples with their lines), missing (read those cells
        as missing values; a warning, in metadata warnings) or text (read the column
        as text; a warning).

    Raises:
      DataError: Nothing matches data_path, the files are empty or header-only, CSV
        headers differ between files, a row has the wrong number of fields, a quoted
        value holds a line break, the label column is missing, a cell cannot be read
        as its schema type, a column of numbers holds text (non_numeric_cells=stop) or
        values beyond float32, a Parquet column holds lists or structs, a TFRecord
        holds SequenceExamples, or a train_eval split ends up empty. The message
        names the file, column and row.
      DataLossError: Rows read differ from rows written plus rows dropped (a Beam
        runner lost data between stages).
      ConfigurationError: Unknown split_mode or input_format, train_ratio outside
        (0, 1) in train_eval mode, or an unreadable schema.
    """
    from components.ingest.runtime import ingest as run_ingest

    result = run_ingest(
        data_path=data_path,
        output_uri=examples.path,
        train_ratio=train_ratio,
        input_format=input_format,
        label=label,
        beam_pipeline_args=beam_pipeline_args,
        split_mode=split_mode,
        schema_path=schema_path,
        non_numeric_cells=non_numeric_cells,
    )
    examples.metadata.update(result)
