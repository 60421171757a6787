"""One home for the name a raw feature (a column of the user's data) takes where
TensorFlow restricts names.

The user's column names are kept as they are wherever a name is only a string: the
``tf.Example`` feature keys, statistics, schema, validation and evaluation reports,
the raw feature spec the ``serving_examples`` signature parses. Two places need a
name TensorFlow accepts, and both use the one **safe name** of the column
(``safe_name``):

- inside the model: the transformed feature ``<safe name>_xf`` that Keras model
  inputs and TensorFlow Transform analyzers are named after (Keras refuses ``/`` in a
  layer name, TensorFlow most punctuation, spaces and non-ASCII letters in an op name);
- the input of the ``serving_default`` signature (TF Serving's and Vertex AI's JSON
  rows). A SignatureDef would take ``bill/length``, but ``tf.saved_model.load`` renames
  each input that is not a Python identifier (``bill/length`` -> ``bill_length``,
  ``2nd.measure`` -> ``arg_2nd_measure``), so Python callers and JSON clients would see
  different names. A name that is both a Python identifier and a TensorFlow op name
  needs no renaming anywhere.

The safe name is the column name when it is an ASCII identifier starting with a letter
and not a Python keyword; otherwise accents are dropped (``île`` -> ``ile``), every run
of other characters becomes one ``_``, ``_`` at either end is removed, ``f_`` is put
first when it would start with a digit and ``_`` last when it is a keyword:
``flipper length (mm)`` -> ``flipper_length_mm``, ``bill/length`` -> ``bill_length``,
``2nd.measure`` -> ``f_2nd_measure``, ``class`` -> ``class_``.

The mapping is a function of the name alone, so every component computes the same name
without passing a table around; ``safe_names`` refuses two columns that would get one
name. ``renamed`` lists, for reports, the columns whose name changes.
"""
import keyword
import re
import unicodedata
from typing import Dict, Iterable

from components.common.errors import ConfigurationError

TRANSFORMED_SUFFIX = "_xf"

_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _ascii_letters(name: str) -> str:
    """``name`` with accents removed from letters (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def safe_name(feature: str) -> str:
    """The safe name of a raw feature (module docstring); never empty."""
    if _SAFE.fullmatch(feature) and not keyword.iskeyword(feature):
        return feature
    name = re.sub(r"[^A-Za-z0-9]+", "_", _ascii_letters(feature)).strip("_")
    # A name of symbols only ("%", "№") still needs a name: its code points.
    name = name or "_".join(f"{ord(c):x}" for c in feature)
    if not name[0].isalpha():
        name = "f_" + name
    return name + "_" if keyword.iskeyword(name) else name


def transformed_name(feature: str) -> str:
    """The name of a raw feature's transformed feature: ``<safe name>_xf``."""
    return safe_name(feature) + TRANSFORMED_SUFFIX


def safe_names(features: Iterable[str]) -> Dict[str, str]:
    """{raw feature: safe name}; ConfigurationError when two features get one name."""
    names: Dict[str, str] = {}
    taken: Dict[str, str] = {}
    for feature in features:
        name = safe_name(feature)
        if name in taken and taken[name] != feature:
            raise ConfigurationError(
                f"Columns {taken[name]!r} and {feature!r} would both be named {name!r} inside the model and "
                "in the serving signature (characters TensorFlow does not allow in a name are replaced: "
                "README, \"Column names\"). Rename one of the columns."
            )
        taken[name] = feature
        names[feature] = name
    return names


def renamed(names: Dict[str, str]) -> Dict[str, str]:
    """The entries of a {raw: name} mapping whose name differs from the raw name."""
    return {raw: name for raw, name in names.items() if raw != name}
