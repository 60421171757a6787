"""``--param NAME=VALUE`` values read by the type the pipeline declares for NAME.

One helper for the local runner (``kfp-tf run``, types from the pipeline function)
and for submitting compiled templates to Vertex AI or Kubeflow (types from the
template's ``parameterType``), so that both read a value the same way:

- a float parameter takes a JSON integer (``train_ratio=0`` -> ``0.0``; kfp refuses
  an int for a float: "NUMBER_INTEGER is incompatible with NUMBER_DOUBLE");
- an integer parameter takes a whole JSON number (``epochs=5.0`` -> ``5``), not a
  fraction;
- a string parameter takes the text as written (``label=1`` is the column ``"1"``),
  or the string of a JSON string (``label='"a b"'``);
- a boolean parameter takes ``true``/``false`` (any case), ``1``/``0``;
- list and dict parameters take JSON of that shape;
- an undeclared type (or none known) keeps the JSON reading: JSON when it parses,
  else the text.

Nothing here imports TensorFlow or kfp.
"""
import json
from typing import Dict, List, Mapping, Optional

FLOAT, INTEGER, STRING, BOOLEAN, LIST, STRUCT = (
    "NUMBER_DOUBLE", "NUMBER_INTEGER", "STRING", "BOOLEAN", "LIST", "STRUCT"
)
# kfp's component input type names (``pipeline.component_spec.inputs[name].type``) -> IR types.
_KFP_NAMES = {"Float": FLOAT, "Integer": INTEGER, "String": STRING, "Boolean": BOOLEAN, "List": LIST, "Dict": STRUCT}


def declared_type(kfp_type: str) -> Optional[str]:
    """The IR parameter type of a kfp input type name (``Float``, ``typing.List[str]``, ...),
    or of an IR type itself; None when unknown."""
    if kfp_type in _KFP_NAMES.values():
        return kfp_type
    base = kfp_type.replace("typing.", "").split("[", 1)[0]
    return _KFP_NAMES.get(base)


def parse_value(name: str, raw: str, declared: Optional[str]) -> object:
    """One ``--param`` value read as the declared type (module docstring).

    Raises ValueError naming the parameter, its type and the value."""
    def refuse(expected: str):
        return ValueError(f"--param {name}={raw}: {name} takes {expected}.")

    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    if declared == STRING:
        return value if isinstance(value, str) else raw
    if declared == FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse("a number (such as 0.5 or 1)")
        return float(value)
    if declared == INTEGER:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse("a whole number")
        return value
    if declared == BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value in (0, 1):
            return bool(value)
        raise refuse("true or false")
    if declared == LIST and not isinstance(value, list):
        raise refuse('a JSON list (such as ["a", "b"])')
    if declared == STRUCT and not isinstance(value, dict):
        raise refuse('a JSON object (such as {"a": 1})')
    return value


def parse_pairs(pairs: List[str], declared: Mapping[str, Optional[str]]) -> Dict[str, object]:
    """``NAME=VALUE`` pairs to a dict, each value read by ``declared[NAME]`` (None or
    absent: JSON when it parses, else text). Names may use ``-`` for ``_``.

    Raises ValueError for a pair without ``=`` or a value its type refuses."""
    values = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--param expects NAME=VALUE, got {pair!r}")
        name, raw = pair.split("=", 1)
        name = name.strip().replace("-", "_")
        values[name] = parse_value(name, raw, declared.get(name))
    return values
