"""The model batch prediction runs: which SavedModel, what it returns, and how Beam calls it.

The model is the one ``train`` exports (``components/train/export.py``): its
examples signature (``serving_examples``; ``serving_default`` in models exported
before the JSON-row ``serving_default`` existed, ``components.common.signatures``)
takes serialized raw ``tf.Example``s (parsing and the transform graph are inside) and
returns ``probabilities``, ``class_ids`` and ``classes`` for a classifier, or
``predictions`` for a regressor.

Why a small ``ModelHandler`` of our own: Beam's ``RunInference`` transform
(``apache_beam.ml.inference``) does the batching, loads the model once per worker
process and shares it between threads, and that is what runs here. Its TensorFlow
handlers load models with ``tf.keras.models.load_model``, which under Keras 3 reads
only ``.keras``/``.h5`` files, not this SavedModel; tfx-bsl's ``RunInference``
loads SavedModels into a TF1 ``Session``, where this Keras 3 model's variables are
not restored ("Could not find variable dense_1/bias", checked on the pinned
stack). ``ServingSignatureHandler`` loads it with ``tf.saved_model.load`` and calls
the signature on each batch.
"""
import os
import re
from typing import Dict, Iterable, Optional, Sequence, Tuple

from apache_beam.ml.inference.base import ModelHandler

from components.common import serving_folder, signatures, storage
from components.common.errors import ConfigurationError, DataError

SIGNATURE_INPUT = signatures.EXAMPLES_INPUT
SAVED_MODEL_FILE = serving_folder.SAVED_MODEL_FILE
CLASSIFICATION = "classification"
REGRESSION = "regression"
# The checkpoint key of the class names the export keeps beside the Keras model.
_CLASS_NAMES_VARIABLE = "class_names/.ATTRIBUTES/VARIABLE_VALUE"
_MISSING_FEATURE = re.compile(r"Feature: (\S+) \(data type: (\w+)\) is required but could not be found")
_WRONG_TYPE = re.compile(r"Key: ([^,\s]+), Index: \d+\.\s+Data types don't match\. Expected type: (\w+), Actual type: (\w+)")


def resolve_model_dir(model_path: str) -> Tuple[str, Optional[int]]:
    """The SavedModel folder ``model_path`` names, and its version when it has one.

    ``model_path`` is a SavedModel folder (for example ``<base>/1732430000``), taken
    as it is, or a serving base folder whose newest complete version (holding the
    ``_PUBLISHED`` marker, ``components.common.serving_folder``) is taken; versions
    still being pushed, or whose push died, are skipped.

    Raises:
      ConfigurationError: the path is neither, or none of its versions is complete.
    """
    path = model_path.rstrip("/")
    if not path:
        raise ConfigurationError("model_path is empty: give a serving base folder or a SavedModel folder.")
    name = os.path.basename(path)
    if storage.exists(os.path.join(path, SAVED_MODEL_FILE)):
        return path, int(name) if name.isdigit() else None
    versions = serving_folder.versions(path)
    if not versions and not storage.is_folder(path):
        raise ConfigurationError(f"The model folder {model_path!r} does not exist. Push a model first, or fix the path.")
    if not versions:
        raise ConfigurationError(
            f"{model_path!r} holds neither a SavedModel ({SAVED_MODEL_FILE}) nor integer version "
            "folders (<base>/<version>/). Give the serving folder a training run pushed to, or one "
            "version folder in it."
        )
    newest = serving_folder.newest_published(path)
    if newest is None:
        raise ConfigurationError(
            f"None of the versions of {model_path!r} ({', '.join(map(str, versions))}) is complete: none holds "
            f"{serving_folder.PUBLISHED}, which push writes last. A push still running, or one that died? "
            "Push again, or name one version folder."
        )
    return newest[1], newest[0]


