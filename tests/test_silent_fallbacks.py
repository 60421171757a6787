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
    from components.common.metadata import load_schema
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


# TensorFlow 2.16 at interpreter shutdown, as Python 3.11 prints it (the source and
# caret lines appear when the file can still be read).
SHUTDOWN_TRACEBACK = [
    "Exception ignored in: <function AtomicFunction.__del__ at 0x7f3a9c2b1d80>",
    "Traceback (most recent call last):",
    '  File "/venv/lib/python3.11/site-packages/tensorflow/python/eager/polymorphic_function/atomic_function.py",'
    " line 291, in __del__",
    "    RUNTIME_FUNCTION_REFS[key] -= 1",
    "    ~~~~~~~~~~~~~~~~~~~~~^^^^^",
    "TypeError: 'NoneType' object is not subscriptable",
]


def _console(tmp_path, lines, finish=False):
    from pipelines.local.console import Console, RunLog

    screen = io.StringIO()
    with open(tmp_path / "run.log", "w") as log:
        tee = Console(screen, RunLog(log), verbose=True)
        tee.write("".join(line + "\n" for line in lines))
        if finish:
            tee.finish()
    return screen.getvalue(), (tmp_path / "run.log").read_text(), tee.lines


@pytest.mark.parametrize("source_lines", [True, False])
def test_only_the_known_tensorflow_shutdown_traceback_is_hidden(tmp_path, source_lines):
    block = SHUTDOWN_TRACEBACK if source_lines else SHUTDOWN_TRACEBACK[:3] + SHUTDOWN_TRACEBACK[5:]
    shown, log, lines = _console(tmp_path, ["before", *block, "after"])
    assert shown == "before\nafter\n"
    assert all(line in log for line in block)  # the log keeps everything
    assert lines == ["before", "after"]  # and the summary never reports it as the run's error


@pytest.mark.parametrize(
    "lines",
    [
        # Another object's finalizer failing: a real problem, shown whole.
        ["Exception ignored in: <function _TemporaryFileCloser.__del__ at 0x7f00>", "Traceback (most recent call last):",
         '  File "/app/components/common/thing.py", line 9, in __del__', "OSError: [Errno 28] No space left on device"],
        # The same finalizer failing for another reason.
        SHUTDOWN_TRACEBACK[:5] + ["KeyError: ('scope', 'fn')"],
        # The words alone, in a task's own error.
        ["TypeError: 'NoneType' object is not subscriptable"],
        ["ValueError: Exception ignored in the data: column x"],
    ],
)
def test_anything_else_that_resembles_it_is_shown(tmp_path, lines):
    shown, _, kept = _console(tmp_path, lines + ["after"])
    assert shown == "".join(line + "\n" for line in lines + ["after"])
    assert kept == lines + ["after"]


def test_a_traceback_cut_short_at_the_end_of_the_run_is_shown(tmp_path):
    shown, _, _ = _console(tmp_path, SHUTDOWN_TRACEBACK[:3], finish=True)
    assert shown == "".join(line + "\n" for line in SHUTDOWN_TRACEBACK[:3])
