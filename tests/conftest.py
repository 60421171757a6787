"""Shared fixtures: the runtime functions chained on small data, once per session.

Each stage's unit tests assert on that stage's real outputs; the upstream stages
run here through the same plain functions the components call (no KFP).
"""
import base64
import csv
import json
import os
import pathlib
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


def shared_once(tmp_path_factory, name, compute):
    """``compute(folder)`` run once for the whole session, its JSON-able result returned.

    Under pytest-xdist (``make test`` runs ``-n``) each worker process has its own session,
    so a session fixture would run its pipeline once per worker. Here the first worker to
    ask runs it in a folder all workers see (the parent of their base temp folders) and
    writes the result beside it under a file lock; the others wait for the lock and read
    the result. Without xdist it simply runs. Either way the result has been through JSON,
    so every caller sees the same types.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return json.loads(json.dumps(compute(tmp_path_factory.mktemp(name))))
    import filelock

    shared_root = tmp_path_factory.getbasetemp().parent
    result_file = shared_root / f"{name}.json"
    with filelock.FileLock(str(shared_root / f"{name}.lock")):
        if not result_file.exists():
            folder = shared_root / name
            folder.mkdir(exist_ok=True)
            result_file.write_text(json.dumps(compute(folder)))
        return json.loads(result_file.read_text())


class Run:
    """Artifact folders of one chain of runtime calls (``run.model`` is ``<root>/model``),
    and the calls' results as attributes (``run.ingest_result``)."""

    def __init__(self, root, results=None):
        self.root = str(root)
        self.__dict__.update(results or {})

    def __getattr__(self, name):
        return os.path.join(self.root, name)

    def results(self):
        """The calls' results by attribute name, for ``Run(root, results)``."""
        return {name: value for name, value in vars(self).items() if name != "root"}


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


def shared_chain(tmp_path_factory, name, data_path, label, **options):
    """``run_chain`` once per session (``shared_once``), as a ``Run``."""
    def chain(folder):
        run = run_chain(folder, data_path, label, **options)
        return {"root": run.root, "results": run.results()}

    shared = shared_once(tmp_path_factory, name, chain)
    return Run(shared["root"], shared["results"])


@pytest.fixture(scope="session")
def penguin_run(tmp_path_factory):
    """The penguin species classifier, trained and evaluated through the runtime functions."""
    return shared_chain(tmp_path_factory, "penguins", PENGUINS, "species")


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory):
    """A regression on the penguins: body mass (grams) from the other measurements."""
    return shared_chain(tmp_path_factory, "body_mass", PENGUINS, "body_mass_g", epochs=30)


def run_training_pipeline(workdir, data=PENGUINS, label="species", warm=True, **params):
    """The training pipeline run by kfp's local runner; returns the run's summary (also
    checked against the summary.json it wrote)."""
    import json

    from pipelines import training
    from pipelines.local import run_locally

    arguments = {"data_path": data, "label": label, "serving_model_dir": os.path.join(workdir, "serving"), **params}
    summary = run_locally(training, arguments, str(workdir), warm=warm)
    assert json.load(open(os.path.join(workdir, "summary.json"))) == json.loads(json.dumps(summary))
    return summary


def run_data_validation(workdir, data, baseline):
    """The data-validation pipeline against the curated penguin schema and ``baseline``."""
    from pipelines import data_validation
    from pipelines.local import run_locally

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
    shared = shared_once(tmp_path_factory, "penguin_pipeline",
                         lambda workdir: {"summary": run_training_pipeline(workdir), "workdir": str(workdir)})
    return shared["summary"], pathlib.Path(shared["workdir"])


@pytest.fixture(scope="session")
def binary_pipeline_run(tmp_path_factory):
    """The training pipeline on a binary label (sex) with an accuracy threshold it cannot
    reach, once per session: (summary, workdir)."""
    def binary_run(workdir):
        summary = run_training_pipeline(workdir, label="sex", thresholds={"accuracy": {"lower_bound": 0.999}}, epochs=5)
        return {"summary": summary, "workdir": str(workdir)}

    shared = shared_once(tmp_path_factory, "binary_pipeline", binary_run)
    return shared["summary"], pathlib.Path(shared["workdir"])


@pytest.fixture(scope="session")
def drifted_validation_run(tmp_path_factory):
    """The data-validation pipeline on the moved penguins against the penguins, once per
    session: (summary, the moved CSV, its bytes before the run)."""
    def drifted_run(root):
        moved = moved_penguins(root / "moved.csv")
        with open(moved, "rb") as handle:
            before = handle.read()
        summary = run_data_validation(root / "moved_run", moved, baseline=PENGUINS)
        return {"summary": summary, "moved": moved, "before": base64.b64encode(before).decode("ascii")}

    shared = shared_once(tmp_path_factory, "drifted_validation", drifted_run)
    return shared["summary"], shared["moved"], base64.b64decode(shared["before"])


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
    Nothing is left to do at this point, so exit with pytest's own status instead. An
    xdist worker is left to end on its own: it still has to tell the controller it is done.
    """
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    if "tensorflow" in sys.modules and "code" in _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS["code"])
