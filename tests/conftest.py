"""Shared fixtures: the runtime functions chained on small data, once per session.

Each stage's unit tests assert on that stage's real outputs; the upstream stages
run here through the same plain functions the components call (no KFP).
"""
import csv
import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PENGUINS = os.path.join(REPO_ROOT, "pipelines", "sample_data", "penguins.csv")
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures")


def read_csv_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


class Run:
    """Artifact folders of one chain of runtime calls."""

    def __init__(self, root):
        self.root = str(root)

    def __getattr__(self, name):
        return os.path.join(self.root, name)


def run_chain(root, data_path, label, task="auto", epochs=15, until="evaluate"):
    """ingest -> statistics -> schema -> validate -> transform -> train -> evaluate."""
    from components.evaluate.runtime import evaluate
    from components.ingest.runtime import ingest
    from components.schema.runtime import make_schema
    from components.statistics.runtime import generate_statistics
    from components.train.runtime import train
    from components.transform.runtime import transform
    from components.validate.runtime import validate_statistics

    run = Run(root)
    run.ingest_result = ingest(data_path, run.examples, label=label)
    run.statistics_result = generate_statistics(run.examples, run.statistics, html_path=os.path.join(run.root, "stats.html"))
    run.schema_result = make_schema(run.statistics, run.schema, label=label)
    run.validate_result = validate_statistics(run.statistics, run.schema, run.anomalies, os.path.join(run.root, "anomalies.md"))
    if until == "validate":
        return run
    run.transform_result = transform(run.examples, run.schema, run.statistics, run.transform_graph, run.transformed_examples, label, task=task)
    if until == "transform":
        return run
    run.train_result = train(run.transform_graph, run.transformed_examples, run.model, epochs=epochs)
    if until == "train":
        return run
    run.evaluation = evaluate(
        run.model, run.examples, run.schema, run.statistics, run.transform_graph, run.evaluation_dir, run.blessing,
        report_path=os.path.join(run.root, "evaluation.md"), view_path=os.path.join(run.root, "evaluation.html"),
    )
    return run


@pytest.fixture(scope="session")
def penguin_run(tmp_path_factory):
    """The penguin species classifier, trained and evaluated through the runtime functions."""
    return run_chain(tmp_path_factory.mktemp("penguins"), PENGUINS, "species")


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory):
    """A regression on the penguins: body mass (grams) from the other measurements."""
    return run_chain(tmp_path_factory.mktemp("body_mass"), PENGUINS, "body_mass_g", epochs=30)


def run_training_pipeline(workdir, data=PENGUINS, label="species", warm=True, **params):
    """The training pipeline run by kfp's local runner; returns the run's summary (also
    checked against the summary.json it wrote)."""
    import json

    from pipelines import training
    from pipelines.local_run import run_locally

    arguments = {"data_path": data, "label": label, "serving_model_dir": os.path.join(workdir, "serving"), **params}
    summary = run_locally(training, arguments, str(workdir), warm=warm)
    assert json.load(open(os.path.join(workdir, "summary.json"))) == json.loads(json.dumps(summary))
    return summary


def run_data_validation(workdir, data, baseline):
    """The data-validation pipeline against the curated penguin schema and ``baseline``."""
    from pipelines import data_validation
    from pipelines.local_run import run_locally

    arguments = {"data_path": data, "curated_schema_path": os.path.join(FIXTURES, "penguins_schema.pbtxt"),
                 "baseline_path": baseline}
    return run_locally(data_validation, arguments, str(workdir))


def moved_penguins(path, shift_mm=12.0):
    """The penguins with every bill 12 mm longer: a batch whose bill_length_mm drifted."""
    rows = read_csv_rows(PENGUINS)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            if row["bill_length_mm"]:
                row["bill_length_mm"] = f"{float(row['bill_length_mm']) + shift_mm:.1f}"
            writer.writerow(row)
    return str(path)


@pytest.fixture(scope="session")
def penguin_pipeline_run(tmp_path_factory):
    """The training pipeline on the penguins, once per session: (summary, workdir)."""
    workdir = tmp_path_factory.mktemp("penguin_pipeline")
    return run_training_pipeline(workdir), workdir


@pytest.fixture(scope="session")
def binary_pipeline_run(tmp_path_factory):
    """The training pipeline on a binary label (sex) with an accuracy threshold it cannot
    reach, once per session: (summary, workdir)."""
    workdir = tmp_path_factory.mktemp("binary_pipeline")
    return run_training_pipeline(workdir, label="sex", thresholds={"accuracy": {"lower_bound": 0.999}}, epochs=5), workdir


@pytest.fixture(scope="session")
def drifted_validation_run(tmp_path_factory):
    """The data-validation pipeline on the moved penguins against the penguins, once per
    session: (summary, the moved CSV, its bytes before the run)."""
    root = tmp_path_factory.mktemp("drifted_validation")
    moved = moved_penguins(root / "moved.csv")
    before = open(moved, "rb").read()
    return run_data_validation(root / "moved_run", moved, baseline=PENGUINS), moved, before


def serialized_examples(rows, skip=()):
    """Raw CSV rows (dicts of strings) as serialized tf.Examples, typed as ingest types them
    (each column by the widest type of its cells)."""
    from components.ingest.runtime import FLOAT, INT, STRING, UNKNOWN, _make_example, cell_type

    types = {}
    for row in rows:
        for name, cell in row.items():
            current = types.get(name, UNKNOWN)
            types[name] = current if current == STRING else max(current, cell_type(cell))
    examples = []
    for row in rows:
        values = {}
        for name, cell in row.items():
            if name in skip or cell == "":
                continue
            kind = types[name]
            values[name] = int(cell) if kind == INT else float(cell) if kind == FLOAT else cell
        examples.append(_make_example(values).SerializeToString())
    return examples


def row_key(row, names):
    """A hashable key of a row's values for ``names``, equal for the same row read from
    a CSV (text), a Parquet file or a tf.Example: numbers compared as float32, as
    tf.Example stores them; empty or absent values are None."""
    import numpy as np

    def normalized(value):
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return float(np.float32(float(value)))
            except ValueError:
                return value
        return float(np.float32(value))

    return tuple(normalized(row.get(name)) for name in names)


_EXIT_STATUS = {}


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS["code"] = int(exitstatus)


def pytest_unconfigure(config):
    """End the process once pytest has reported, when TensorFlow was loaded.

    TF 2.16's functions fail in ``__del__`` while the interpreter shuts down, printing
    a screen of "Exception ignored in AtomicFunction.__del__" after pytest's summary.
    Nothing is left to do at this point, so exit with pytest's own status instead.
    """
    if "tensorflow" in sys.modules and "code" in _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS["code"])
