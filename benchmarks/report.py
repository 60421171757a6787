"""The benchmark suite's summary: every figure beside its target (issue 7), as a table and JSON.

    .venv/bin/python benchmarks/report.py   # after benchmarks/run.py and/or benchmarks/scale.py

Reads benchmarks/results/latest.json (penguin run, authoring), scale.json (components
at scale) and tfx_penguin.json (the penguin run beside TFX 1.16's, make bench-tfx), prints
one table and writes benchmarks/results/bench.json. A part not measured yet is reported as
such, never guessed.
"""
import json
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
# TFX 1.16's LocalDagRunner on the penguin job, process wall, from an old session (DESIGN.md);
# make bench-tfx measures it beside ours (tfx_penguin.json), issue 17's target being 0.3x.
TFX_PENGUIN_PROCESS_WALL_S = 76.0
TARGETS = {
    "penguin_process_wall_s": TFX_PENGUIN_PROCESS_WALL_S / 2,
    "import_pipelines_s": 2.0,
    "compile_all_s": 5.0,
    "scale_ratio": 1.25,
    "ours_over_tfx": 0.3,
}


def _load(name):
    path = os.path.join(RESULTS_DIR, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def rows_for(quick, scale, tfx=None):
    """(figure, value, target, unit, note) for every target of the issue."""
    rows = []
    if quick:
        warm, cold = quick["penguins_warm"], quick["penguins_cold"]
        reference = (f"TFX in the same run as ours (make bench-tfx): {tfx['medians']['tfx']['process_wall_s']:.1f} s"
                     if tfx else f"TFX in the same run: not measured; {TFX_PENGUIN_PROCESS_WALL_S:.0f} s in an old session")
        rows.append(("penguin run, process wall (warm worker)", warm["process_wall_s"],
                     TARGETS["penguin_process_wall_s"], "s",
                     f"cold tasks in the same run: {cold['process_wall_s']:.1f} s; {reference}"))
        rows.append(("import pipelines + catalog", quick["authoring"]["import_pipelines_s"],
                     TARGETS["import_pipelines_s"], "s", ""))
        rows.append(("compile every pipeline and component", quick["authoring"]["compile_all_s"],
                     TARGETS["compile_all_s"], "s", ""))
    if tfx:
        medians, ratio = tfx["medians"], tfx["ours_over_tfx"]
        rows.append(("penguin run, ours / TFX 1.16 LocalDagRunner", ratio["process_wall_s"], TARGETS["ours_over_tfx"],
                     "x", f"CPU-seconds ratio {ratio['cpu_s']:.2f}; medians of {len(tfx['runs']['ours'])}: "
                          f"{medians['ours']['process_wall_s']:.1f} vs {medians['tfx']['process_wall_s']:.1f} s"))
    if scale:
        for step, pair in scale["steps"].items():
            cpu = f"CPU-seconds ratio {pair['cpu_ratio']:.2f}; " if "cpu_ratio" in pair else ""
            rows.append((f"{step} at {scale['rows']:,} rows, ours / direct", pair["ratio"], TARGETS["scale_ratio"], "x",
                         f"{cpu}{pair['ours']['rows_per_second']:,} vs {pair['direct']['rows_per_second']:,} rows/s; "
                         f"{pair['ours']['peak_rss_gib']:.2f} vs {pair['direct']['peak_rss_gib']:.2f} GiB"))
    return rows


def main():
    quick, scale, tfx = _load("latest.json"), _load("scale.json"), _load("tfx_penguin.json")
    rows = rows_for(quick, scale, tfx)
    print(f"\n{'figure':<48}{'value':>9}{'target':>9}  met  notes")
    for figure, value, target, unit, note in rows:
        print(f"{figure:<48}{value:>8.2f}{unit}{target:>8.2f}{unit}  {'yes' if value <= target else 'NO '}  {note}")
    for name, part in (("penguin run and authoring (benchmarks/run.py)", quick), ("scale (benchmarks/scale.py)", scale),
                       ("penguin run beside TFX 1.16 (benchmarks/run.py --tfx)", tfx)):
        if part is None:
            print(f"not measured yet: {name}")
        else:
            print(f"{name}: measured at {part.get('measured_at', 'an unknown time')}")
    summary = {
        "penguin_and_authoring": quick,
        "scale": scale,
        "penguin_and_tfx": tfx,
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
