"""Infra validation: does the exported model load and answer sensibly, before it is pushed?

As TFX's InfraValidator does, the candidate is loaded the way a server loads it
(``tf.saved_model.load``, not the Keras object that trained it) in a process
that did not train it (each task is its own process: a forked child locally, a
container in the cloud), and canary batches of real eval examples, with the
label removed as serving data has none, go through both serving signatures
(``components.common.signatures``): ``serving_examples`` as serialized tf.Examples,
and ``serving_default`` as the JSON rows a TF Serving or Vertex AI client sends
(``canary_rows``: one value per feature, ``NaN`` for a missing number and ``""`` for
a missing string). Checks:

- both signatures exist and answer every batch (a model whose ``serving_default``
  takes serialized tf.Examples, as models exported before the JSON rows did, is not
  blessed: a JSON client cannot call it);
- the two signatures give the same answers for the same canaries (class ids and
  classes equal, probabilities or predictions within ``AGREEMENT_TOLERANCE``);
- classification: ``probabilities`` is float [N, C] with C the number of
  classes, every value finite and in [0, 1], each row summing to 1 (within
  ``PROBABILITY_TOLERANCE``); ``class_ids`` / ``classes`` have N entries;
- regression: ``predictions`` has N finite values.

Latency per batch (p50 and p95, after one warm-up call) is recorded. A failure
does not fail the task: the ``INFRA_NOT_BLESSED`` result says why, and ``push``
pushes nothing (the same way a NOT_BLESSED evaluation stops it).
"""
import logging
import time
from typing import Dict, List, Sequence

from components.common import layout, signatures
from components.common.blessing import write_infra_blessing
from components.common.errors import ConfigurationError

logger = logging.getLogger(__name__)

PROBABILITY_TOLERANCE = 1e-3
AGREEMENT_TOLERANCE = 1e-5


def canary_examples(examples_uri: str, label: str, count: int) -> List[bytes]:
    """Up to ``count`` serialized tf.Examples of the eval split, without the label."""
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(layout.examples_pattern(examples_uri, layout.EVAL)))
    if not files:
        raise ConfigurationError(f"No eval examples under {examples_uri}: infra validation needs real examples to send.")
    canaries = []
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").take(count):
        example = tf.train.Example.FromString(record.numpy())
        if label in example.features.feature:
            del example.features.feature[label]
        canaries.append(example.SerializeToString())
    return canaries


def canary_rows(canaries: Sequence[bytes], input_specs: Dict[str, object]) -> Dict[str, list]:
    """The canaries as the columns of a JSON-row request: {input name: [one value per
    canary]} for ``input_specs`` ({input name: TensorSpec} of ``serving_default``).

    A string is the feature's text, ``""`` when the example lacks it; a number is a
    float, ``NaN`` when the example lacks it. Raises ValueError for a feature with
    more than one value in a canary (a JSON row holds one).
    """
    import tensorflow as tf

    columns: Dict[str, list] = {name: [] for name in input_specs}
    for index, serialized in enumerate(canaries):
        example = tf.train.Example.FromString(serialized)
        values = {}
        for feature, value in example.features.feature.items():
            kind = value.WhichOneof("kind")
            found = list(getattr(value, kind).value) if kind else []
            if len(found) > 1:
                raise ValueError(f"canary {index} has {len(found)} values of {feature!r}; a JSON row holds one")
            if found:
                values[signatures.input_name(feature)] = found[0]
        for name, spec in input_specs.items():
            value = values.get(name)
            if spec.dtype == tf.string:
                columns[name].append("" if value is None else value.decode("utf-8"))
            else:
                columns[name].append(float("nan") if value is None else float(value))
    return columns


def compare_answers(by_examples: Dict[str, object], by_rows: Dict[str, object]) -> List[str]:
    """Where the two signatures' answers for the same canaries differ; empty when they agree."""
    import numpy as np

    problems = []
    for name in sorted(by_examples):
        if name not in by_rows:
            problems.append(f"{signatures.SERVING_DEFAULT} returns no {name!r} ({signatures.EXAMPLES} does)")
            continue
        a, b = np.asarray(by_examples[name]), np.asarray(by_rows[name])
        if a.shape != b.shape:
            problems.append(f"{name} has shape {list(b.shape)} from {signatures.SERVING_DEFAULT}, {list(a.shape)} from {signatures.EXAMPLES}")
        elif a.dtype.kind == "f":
            worst = float(np.max(np.abs(a - b))) if a.size else 0.0
            if not worst <= AGREEMENT_TOLERANCE:
                problems.append(f"{name} differ between {signatures.SERVING_DEFAULT} and {signatures.EXAMPLES} by up to {worst:.3g}")
        elif not np.array_equal(a, b):
            rows = int(np.sum(np.any((a != b).reshape(a.shape[0], -1), axis=1))) if a.ndim else 1
            problems.append(f"{name} differ between {signatures.SERVING_DEFAULT} and {signatures.EXAMPLES} for {rows} examples")
    return problems


