"""The benchmark suite's own machinery: the synthetic data, the targets summary, and a
tiny end-to-end run of the scale benchmark (every step, ours and direct)."""
import csv
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "benchmarks"))
import report  # noqa: E402
import taxi_data  # noqa: E402


def test_taxi_csv_has_the_rows_columns_and_missing_cells_asked_for(tmp_path):
    path = tmp_path / "taxi.csv"
    taxi_data.write_taxi_csv(str(path), 2500)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2500
    assert list(rows[0]) == taxi_data.COLUMNS.split(",")
    assert all(row[taxi_data.LABEL] for row in rows)
    missing = sum(1 for row in rows if row["pickup_community_area"] == "")
    assert 10 < missing < 120  # about 2%
    assert {row["payment_type"] for row in rows} <= {"Credit Card", "Cash", "No Charge", "Dispute", "Unknown"}
    again = tmp_path / "again.csv"
    taxi_data.write_taxi_csv(str(again), 2500)
    assert again.read_bytes() == path.read_bytes()  # deterministic for a seed


def _pair(ours, direct):
    side = lambda s: {"seconds": s, "rows_per_second": int(1000 / s), "peak_rss_gib": 1.0}  # noqa: E731
    return {"ours": side(ours), "direct": side(direct), "ratio": round(ours / direct, 2), "cpu_ratio": 1.0}


def test_summary_judges_every_figure_against_its_target():
    quick = {
        "penguins_warm": {"process_wall_s": 30.0},
        "penguins_cold": {"process_wall_s": 60.0},
        "authoring": {"import_pipelines_s": 2.5, "compile_all_s": 0.6},
    }
    scale = {"rows": 1000, "steps": {"transform": _pair(10.0, 10.0), "train": _pair(20.0, 10.0)}}
    met = {figure: value <= target for figure, value, target, unit, note in report.rows_for(quick, scale)}
    assert met == {
        "penguin run, process wall (warm worker)": True,
        "import pipelines + catalog": False,
        "compile every pipeline and component": True,
        "transform at 1,000 rows, ours / direct": True,
        "train at 1,000 rows, ours / direct": False,
    }
    assert report.rows_for(None, None) == []


@pytest.mark.slow
def test_scale_benchmark_runs_every_step_on_both_sides(tmp_path):
    """``benchmarks/scale.py`` end to end on 3,000 rows (about 100 s: eight fresh processes)."""
    results = tmp_path / "scale.json"
    done = subprocess.run(
        [sys.executable, os.path.join(REPO_ROOT, "benchmarks", "scale.py"), "--rows", "3000",
         "--keep", str(tmp_path / "work"), "--results", str(results)],
        capture_output=True, text=True, cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "ratio" in done.stdout  # the table was printed
    with open(results) as handle:
        scale = json.load(handle)
    assert list(scale["steps"]) == ["data_validation", "transform", "train", "evaluate"]
    splits = scale["steps"]["data_validation"]["ours"]["detail"]["split_row_counts"]
    assert sum(splits.values()) == 3000  # every row has a label
    assert scale["steps"]["data_validation"]["direct"]["rows"] == 3000
    assert scale["steps"]["transform"]["ours"]["rows"] == scale["steps"]["transform"]["direct"]["rows"] == 3000
    assert scale["steps"]["train"]["ours"]["rows"] == scale["steps"]["train"]["direct"]["rows"] == splits["train"]
    assert scale["steps"]["evaluate"]["direct"]["rows"] == splits["eval"]
    # Both sides wrote real outputs: ours the artifacts, direct its own files.
    assert (tmp_path / "work" / "model" / "saved_model.pb").exists()
    assert (tmp_path / "work" / "direct_transform" / "graph" / "transform_fn" / "saved_model.pb").exists()
    assert (tmp_path / "work" / "direct_evaluation" / "eval_config.json").exists()
    assert (tmp_path / "work" / "blessing" / "BLESSED").exists() or (tmp_path / "work" / "blessing" / "NOT_BLESSED").exists()
    for pair in scale["steps"].values():
        assert pair["ratio"] > 0 and pair["ours"]["peak_rss_gib"] > 0.1
        assert "imported_during_step" not in pair["ours"]["detail"] or set(
            pair["ours"]["detail"]["imported_during_step"]) <= {"google_crc32c", "sortedcontainers"}
