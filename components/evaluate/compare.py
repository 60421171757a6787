"""Can the baseline be compared with the candidate? Checked from the SavedModel files alone.

The signatures are read from ``saved_model.pb`` and the class names from the
variables checkpoint, without loading the model (TFMA loads it once, later).
"""
import os
from typing import Dict, List, Optional

from components.common import signatures
from components.common.errors import ConfigurationError

# Metrics that do not depend on which class id a class has.
CLASS_ORDER_FREE = {"example_count", "accuracy", "loss"}


def _model_classes(model_uri: str) -> Optional[List[str]]:
    """The class names an exported classifier stores (its class_names variable), or None."""
    import tensorflow as tf

    try:
        names = tf.train.load_variable(os.path.join(model_uri, "variables", "variables"), "class_names/.ATTRIBUTES/VARIABLE_VALUE")
    except Exception:  # not one of our classifiers, or no such variable
        return None
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def check_baseline(baseline_uri: str, task_info: Dict[str, object]) -> Dict[str, object]:
    """Check the baseline answers like the candidate; return what is known about it.

    Returns ``{"classes": its class names or None, "examples_signature": the name of
    its signature on serialized tf.Examples}``: ``serving_examples``, or
    ``serving_default`` for a champion exported before the JSON-row ``serving_default``
    (``components.common.signatures.examples_signature_name``), so an older champion
    stays comparable.

    Raises ConfigurationError when it lacks a signature on serialized tf.Examples or
    ``transform_features``, predicts another kind of output, or reads no label named
    like the candidate's: such a model was trained for another label or task, and a
    serving folder serves one model's signature.
    """
    prediction_key = "probabilities" if task_info["task"] == "classification" else "predictions"
    defs = signatures.read_signature_defs(baseline_uri)
    outputs = {name: sorted(sig.outputs) for name, sig in defs.items()}
    inputs = signatures.signature_inputs_of(defs)
    try:
        examples_name = signatures.examples_signature_name(inputs)
    except ConfigurationError:  # no signature on tf.Examples: reported below with the rest
        examples_name = None
    transform = outputs.get(signatures.TRANSFORM_FEATURES)
    problem = None
    if examples_name is None or transform is None:
        problem = (f"it has no signature on serialized tf.Examples ({signatures.EXAMPLES} or, exported before it, "
                   f"{signatures.SERVING_DEFAULT}) and {signatures.TRANSFORM_FEATURES} (its signatures take {inputs})")
    elif prediction_key not in outputs[examples_name]:
        problem = f"its {examples_name} returns {outputs[examples_name]}, not {prediction_key!r} ({task_info['task']})"
    elif task_info["label_key"] not in transform:
        problem = f"its transform_features outputs no {task_info['label_key']!r} (label {task_info['label']!r})"
    if problem:
        raise ConfigurationError(
            f"The baseline model {baseline_uri} cannot be compared with this {task_info['task']} model of "
            f"label {task_info['label']!r}: {problem}. Push this model to another serving_model_dir."
        )
    classes = _model_classes(baseline_uri) if task_info["task"] == "classification" else None
    return {"classes": classes, "examples_signature": examples_name}


def comparable_change_thresholds(change_thresholds, task_info, baseline_classes) -> Dict[str, Dict[str, float]]:
    """Change thresholds that can be judged: class-id metrics need the same class order."""
    if task_info["task"] != "classification" or baseline_classes == list(task_info["classes"]):
        return change_thresholds
    return {k: v for k, v in change_thresholds.items() if k in CLASS_ORDER_FREE}
