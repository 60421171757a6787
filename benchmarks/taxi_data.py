"""A synthetic taxi-trip-like CSV for the scale benchmarks (deterministic for a seed)."""
import numpy as np

COLUMNS = (
    "trip_seconds,trip_miles,pickup_community_area,dropoff_community_area,fare,tolls,extras,"
    "payment_type,company,pickup_latitude,pickup_longitude,dropoff_latitude,dropoff_longitude,"
    "trip_start_hour,trip_start_day,tip_amount"
)
LABEL = "tip_amount"  # a float: the pipeline treats it as regression
CHUNK_ROWS = 100_000


def write_taxi_csv(path: str, rows: int, seed: int = 7) -> None:
    """16 columns: numbers, two string categories (5 and 40 values), 2% missing pickup areas."""
    rng = np.random.default_rng(seed)
    companies = np.array([f"company_{i}" for i in range(40)])
    payment = np.array(["Credit Card", "Cash", "No Charge", "Dispute", "Unknown"])
    with open(path, "w") as handle:
        handle.write(COLUMNS + "\n")
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
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
