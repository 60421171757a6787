"""KFP's cache decision, computed from compiled IR the way the KFP backend does.

kfp 2.13's local runner has no cache, so the tests replay the backend's: the
driver builds a ``CacheKey`` of the task's resolved input parameter values, the
names of its input artifacts, its output specs and its container (image,
command and arguments), marshals it as JSON and takes its SHA-256
(``backend/src/v2/cacheutils/cache.go``: ``GenerateCacheKey``,
``GenerateFingerPrint``); a task whose ``enableCache`` is on and whose key an
earlier execution has is not run, and its outputs are that execution's
artifacts. ``replay`` walks a pipeline's DAG for one run and says, per task,
whether it was served from the cache. Output parameters of a task that runs
come from ``outputs`` (``{task: {key: value}}``), computed by the test with our
own runtime code.
"""
import hashlib
import json
import re
import uuid
from typing import Dict, Mapping, Tuple

_PLACEHOLDER = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


def _substitute(value, parameters: Mapping[str, object]):
    """Constants holding ``{{$.inputs.parameters['x']}}`` placeholders (lists of channels)."""
    if isinstance(value, str):
        match = _PLACEHOLDER.fullmatch(value)
        return parameters[match.group(1)] if match else value
    if isinstance(value, list):
        return [_substitute(item, parameters) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, parameters) for key, item in value.items()}
    return value


def _order(tasks: Mapping[str, Dict]):
    done, ordered = set(), []
    while len(ordered) < len(tasks):
        for name, task in sorted(tasks.items()):
            if name not in done and set(task.get("dependentTasks", [])) <= done:
                done.add(name)
                ordered.append(name)
    return ordered


def _key(document: Dict, task: Dict, parameters: Dict, artifacts: Dict) -> str:
    component = document["components"][task["componentRef"]["name"]]
    container = document["deploymentSpec"]["executors"][component["executorLabel"]]["container"]
    outputs = component.get("outputDefinitions", {})
    cache_key = {
        "inputArtifactNames": {name: {"artifactNames": names} for name, names in artifacts.items()},
        "inputParameterValues": parameters,
        "outputArtifactsSpec": {
            name: {"type": spec["artifactType"]} for name, spec in outputs.get("artifacts", {}).items()
        },
        "outputParametersSpec": {name: spec["parameterType"] for name, spec in outputs.get("parameters", {}).items()},
        "containerSpec": {"image": container["image"], "cmdArgs": container.get("command", []) + container.get("args", [])},
    }
    return hashlib.sha256(json.dumps(cache_key, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def replay(
    document: Dict, arguments: Mapping[str, object], cache: Dict[str, Tuple[Dict, Dict]], outputs: Mapping[str, Dict]
) -> Dict[str, bool]:
    """One run of the compiled pipeline against ``cache`` (updated in place).

    Returns {task: served from the cache}. ``cache`` maps a cache key to the
    (output parameters, output artifact names) of the execution that made it.
    """
    root = document["root"]
    defaults = {n: s.get("defaultValue") for n, s in root.get("inputDefinitions", {}).get("parameters", {}).items()}
    pipeline_values = dict(defaults, **arguments)
    produced_parameters: Dict[Tuple[str, str], object] = {}
    produced_artifacts: Dict[Tuple[str, str], str] = {}
    served: Dict[str, bool] = {}
    tasks = root["dag"]["tasks"]
    for name in _order(tasks):
        task = tasks[name]
        component = document["components"][task["componentRef"]["name"]]
        parameters = {
            n: s["defaultValue"]
            for n, s in component.get("inputDefinitions", {}).get("parameters", {}).items()
            if "defaultValue" in s
        }
        bindings = task.get("inputs", {}).get("parameters", {})
        for input_name, binding in bindings.items():
            if "componentInputParameter" in binding:
                parameters[input_name] = pipeline_values[binding["componentInputParameter"]]
            elif "taskOutputParameter" in binding:
                source = binding["taskOutputParameter"]
                parameters[input_name] = produced_parameters[(source["producerTask"], source["outputParameterKey"])]
        for input_name, binding in bindings.items():
            if "runtimeValue" in binding:
                parameters[input_name] = _substitute(binding["runtimeValue"]["constant"], parameters)
        artifacts = {
            input_name: [produced_artifacts[(b["taskOutputArtifact"]["producerTask"], b["taskOutputArtifact"]["outputArtifactKey"])]]
            for input_name, b in task.get("inputs", {}).get("artifacts", {}).items()
        }
        key = _key(document, task, parameters, artifacts)
        cached = task.get("cachingOptions", {}).get("enableCache", False) and key in cache
        if cached:
            out_parameters, out_artifacts = cache[key]
        else:
            out_parameters = dict(outputs.get(name, {}))
            definitions = component.get("outputDefinitions", {}).get("artifacts", {})
            out_artifacts = {artifact: f"{name}-{artifact}-{uuid.uuid4().hex[:8]}" for artifact in definitions}
            cache[key] = (out_parameters, out_artifacts)
        served[name] = bool(cached)
        produced_parameters.update({(name, k): v for k, v in out_parameters.items()})
        produced_artifacts.update({(name, k): v for k, v in out_artifacts.items()})
    return served


def fingerprint_paths(document: Dict, arguments: Mapping[str, object], task: str = "fingerprint-inputs"):
    """The ``paths`` the compiled fingerprint task receives for these arguments."""
    root = document["root"]
    values = {n: s.get("defaultValue") for n, s in root.get("inputDefinitions", {}).get("parameters", {}).items()}
    values.update(arguments)
    bindings = root["dag"]["tasks"][task]["inputs"]["parameters"]
    channels = {n: values[b["componentInputParameter"]] for n, b in bindings.items() if "componentInputParameter" in b}
    return _substitute(bindings["paths"]["runtimeValue"]["constant"], channels)
