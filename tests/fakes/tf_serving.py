"""TF Serving's REST row format, as ``tensorflow_serving/util/json_tensor.cc`` implements it.

``{"instances": [{input: value, ...}, ...]}`` becomes one tensor per signature input,
batched along the first dimension, of the dtype the signature declares; each
instance must name exactly the signature's inputs. Values are checked as TF Serving
checks them: a float or double input takes any JSON number (not a boolean); an
integer input only a JSON integer (``181.0`` is refused: "is not of expected type");
a string input only a JSON string; ``null`` is refused for every type. TF Serving
parses with rapidjson's ``kParseNanAndInfFlag``, so ``NaN`` and ``Infinity`` are
numbers; Python's ``json`` reads them the same way. The answer is ``{"predictions":
[...]}``: one object {output: value} per instance when there are several outputs.

This is the test side's model of the server, written from TF Serving's source, not
from the code under test.
"""
import json
from typing import Dict, List


class RowFormatError(ValueError):
    """What TF Serving answers with HTTP 400."""


def _check(name: str, value, dtype) -> object:
    import tensorflow as tf

    if dtype in (tf.float32, tf.float64):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RowFormatError(f"key: {name}: JSON Value: {json.dumps(value)} is not of expected type: {dtype.name}")
        return value
    if dtype.is_integer:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RowFormatError(f"key: {name}: JSON Value: {json.dumps(value)} is not of expected type: {dtype.name}")
        return value
    if dtype == tf.string:
        if not isinstance(value, str):
            raise RowFormatError(f"key: {name}: JSON Value: {json.dumps(value)} is not of expected type: string")
        return value.encode("utf-8")
    raise RowFormatError(f"key: {name}: conversion to {dtype.name} is not implemented here")


def row_tensors(signature, instances: List[Dict[str, object]]) -> Dict[str, object]:
    """{input name: tensor [N]} for the instances of a row-format request to ``signature``
    (a concrete function of a loaded SavedModel). Raises RowFormatError as TF Serving
    answers 400."""
    import tensorflow as tf

    specs = signature.structured_input_signature[1]
    if not instances:
        raise RowFormatError("No values in 'instances' array")
    columns: Dict[str, list] = {name: [] for name in specs}
    for index, instance in enumerate(instances):
        if not isinstance(instance, dict) or set(instance) != set(specs):
            raise RowFormatError(
                f"Failed to process element: {index} of 'instances' list. JSON object: {json.dumps(instance)} "
                f"keys must be equal to: {','.join(sorted(specs))}"
            )
        for name, value in instance.items():
            columns[name].append(_check(name, value, specs[name].dtype))
    return {name: tf.constant(values, dtype=specs[name].dtype) for name, values in columns.items()}


def predict_rows(model, body: str, signature_name: str = "serving_default") -> Dict[str, object]:
    """TF Serving's ``POST /v1/models/<name>:predict`` with a JSON ``body``: the
    ``{"predictions": [...]}`` answer of ``signature_name`` (or the body's own
    ``signature_name``)."""
    import numpy as np

    request = json.loads(body)
    signature = model.signatures[request.get("signature_name", signature_name)]
    outputs = signature(**row_tensors(signature, request["instances"]))

    def plain(value):
        value = value.item() if isinstance(value, np.generic) else value
        return value.decode("utf-8") if isinstance(value, bytes) else value

    arrays = {name: tensor.numpy() for name, tensor in outputs.items()}
    rows = []
    for index in range(len(request["instances"])):
        row = {name: (array[index].tolist() if array.ndim > 1 else plain(array[index])) for name, array in arrays.items()}
        rows.append({k: [plain(v) for v in value] if isinstance(value, list) else value for k, value in row.items()}
                    if len(row) > 1 else next(iter(row.values())))
    return {"predictions": rows}