def check_outputs(outputs: Dict[str, object], batch_size: int, task_info: Dict[str, object]) -> List[str]:
    """Problems with one batch's outputs (numpy arrays by output name); empty when fine."""
    import numpy as np

    problems = []
    if task_info["task"] == "classification":
        expected = len(task_info["classes"])
        if "probabilities" not in outputs:
            return [f"the signature returns {sorted(outputs)}, no 'probabilities'"]
        probabilities = np.asarray(outputs["probabilities"])
        if probabilities.shape != (batch_size, expected):
            return [f"probabilities have shape {list(probabilities.shape)}, expected [{batch_size}, {expected}] (examples, classes)"]
        if not np.all(np.isfinite(probabilities)):
            rows = sorted({int(i) for i in np.argwhere(~np.isfinite(probabilities))[:, 0]})
            problems.append(f"probabilities are NaN or infinite for {len(rows)} of {batch_size} examples (rows {rows[:5]})")
        elif probabilities.min() < -PROBABILITY_TOLERANCE or probabilities.max() > 1 + PROBABILITY_TOLERANCE:
            problems.append(f"probabilities outside [0, 1]: from {probabilities.min():.4g} to {probabilities.max():.4g}")
        else:
            sums = probabilities.sum(axis=1)
            worst = int(np.argmax(np.abs(sums - 1.0)))
            if abs(sums[worst] - 1.0) > PROBABILITY_TOLERANCE:
                problems.append(f"probabilities of an example do not sum to 1 (row {worst} sums to {sums[worst]:.4g})")
        for name in ("class_ids", "classes"):
            if name in outputs and np.asarray(outputs[name]).shape[:1] != (batch_size,):
                problems.append(f"{name} has shape {list(np.asarray(outputs[name]).shape)}, expected [{batch_size}]")
    else:
        if "predictions" not in outputs:
            return [f"the signature returns {sorted(outputs)}, no 'predictions'"]
        predictions = np.asarray(outputs["predictions"]).reshape(-1)
        if predictions.shape != (batch_size,):
            problems.append(f"predictions have {predictions.size} values for {batch_size} examples")
        elif not np.all(np.isfinite(predictions)):
            problems.append(f"predictions are NaN or infinite for {int((~np.isfinite(predictions)).sum())} of {batch_size} examples")
    return problems


def _percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q))


