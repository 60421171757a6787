"""The benchmark suite's summary: every figure beside its target (issue 7), as a table and JSON.

    .venv/bin/python benchmarks/report.py   # after benchmarks/run.py and/or benchmarks/scale.py

Reads benchmarks/results/latest.json (penguin run, authoring) and scale.json (components
at scale), prints one table and writes benchmarks/results/bench.json. A part not measured
yet is reported as such, never guessed.
"""
import json
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
# TFX 1.16's LocalDagRunner on the penguin job, process wall (DESIGN.md). TFX cannot be
# installed beside kfp 2.x, so it cannot be re-measured in the same run.
TFX_PENGUIN_PROCESS_WALL_S = 76.0
TARGETS = {
    "penguin_process_wall_s": TFX_PENGUIN_PROCESS_WALL_S / 2,
    "import_pipelines_s": 2.0,
    "compile_all_s": 5.0,
    "scale_ratio": 1.25,
}


def _load(name):
    path = os.path.join(RESULTS_DIR, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def rows_for(quick, scale):
    """(figure, value, target, unit, note) for every target of the issue."""
    rows = []
    if quick:
        warm, cold = quick["penguins_warm"], quick["penguins_cold"]
        rows.append(("penguin run, process wall (warm worker)", warm["process_wall_s"],
                     TARGETS["penguin_process_wall_s"], "s",
                     f"cold tasks in the same run: {cold['process_wall_s']:.1f} s; TFX: {TFX_PENGUIN_PROCESS_WALL_S:.0f} s"))
        rows.append(("import pipelines + catalog", quick["authoring"]["import_pipelines_s"],
                     TARGETS["import_pipelines_s"], "s", ""))
        rows.append(("compile every pipeline and component", quick["authoring"]["compile_all_s"],
                     TARGETS["compile_all_s"], "s", ""))
    if scale:
        for step, pair in scale["steps"].items():
            cpu = f"CPU-seconds ratio {pair['cpu_ratio']:.2f}; " if "cpu_ratio" in pair else ""
            rows.append((f"{step} at {scale['rows']:,} rows, ours / direct", pair["ratio"], TARGETS["scale_ratio"], "x",
                         f"{cpu}{pair['ours']['rows_per_second']:,} vs {pair['direct']['rows_per_second']:,} rows/s; "
                         f"{pair['ours']['peak_rss_gib']:.2f} vs {pair['direct']['peak_rss_gib']:.2f} GiB"))
    return rows


def main():
    quick, scale = _load("latest.json"), _load("scale.json")
    rows = rows_for(quick, scale)
    print(f"\n{'figure':<48}{'value':>9}{'target':>9}  met  notes")
    for figure, value, target, unit, note in rows:
        print(f"{figure:<48}{value:>8.2f}{unit}{target:>8.2f}{unit}  {'yes' if value <= target else 'NO '}  {note}")
    for name, part in (("penguin run and authoring (benchmarks/run.py)", quick), ("scale (benchmarks/scale.py)", scale)):
        if part is None:
            print(f"not measured yet: {name}")
        else:
            print(f"{name}: measured at {part.get('measured_at', 'an unknown time')}")
    summary = {
        "penguin_and_authoring": quick,
        "scale": scale,
        "targets": [
            {"figure": f, "value": round(v, 2), "target": t, "unit": u, "met": v <= t, "note": n}
            for f, v, t, u, n in rows
        ],
    }
    path = os.path.join(RESULTS_DIR, "bench.json")
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(path, "w") as handle:
        json.dump(summary, handle, indent=2)
    print(f"written to {os.path.relpath(path, REPO_ROOT)}")


if __name__ == "__main__":
    main()
