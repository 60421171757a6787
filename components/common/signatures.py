"""The signatures of the exported SavedModel: their names, their inputs, and how to find
the one that takes serialized ``tf.Example``s in a model exported before or after the
JSON-row signature existed.

``components/train/export.py`` makes them; everything that calls a model (batch
prediction, evaluation, TFMA, infra validation, the champion check) asks here for the
names, so there is one place to change them.

- ``serving_default`` (``SERVING_DEFAULT``): one named input per raw feature, the label
  excluded, batched as ``[N]``: the input TF Serving's JSON row format
  (``{"instances": [{"island": "Biscoe", "bill_length_mm": 39.1, ...}]}``) and Vertex
  AI's ``Endpoint.predict(instances=[...])`` build. Numeric features are ``float64``
  inputs whatever their type in training (a JSON ``181`` or ``181.0`` is accepted for an
  int64 feature; a fraction for an int64 feature is refused); ``NaN`` is a missing
  number and ``""`` a missing string, each read as the ``tf.Example`` signature reads
  an absent feature. Input names are the feature names, with characters TensorFlow does
  not allow in an input name replaced (``input_name``; the mapping lives in
  ``components.common.feature_names``).
- ``serving_examples`` (``EXAMPLES``): ``examples: string[N]``, serialized raw
  ``tf.Example``s (the label is not needed). Batch prediction, TFMA and clients that
  build protocol buffers use it.
- ``transform_features`` (``TRANSFORM_FEATURES``): ``examples: string[N]`` -> the
  transformed features, label included (TFMA's preprocessing, evaluate's labels).

Models exported before ``serving_examples`` existed have only ``serving_default``
taking ``examples``; ``examples_signature_name`` finds the examples signature in both
layouts, so an older champion stays comparable and servable.
"""
from typing import Dict, Iterable, List, Mapping

from components.common import feature_names
from components.common.errors import ConfigurationError

SERVING_DEFAULT = "serving_default"
EXAMPLES = "serving_examples"
TRANSFORM_FEATURES = "transform_features"
EXAMPLES_INPUT = "examples"


def input_name(feature: str) -> str:
    """The ``serving_default`` input name of a raw feature: the feature name when
    TensorFlow accepts it as an input name, else the documented mapping
    (``components.common.feature_names.safe_name``)."""
    return feature_names.safe_name(feature)


def input_names(features: Iterable[str]) -> Dict[str, str]:
    """{feature: input name} for ``features``.

    Raises ConfigurationError when two features map to the same input name (say
    ``"bill length"`` and ``"bill_length"``): a JSON row could not tell them apart.
    """
    return feature_names.safe_names(features)


def examples_signature_name(signature_inputs: Mapping[str, List[str]]) -> str:
    """The name of the signature taking serialized tf.Examples as ``examples``.

    ``signature_inputs`` is {signature name: [input names]} of one SavedModel.
    ``serving_examples`` in a model exported with the JSON-row ``serving_default``;
    ``serving_default`` itself in a model exported before (its only input is then
    ``examples``).

    Raises ConfigurationError when neither takes ``examples``: the model was not
    exported by the train component.
    """
    for name in (EXAMPLES, SERVING_DEFAULT):
        if list(signature_inputs.get(name, [])) == [EXAMPLES_INPUT]:
            return name
    raise ConfigurationError(
        f"The SavedModel has no signature taking serialized tf.Examples as {EXAMPLES_INPUT!r} "
        f"({EXAMPLES!r}, or {SERVING_DEFAULT!r} in models exported before it); its signatures take "
        f"{dict((k, sorted(v)) for k, v in signature_inputs.items())}. Use a model exported by the train component."
    )


def read_signature_defs(model_dir: str):
    """{signature name: SignatureDef} of the SavedModel in ``model_dir``, read from
    ``saved_model.pb`` without loading the graph.

    Raises ConfigurationError when the folder holds no readable SavedModel.
    """
    from tensorflow.python.saved_model import loader_impl

    try:
        saved_model = loader_impl.parse_saved_model(model_dir)
    except (IOError, OSError) as error:
        raise ConfigurationError(f"{model_dir!r} is not a readable SavedModel: {error}") from None
    return dict(saved_model.meta_graphs[0].signature_def)


def signature_inputs_of(signature_defs: Mapping[str, object]) -> Dict[str, List[str]]:
    """{signature name: [input names]} of SignatureDefs (``read_signature_defs``)."""
    return {name: sorted(sig.inputs) for name, sig in signature_defs.items()}


def loaded_signature_inputs(model) -> Dict[str, List[str]]:
    """{signature name: [input names]} of a model loaded with ``tf.saved_model.load``."""
    return {name: sorted(fn.structured_input_signature[1]) for name, fn in model.signatures.items()}


def examples_signature(model):
    """The concrete function of a loaded model that takes serialized tf.Examples as
    ``examples`` (``examples_signature_name``); raises ConfigurationError without one."""
    return model.signatures[examples_signature_name(loaded_signature_inputs(model))]
