"""Conditions that used to be absorbed silently now fail loudly or stay visible:
an environment the schema does not define, and console lines that merely look like
the one harmless TensorFlow shutdown message."""
import io
import os

import pytest

from components.common.errors import ConfigurationError
from conftest import write_csv


@pytest.fixture(scope="module")
def small_statistics(tmp_path_factory):
    """Statistics and the inferred schema (TRAINING and SERVING defined) of a small CSV."""
    from components.ingest.runtime import ingest
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics

    root = tmp_path_factory.mktemp("small")
    data = write_csv(root / "data.csv", ["x", "cat", "y"], [[i * 0.5, f"c{i % 3}", i % 2] for i in range(60)])
    ingest(data, str(root / "examples"), label="y")
    generate_statistics(str(root / "examples"), str(root / "statistics"))
    make_schema(str(root / "statistics"), str(root / "schema"), label="y")
    return root


def _schema_without_environments(root):
    from components.common import layout
    from components.schema.runtime import load_schema
    from google.protobuf import text_format

    schema = load_schema(layout.schema_path(str(root / "schema")))
    del schema.default_environment[:]
    for feature in schema.feature:
        del feature.not_in_environment[:]
    folder = root / "schema_without_environments"
    os.makedirs(os.path.dirname(layout.schema_path(str(folder))), exist_ok=True)
    with open(layout.schema_path(str(folder)), "w") as handle:
        handle.write(text_format.MessageToString(schema))
    return str(folder)


def test_an_environment_the_schema_does_not_define_is_an_error_naming_both(small_statistics, tmp_path):
    from components.validate.runtime import validate_statistics

    root = small_statistics
    with pytest.raises(ConfigurationError) as raised:
        validate_statistics(str(root / "statistics"), str(root / "schema"), str(tmp_path / "a"), environment="SERVNG")
    message = str(raised.value)
    assert "does not define the environment 'SERVNG'" in message
    assert "'TRAINING'" in message and "'SERVING'" in message and "schema.pbtxt" in message
    # The ones it defines are applied: in SERVING the label is a column the schema does not expect.
    training = validate_statistics(str(root / "statistics"), str(root / "schema"), str(tmp_path / "t"))
    assert training["anomaly_count"] == 0
    serving = validate_statistics(str(root / "statistics"), str(root / "schema"), str(tmp_path / "s"),
                                  environment="SERVING", fail_on_anomalies=False)
    assert {(a["feature"], a["kinds"]) for a in serving["anomalies"]} == {("y", "SCHEMA_NEW_COLUMN")}


def test_a_schema_without_environments_is_checked_whole_and_refuses_serving(small_statistics, tmp_path):
    from components.validate.runtime import validate_statistics

    root = small_statistics
    schema = _schema_without_environments(root)
    assert validate_statistics(str(root / "statistics"), schema, str(tmp_path / "t"))["anomaly_count"] == 0
    with pytest.raises(ConfigurationError, match="does not define the environment 'SERVING'; it defines none"):
        validate_statistics(str(root / "statistics"), schema, str(tmp_path / "s"), environment="SERVING")
