"""The row guard: a Beam step that loses a row between its stages fails the run."""
import pytest

from components.common.errors import DataLossError
from components.common.row_guard import check_rows


def test_rows_read_must_equal_rows_written_plus_dropped():
    check_rows("Ingest", "data.csv", read=10, written=8, dropped=2, dropped_why="without a label")
    with pytest.raises(DataLossError, match=r"read 10 row\(s\) but wrote 8 and dropped 1 without a label: 1 row\(s\) unaccounted"):
        check_rows("Ingest", "data.csv", read=10, written=8, dropped=1, dropped_why="without a label")
    with pytest.raises(DataLossError, match=r"-1 row\(s\) unaccounted"):  # rows that appear from nowhere too
        check_rows("Batch prediction", "examples", read=3, written=4)


def _examples(examples_uri):
    """Every serialized example of an examples artifact, all splits."""
    import glob
    import os

    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_uri, "Split-*", "*.gz")))
    return [record.numpy() for record in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _lose_the_first_example(first):
    """A Beam transform that drops one serialized example (``first``) and keeps the rest."""
    import apache_beam as beam

    return beam.Filter(lambda example: example != first)


def test_batch_prediction_that_loses_a_row_between_stages_fails(penguin_run, tmp_path):
    import apache_beam as beam

    from components.predict.runtime import predict
    from components.push.runtime import push_model

    serving = str(tmp_path / "serving")
    push_model(penguin_run.model, serving, blessed=True)
    examples = _examples(penguin_run.examples)
    # A real stage boundary (a reshuffle) keeps every row: the guard lets it through.
    kept = predict(penguin_run.examples, penguin_run.statistics, serving, str(tmp_path / "kept"),
                   before_predict=beam.Reshuffle())
    assert kept["rows"] == len(examples)
    with pytest.raises(DataLossError, match=rf"read {len(examples)} row\(s\) but wrote {len(examples) - 1}: 1 row\(s\) unaccounted"):
        predict(penguin_run.examples, penguin_run.statistics, serving, str(tmp_path / "lost"),
                before_predict=_lose_the_first_example(examples[0]))