class ModelOutputs:
    """What the model's examples signature returns, read without loading the graph:
    ``signature`` (its name), the task, and for a classifier its class names in
    ``class_ids`` order.

    Raises ConfigurationError when the model has no signature taking serialized
    tf.Examples, or its outputs are not a classifier's or a regressor's.
    """

    def __init__(self, model_dir: str):
        import tensorflow as tf

        defs = signatures.read_signature_defs(model_dir)
        try:
            self.signature = signatures.examples_signature_name(signatures.signature_inputs_of(defs))
        except ConfigurationError as error:
            raise ConfigurationError(
                f"{error} Batch prediction ({model_dir!r}) needs a model exported by the train component."
            ) from None
        outputs = defs[self.signature].outputs
        if "probabilities" in outputs and "classes" in outputs:
            self.task = CLASSIFICATION
            width = outputs["probabilities"].tensor_shape.dim[-1].size
            checkpoint = os.path.join(model_dir, "variables", "variables")
            names = dict(tf.train.list_variables(checkpoint))
            if _CLASS_NAMES_VARIABLE in names:
                self.classes = [c.decode("utf-8") for c in tf.train.load_variable(checkpoint, _CLASS_NAMES_VARIABLE)]
            else:  # a model from elsewhere: number the classes
                self.classes = [str(i) for i in range(width)]
        elif "predictions" in outputs:
            self.task, self.classes = REGRESSION, []
        else:
            raise ConfigurationError(
                f"The {self.signature!r} signature of {model_dir!r} returns {', '.join(sorted(outputs))}; "
                "batch prediction expects probabilities and classes (classification) or predictions "
                "(regression), as the train component exports."
            )


def _feature_values(example, name: str) -> list:
    feature = example.features.feature.get(name)
    if feature is None:
        return []
    kind = feature.WhichOneof("kind")
    return list(getattr(feature, kind).value) if kind else []


def _shown(values: list) -> str:
    """A feature's values as a person reads them (39.1, not 39.099998474121094)."""
    import numpy as np

    text = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(np.float32(v)) if isinstance(v, float) else str(v) for v in values]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]" if text else "none"


def _row_lacking(batch: Sequence[bytes], feature: str, key_columns: Sequence[str]) -> str:
    """The key columns of the first row of ``batch`` without ``feature``."""
    import tensorflow as tf

    for serialized in batch:
        example = tf.train.Example.FromString(serialized)
        if not _feature_values(example, feature):
            return ", ".join(f"{name}={_shown(_feature_values(example, name))}" for name in key_columns)
    return ""


def model_input_error(error: Exception, batch: Sequence[bytes], key_columns: Sequence[str]) -> Optional[DataError]:
    """A DataError saying which feature of the batch the model cannot read, for
    TensorFlow's parse errors: a required feature missing, or of another type."""
    missing = _MISSING_FEATURE.search(str(error))
    if missing:
        feature, dtype = missing.groups()
        row = _row_lacking(batch, feature, key_columns)
        return DataError(
            f"The model needs feature {feature!r} ({dtype}) in every row, but some rows of the batch "
            f"lack it{' (for example the row ' + row + ')' if row else ''}. Fill the column, or drop "
            "those rows; validating the batch against the training schema in the SERVING environment "
            "reports them before prediction."
        )
    mistyped = _WRONG_TYPE.search(str(error))
    if mistyped:
        feature, expected, actual = mistyped.groups()
        return DataError(
            f"Feature {feature!r} of the batch holds {actual} values, but the model reads it as {expected}. "
            "Ingest types a column from its values (a float column whose values are all whole numbers "
            "becomes int64): write the values as in the training data, for example 39.0 rather than 39."
        )
    return None


class ServingSignatureHandler(ModelHandler):
    """A Beam ``ModelHandler``: loads the SavedModel once per worker process
    (``RunInference`` shares it between threads) and calls its examples signature
    (``signatures.examples_signature``) on batches of serialized tf.Examples. Yields ``PredictionResult(example, {output:
    value of this row})``."""

    def __init__(self, model_dir: str, key_columns: Sequence[str] = (), max_batch_size: int = 1024):
        super().__init__(min_batch_size=1, max_batch_size=max_batch_size)
        self._model_dir = model_dir
        self._key_columns = list(key_columns)

    def load_model(self):
        import tensorflow as tf

        return tf.saved_model.load(self._model_dir)

    def run_inference(self, batch: Sequence[bytes], model, inference_args: Optional[Dict] = None) -> Iterable:
        import tensorflow as tf
        from apache_beam.ml.inference.base import PredictionResult

        try:
            outputs = signatures.examples_signature(model)(**{SIGNATURE_INPUT: tf.constant(list(batch))})
        except tf.errors.InvalidArgumentError as error:
            raise (model_input_error(error, batch, self._key_columns) or error) from None
        values = {name: tensor.numpy() for name, tensor in outputs.items()}
        return [PredictionResult(example, {name: array[i] for name, array in values.items()}) for i, example in enumerate(batch)]

    def get_metrics_namespace(self) -> str:
        return "predict"

