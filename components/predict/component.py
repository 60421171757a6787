"""KFP wrapper of the predict runtime."""
from typing import List

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Output

from components.image import COMPONENT_IMAGE


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def predict(
    examples: Input[Dataset],
    statistics: Input[Artifact],
    predictions: Output[Dataset],
    model_path: str,
    output_format: str = "csv",
    key_columns: List[str] = [],
    beam_pipeline_args: List[str] = [],
):
    """Predict every row of a batch with a pushed SavedModel, on Apache Beam (RunInference).

    Args:
      examples: The output of ingest; every split is predicted.
      statistics: The output of statistics on the same examples (names and types of
        the key columns).
      predictions: Output. predictions-<shard>-of-<n>.csv (.parquet, .tfrecord.gz):
        one row per input row, in no particular order: the key columns, then
        predicted_class and probability_<class> per class (classifier) or prediction
        (regressor). Metadata rows, files, columns, task, classes, model_dir,
        model_version.
      model_path: A serving base folder (its highest integer version is used, as TF
        Serving does) or one SavedModel version folder, local or gs://.
      output_format: csv, parquet or tfrecord (gzip TFRecord of tf.Example).
      key_columns: Input columns copied to each output row to identify it; empty:
        every input column (for CSV input in the header's order).
      beam_pipeline_args: Extra Apache Beam flags, for example --runner=DataflowRunner.

    Raises:
      ConfigurationError: No SavedModel or version folder at model_path, a model
        without a signature on serialized tf.Examples (serving_examples, or
        serving_default in models exported before it) of the train component, an unknown
        output_format, or a key column the batch does not have.
      DataError: A row lacks a feature the model needs; the message names the feature
        and the row's key columns.
    """
    from components.predict.runtime import predict as run_predict

    result = run_predict(
        examples_uri=examples.path,
        statistics_uri=statistics.path,
        model_path=model_path,
        output_uri=predictions.path,
        output_format=output_format,
        key_columns=key_columns,
        column_order=examples.metadata.get("columns") or [],
        beam_pipeline_args=beam_pipeline_args,
    )
    predictions.metadata.update(result)
