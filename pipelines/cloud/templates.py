"""Compiled pipeline templates: find them by name or path, read their name and parameters."""
import os
from typing import Dict, List, Mapping, Optional

import yaml

from pipelines.compiled_dir import TEMPLATES_DIR as COMPILED_DIR


class TemplateError(ValueError):
    """The template is missing, is not a compiled pipeline, or got parameters it does not take."""


def template_path(pipeline: str, compiled_dir: Optional[str] = None) -> str:
    """``pipeline`` as a file path: itself if it is a file, else ``<compiled_dir>/<pipeline>.yaml``."""
    if os.path.isfile(pipeline):
        return os.path.abspath(pipeline)
    candidate = os.path.join(compiled_dir or COMPILED_DIR, f"{pipeline}.yaml")
    if os.path.isfile(candidate):
        return candidate
    raise TemplateError(
        f"No compiled pipeline {pipeline!r}: give a pipeline name with a compiled "
        f"{candidate} (run `kfp-tf compile`) or the path of a compiled YAML file."
    )


def check_caching(enable_caching: Optional[bool]) -> None:
    """Refuse ``enable_caching=True``: forced on for every task, the cache would serve
    the tasks compiled as never cached (fingerprint-inputs, baseline, push, predict,
    vertex-push): last run's data, last run's baseline, no push. None keeps each
    task's compiled setting (README, "Caching"); False runs every task."""
    if enable_caching:
        raise TemplateError(
            "Caching cannot be forced on for every task: the input fingerprint, baseline and push steps "
            "must run each time (README, \"Caching\"). Leave it unset (each task as compiled) or turn it off."
        )


def load_template(path: str) -> Dict:
    """The pipeline spec of a compiled YAML file."""
    with open(path) as handle:
        document = yaml.safe_load(handle)
    if not isinstance(document, dict) or "pipelineInfo" not in document or "root" not in document:
        raise TemplateError(f"{path} is not a compiled KFP pipeline (no pipelineInfo/root): compile it with `kfp-tf compile`.")
    return document


def pipeline_name(path: str) -> str:
    return load_template(path)["pipelineInfo"]["name"]


def parameter_names(path: str) -> List[str]:
    """Names of the pipeline's input parameters."""
    return list(load_template(path)["root"].get("inputDefinitions", {}).get("parameters", {}))


def required_parameters(path: str) -> List[str]:
    """Parameters with no default, which every run must be given."""
    parameters = load_template(path)["root"].get("inputDefinitions", {}).get("parameters", {})
    return [name for name, spec in parameters.items() if "defaultValue" not in spec and not spec.get("isOptional")]


def check_parameters(path: str, values: Mapping[str, object]) -> Dict[str, object]:
    """``values`` if every name is a parameter of the template and every required one is given."""
    known = parameter_names(path)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise TemplateError(f"{os.path.basename(path)} has no parameter {', '.join(unknown)}. Parameters: {', '.join(known)}")
    missing = [name for name in required_parameters(path) if name not in values]
    if missing:
        raise TemplateError(f"{os.path.basename(path)} needs {', '.join(missing)}: pass --param NAME=VALUE for each.")
    return dict(values)


def parameter_types(path: str) -> Dict[str, str]:
    """{parameter name: IR parameter type (NUMBER_DOUBLE, STRING, ...)} of a compiled template."""
    parameters = load_template(path)["root"].get("inputDefinitions", {}).get("parameters", {})
    return {name: spec.get("parameterType", "") for name, spec in parameters.items()}


def parse_params(pairs: List[str], declared: Optional[Mapping[str, str]] = None) -> Dict[str, object]:
    """``NAME=VALUE`` pairs to a dict, each VALUE read by its declared IR type
    (``parameter_types``; ``pipelines.param_values``), else as JSON when it parses, else as text."""
    from pipelines.param_values import declared_type, parse_pairs

    try:
        return parse_pairs(pairs, {name: declared_type(kind) for name, kind in (declared or {}).items()})
    except ValueError as error:
        raise TemplateError(str(error)) from None


def parse_labels(pairs: List[str]) -> Dict[str, str]:
    """``KEY=VALUE`` label pairs to a dict."""
    labels = {}
    for pair in pairs:
        if "=" not in pair:
            raise TemplateError(f"--label expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        labels[key.strip()] = value.strip()
    return labels
