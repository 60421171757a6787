"""Data validation at scale: ingest + statistics + validate on a synthetic taxi-like CSV,
beside TFDV's own ``generate_statistics_from_csv`` on the same file, in the same run.

    make bench-scale                  # 1,000,000 rows
    .venv/bin/python benchmarks/scale.py --rows 200000

Each side runs in its own fresh process (its imports included), measured for wall
time and peak resident memory. Results: benchmarks/results/scale.json.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results", "scale.json")

DIRECT = """
import sys, tensorflow_data_validation as tfdv
stats = tfdv.generate_statistics_from_csv(sys.argv[1], output_path=sys.argv[2])
import resource
print(stats.datasets[0].num_examples, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

OURS = """
import sys, os
from components.ingest.runtime import ingest
from components.schema.runtime import make_schema
from components.statistics.runtime import generate_statistics
from components.validate.runtime import validate_statistics
data, work = sys.argv[1], sys.argv[2]
result = ingest(data, os.path.join(work, "examples"), label="tip_amount")
generate_statistics(os.path.join(work, "examples"), os.path.join(work, "statistics"))
make_schema(os.path.join(work, "statistics"), os.path.join(work, "schema"), label="tip_amount")
validate_statistics(os.path.join(work, "statistics"), os.path.join(work, "schema"), os.path.join(work, "anomalies"))
import resource
print(sum(result["split_row_counts"].values()), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_taxi_csv(path, rows, seed=7):
    """A taxi-trip-like table: 16 columns of numbers, categories and missing cells."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chunk = 100_000
    companies = np.array([f"company_{i}" for i in range(40)])
    payment = np.array(["Credit Card", "Cash", "No Charge", "Dispute", "Unknown"])
    with open(path, "w") as handle:
        handle.write("trip_seconds,trip_miles,pickup_community_area,dropoff_community_area,fare,tolls,extras,"
                     "payment_type,company,pickup_latitude,pickup_longitude,dropoff_latitude,dropoff_longitude,"
                     "trip_start_hour,trip_start_day,tip_amount\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            seconds = rng.gamma(2.0, 400.0, n).astype(int)
            miles = np.round(seconds / 240.0 * rng.uniform(0.5, 1.5, n), 2)
            fare = np.round(3.25 + miles * 2.25 + rng.normal(0, 1, n).clip(0), 2)
            columns = [
                seconds, miles, rng.integers(1, 78, n), rng.integers(1, 78, n), fare,
                np.round(rng.exponential(0.2, n), 2), np.round(rng.exponential(1.0, n), 2),
                payment[rng.choice(5, n, p=[0.55, 0.35, 0.04, 0.01, 0.05])], companies[rng.integers(0, 40, n)],
                np.round(41.88 + rng.normal(0, 0.05, n), 6), np.round(-87.63 + rng.normal(0, 0.05, n), 6),
                np.round(41.88 + rng.normal(0, 0.06, n), 6), np.round(-87.63 + rng.normal(0, 0.06, n), 6),
                rng.integers(0, 24, n), rng.integers(1, 8, n), np.round(fare * rng.uniform(0, 0.25, n), 2),
            ]
            missing = rng.random(n) < 0.02  # some missing pickup areas
            lines = []
            for i in range(n):
                cells = [str(c[i]) for c in columns]
                if missing[i]:
                    cells[2] = ""
                lines.append(",".join(cells))
            handle.write("\n".join(lines) + "\n")


def measure(code, *args):
    """Wall seconds and peak RSS (GiB) of a fresh Python process running ``code``."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore"))
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout[-2000:] + done.stderr[-4000:])
    rows, peak_kib = (int(v) for v in done.stdout.strip().splitlines()[-1].split())
    return {"seconds": round(seconds, 1), "rows": rows, "rows_per_second": round(rows / seconds),
            "peak_rss_gib": round(peak_kib / 1024 / 1024, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kfp-tf-scale-") as work:
        data = os.path.join(work, "taxi.csv")
        started = time.perf_counter()
        write_taxi_csv(data, args.rows)
        print(f"generated {args.rows} rows ({os.path.getsize(data) / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
        direct = measure(DIRECT, data, os.path.join(work, "direct_stats.pb"))
        ours = measure(OURS, data, os.path.join(work, "ours"))
    results = {
        "rows": args.rows,
        "tfdv_generate_statistics_from_csv": direct,
        "ingest_statistics_validate": ours,
        "ratio_ours_over_direct": round(ours["seconds"] / direct["seconds"], 2),
    }
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as handle:
        json.dump(results, handle, indent=2)
    print(f"{'':<36}{'seconds':>10}{'rows/s':>12}{'peak GiB':>10}")
    for name in ("tfdv_generate_statistics_from_csv", "ingest_statistics_validate"):
        r = results[name]
        print(f"{name:<36}{r['seconds']:>10.1f}{r['rows_per_second']:>12,}{r['peak_rss_gib']:>10.2f}")
    print(f"ours / direct: {results['ratio_ours_over_direct']:.2f}  (written to {os.path.relpath(RESULTS, REPO_ROOT)})")


if __name__ == "__main__":
    main()