def validate_model(
    model_uri: str,
    canaries: Sequence[bytes],
    task_info: Dict[str, object],
    batch_size: int,
) -> Dict[str, object]:
    """Load the SavedModel, send the canaries in batches, check every answer.

    Returns:
      ``{"blessed", "reasons", "batches", "examples", "batch_size", "load_seconds",
      "latency_ms": {"warmup", "p50", "p95", "max"}}`` (the tf.Example signature's
      latency) and, once both signatures passed, ``"row_latency_ms": {"p50", "p95"}``.
    """
    import tensorflow as tf

    report = {"blessed": False, "reasons": [], "batches": 0, "examples": 0, "batch_size": batch_size}
    started = time.perf_counter()
    try:
        model = tf.saved_model.load(model_uri)
    except Exception as error:  # a corrupt or incompatible SavedModel
        report["reasons"] = [f"the SavedModel at {model_uri} does not load: {type(error).__name__}: {error}"]
        return report
    report["load_seconds"] = round(time.perf_counter() - started, 3)
    inputs = signatures.loaded_signature_inputs(model)
    try:
        examples_name = signatures.examples_signature_name(inputs)
    except ConfigurationError as error:
        report["reasons"] = [str(error)]
        return report
    signature = model.signatures[examples_name]
    rows_signature = None
    if signatures.SERVING_DEFAULT in inputs and examples_name != signatures.SERVING_DEFAULT:
        rows_signature = model.signatures[signatures.SERVING_DEFAULT]
        row_specs = rows_signature.structured_input_signature[1]
    batches = [list(canaries[i : i + batch_size]) for i in range(0, len(canaries), batch_size)]
    latencies, row_latencies = [], []
    for index, batch in enumerate([batches[0]] + batches):  # the first call warms up (traces) the function
        started = time.perf_counter()
        try:
            answer = signature(examples=tf.constant(batch))
        except Exception as error:  # any failure of the model is the finding, reported whole
            report["reasons"] = [f"{examples_name} failed on canary batch {max(index - 1, 0)}: {type(error).__name__}: {str(error)[:500]}"]
            return report
        elapsed_ms = (time.perf_counter() - started) * 1000
        outputs = {name: value.numpy() for name, value in answer.items()}
        row_outputs = None
        if rows_signature is not None:
            try:
                columns = canary_rows(batch, row_specs)
            except ValueError as error:
                report["reasons"] = [f"canary batch {max(index - 1, 0)} cannot be sent as JSON rows: {error}"]
                return report
            started = time.perf_counter()
            try:
                row_answer = rows_signature(**{n: tf.constant(v, dtype=row_specs[n].dtype) for n, v in columns.items()})
            except Exception as error:  # any failure of the model is the finding, reported whole
                report["reasons"] = [
                    f"{signatures.SERVING_DEFAULT} (JSON rows) failed on canary batch {max(index - 1, 0)}: "
                    f"{type(error).__name__}: {str(error)[:500]}"
                ]
                return report
            row_elapsed_ms = (time.perf_counter() - started) * 1000
            row_outputs = {name: value.numpy() for name, value in row_answer.items()}
        if index == 0:
            report["latency_ms"] = {"warmup": round(elapsed_ms, 2)}
            continue
        latencies.append(elapsed_ms)
        problems = check_outputs(outputs, len(batch), task_info)
        if row_outputs is not None and not problems:
            row_latencies.append(row_elapsed_ms)
            problems = [f"{signatures.SERVING_DEFAULT} (JSON rows): {p}" for p in check_outputs(row_outputs, len(batch), task_info)]
            problems = problems or compare_answers(outputs, row_outputs)
        if problems:
            report["reasons"] = [f"canary batch {index - 1} ({len(batch)} examples): {p}" for p in problems]
            return report
        report["batches"] += 1
        report["examples"] += len(batch)
    if rows_signature is None:
        report["reasons"] = [
            f"the SavedModel's {signatures.SERVING_DEFAULT} takes serialized tf.Examples ({sorted(model.signatures)}): "
            "a client sending JSON rows (TF Serving's REST API, Vertex AI Endpoint.predict) cannot call it. "
            "Export it with the train component."
        ]
        return report
    report["row_latency_ms"] = {"p50": round(_percentile(row_latencies, 50), 2), "p95": round(_percentile(row_latencies, 95), 2)}
    report["latency_ms"].update(
        {"p50": round(_percentile(latencies, 50), 2), "p95": round(_percentile(latencies, 95), 2), "max": round(max(latencies), 2)}
    )
    report["blessed"] = True
    report["reasons"] = [
        f"loaded in a fresh process and answered {report['examples']} real eval examples in {report['batches']} "
        f"batch(es) of up to {batch_size}, as tf.Examples ({examples_name}) and as JSON rows "
        f"({signatures.SERVING_DEFAULT}), the same answers from both: shapes, finite values"
        + (" and probabilities summing to 1" if task_info["task"] == "classification" else "")
        + f" checked; p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms per batch"
    ]
    return report


def infra_validate(
    model_uri: str,
    examples_uri: str,
    transform_graph_uri: str,
    output_uri: str,
    num_examples: int = 64,
    batch_size: int = 16,
) -> Dict[str, object]:
    """Validate the model on canary eval examples and write the infra blessing folder.

    ``output_uri`` gets ``INFRA_BLESSED`` or ``INFRA_NOT_BLESSED`` and
    ``infra_validation.json`` (the returned report).

    Raises:
      ConfigurationError: non-positive num_examples or batch_size, or no eval examples.
    """
    from components.common.task import read_task_info

    if num_examples < 1 or batch_size < 1:
        raise ConfigurationError(f"num_examples ({num_examples}) and batch_size ({batch_size}) must be positive.")
    task_info = read_task_info(transform_graph_uri)
    canaries = canary_examples(examples_uri, task_info["label"], num_examples)
    report = validate_model(model_uri, canaries, task_info, batch_size)
    write_infra_blessing(output_uri, report)
    log = logger.info if report["blessed"] else logger.warning
    log("Infra validation: blessed=%s %s", report["blessed"], "; ".join(report["reasons"]))
    return report
