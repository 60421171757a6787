"""One home for the names a raw feature (a column of the user's data) takes where
TensorFlow restricts names.

The user's column names are kept as they are wherever a name is only a string: the
``tf.Example`` feature keys, statistics, schema, validation and evaluation reports,
the raw feature spec the serving signatures parse. Two places need other names:

- **Model names** (``model_name``): the transformed features that Keras model inputs
  and TensorFlow Transform analyzers are named after. Keras refuses ``/`` in a layer
  name and TensorFlow refuses most punctuation, spaces and non-ASCII letters in an op
  name, so a name is used as it is when it holds only ASCII letters, digits and ``_``,
  else accents are dropped (``île`` -> ``ile``), every run of other characters becomes
  one ``_`` and ``_`` at either end is removed (``flipper length (mm)`` ->
  ``flipper_length_mm``, ``bill/length`` -> ``bill_length``, ``2nd.measure`` ->
  ``2nd_measure``). The transformed feature is ``<model name>_xf``.
- **Signature input names** (``signature_input_name``): the inputs of the
  ``serving_default`` signature, which TensorFlow names by its op-name rule
  (``[A-Za-z0-9.][A-Za-z0-9_.\\-/]*``). A name that follows the rule is kept
  (``bill/length``, ``2nd.measure``); otherwise accents are dropped and every other
  character not allowed becomes ``_`` (``flipper length (mm)`` ->
  ``flipper_length__mm_``, ``île`` -> ``ile``), with ``f`` put first when the result
  would start with ``_`` or ``-``.

Both mappings are functions of the name alone, so every component computes the same
name without passing a table around; ``model_names`` and ``signature_input_names``
refuse two columns that would get one name. ``renamed`` lists, for reports, the
columns whose name changes.
"""
import re
import unicodedata
from typing import Callable, Dict, Iterable

from components.common.errors import ConfigurationError

TRANSFORMED_SUFFIX = "_xf"

_MODEL_SAFE = re.compile(r"[A-Za-z0-9_]+")
# TensorFlow's rule for an op name, which a signature input name must follow.
_OP_NAME = re.compile(r"[A-Za-z0-9.][A-Za-z0-9_.\-/]*")


def _ascii_letters(name: str) -> str:
    """``name`` with accents removed from letters (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def model_name(feature: str) -> str:
    """The model-safe name of a raw feature (module docstring); never empty."""
    if _MODEL_SAFE.fullmatch(feature):
        return feature
    name = re.sub(r"[^A-Za-z0-9]+", "_", _ascii_letters(feature)).strip("_")
    # A name of symbols only ("%", "№") still needs a name: its code points.
    return name or "f_" + "_".join(f"{ord(c):x}" for c in feature)


def transformed_name(feature: str) -> str:
    """The name of a raw feature's transformed feature: ``<model name>_xf``."""
    return model_name(feature) + TRANSFORMED_SUFFIX


def signature_input_name(feature: str) -> str:
    """The ``serving_default`` input name of a raw feature (module docstring)."""
    if _OP_NAME.fullmatch(feature):
        return feature
    name = re.sub(r"[^A-Za-z0-9_.\-/]", "_", _ascii_letters(feature))
    return name if _OP_NAME.fullmatch(name) else "f" + name


def _unique(features: Iterable[str], rename: Callable[[str], str], where: str) -> Dict[str, str]:
    names: Dict[str, str] = {}
    taken: Dict[str, str] = {}
    for feature in features:
        name = rename(feature)
        if name in taken and taken[name] != feature:
            raise ConfigurationError(
                f"Columns {taken[name]!r} and {feature!r} would both be named {name!r} {where} "
                "(characters TensorFlow does not allow in a name are replaced: README, \"Column names\"). "
                "Rename one of the columns."
            )
        taken[name] = feature
        names[feature] = name
    return names


def model_names(features: Iterable[str]) -> Dict[str, str]:
    """{raw feature: model name}; ConfigurationError when two features get one name."""
    return _unique(features, model_name, "inside the model")


def signature_input_names(features: Iterable[str]) -> Dict[str, str]:
    """{raw feature: serving_default input name}; ConfigurationError when two features get one name."""
    return _unique(features, signature_input_name, "as inputs of the serving signature")


def renamed(names: Dict[str, str]) -> Dict[str, str]:
    """The entries of a {raw: name} mapping whose name differs from the raw name."""
    return {raw: name for raw, name in names.items() if raw != name}
