"""The column-name mapping (components/common/feature_names.py) and ``--param`` values
read by the pipeline parameter's declared type (pipelines/param_values.py); no TensorFlow."""
import pytest

from components.common import feature_names
from components.common.errors import ConfigurationError
from pipelines.cli import parse_params, pipeline_parameter_types
from pipelines.cloud.templates import TemplateError, parameter_types
from pipelines.cloud.templates import parse_params as parse_template_params

ODD = ["bill/length", "flipper length (mm)", "2nd.measure", "île", "body-mass g", "%"]


def test_safe_names_are_readable_identifiers_and_leave_plain_names_alone():
    names = feature_names.safe_names(ODD + ["bill_length_mm", "class", "_id"])
    assert names == {
        "bill/length": "bill_length", "flipper length (mm)": "flipper_length_mm", "2nd.measure": "f_2nd_measure",
        "île": "ile", "body-mass g": "body_mass_g", "%": "f_25", "bill_length_mm": "bill_length_mm",
        "class": "class_", "_id": "id",
    }
    # Python identifiers that are TensorFlow op names too: tf.saved_model.load keeps them as they are.
    assert all(n.isidentifier() and n[0].isalpha() for n in names.values())
    assert feature_names.transformed_name("flipper length (mm)") == "flipper_length_mm_xf"
    assert feature_names.renamed({"a": "a", "b c": "b_c"}) == {"b c": "b_c"}


def test_two_columns_with_one_safe_name_are_refused_by_name():
    with pytest.raises(ConfigurationError, match=r"Columns 'bill/length' and 'bill_length' would both be named 'bill_length'"):
        feature_names.safe_names(["bill/length", "bill_length"])


def test_a_json_integer_is_accepted_for_a_float_parameter_locally():
    from pipelines.training import training

    types = pipeline_parameter_types(training)
    params = parse_params(
        ["train_ratio=0", "learning_rate=1", "epochs=5.0", "label=1", "deterministic=false", "hidden_units=[8]"], types
    )
    assert params == {"train_ratio": 0.0, "learning_rate": 1.0, "epochs": 5, "label": "1",
                      "deterministic": False, "hidden_units": [8]}
    assert isinstance(params["train_ratio"], float) and isinstance(params["epochs"], int)
    with pytest.raises(SystemExit, match=r"--param epochs=2.5: epochs takes a whole number"):
        parse_params(["epochs=2.5"], types)
    with pytest.raises(SystemExit, match=r"--param learning_rate=fast: learning_rate takes a number"):
        parse_params(["learning_rate=fast"], types)


def test_a_json_integer_is_accepted_for_a_float_parameter_of_a_template(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(
        "pipelineInfo: {name: t}\nroot:\n  inputDefinitions:\n    parameters:\n"
        "      train_ratio: {parameterType: NUMBER_DOUBLE}\n      epochs: {parameterType: NUMBER_INTEGER}\n"
        "      label: {parameterType: STRING}\n      slices: {parameterType: LIST}\n"
    )
    params = parse_template_params(["train_ratio=0", "epochs=3", "label=2", 'slices=["a"]'], parameter_types(str(template)))
    assert params == {"train_ratio": 0.0, "epochs": 3, "label": "2", "slices": ["a"]}
    assert isinstance(params["train_ratio"], float)
    with pytest.raises(TemplateError, match=r"slices takes a JSON list"):
        parse_template_params(["slices=a"], parameter_types(str(template)))


def test_the_console_summary_shows_ingest_warnings_the_delimiter_and_renamed_inputs():
    from pipelines.local import human_summary

    text = human_summary({
        "pipeline": "training", "status": "succeeded", "seconds": 40.0, "rows": {"train": 8, "eval": 2},
        "delimiter": "semicolon", "ingest_warnings": ["column 'mass' holds numbers, but ..."],
        "serving_inputs": {"flipper length (mm)": "flipper_length__mm_"},
    })
    assert "rows: train 8, eval 2; read as semicolon-delimited" in text
    assert "ingest warning: column 'mass' holds numbers, but ..." in text
    assert "serving_default inputs renamed (README, \"Column names\"): 'flipper length (mm)' -> 'flipper_length__mm_'" in text
