"""statistics, schema and validate: parsed TFDV protos and anomalies."""
import os

import pytest

from components.common import layout
from components.common.errors import ConfigurationError, DataError, ValidationFailedError
from components.ingest.runtime import ingest
from components.common.metadata import load_schema
from components.schema.runtime import make_schema
from components.common.metadata import load_statistics
from components.statistics.runtime import generate_statistics
from components.validate.runtime import validate_statistics
from conftest import PENGUINS, read_csv_rows, write_csv


def test_statistics_per_split_match_the_rows(penguin_run):
    from components.common.views.formatting import number

    for split, rows in penguin_run.ingest_result["split_row_counts"].items():
        stats = load_statistics(penguin_run.statistics, split).datasets[0]
        assert stats.num_examples == rows
        by_name = {f.path.step[0]: f for f in stats.features}
        assert set(by_name) == {"species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"}
        assert by_name["species"].string_stats.unique == 3
        assert 150 < by_name["flipper_length_mm"].num_stats.mean < 250
    html = open(os.path.join(penguin_run.root, "stats.html")).read()
    assert html.startswith("<!DOCTYPE html>") and "<title>Data statistics: train beside eval</title>" in html
    assert "<script" not in html and "http" not in html  # self-contained: tests/test_views_browser.py renders it
    train = load_statistics(penguin_run.statistics, "train").datasets[0]
    flipper = next(f for f in train.features if f.path.step[0] == "flipper_length_mm").num_stats
    assert f"<td class='num'>{number(flipper.mean)}</td>" in html and f"<td class='num'>{number(flipper.max)}</td>" in html


def test_inferred_schema_types_and_label_environment(penguin_run):
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = load_schema(layout.schema_path(penguin_run.schema))
    features = {f.name: f for f in schema.feature}
    assert features["species"].type == schema_pb2.BYTES
    assert features["bill_length_mm"].type == schema_pb2.FLOAT
    assert features["year"].type == schema_pb2.INT
    assert "SERVING" in features["species"].not_in_environment
    assert set(schema.default_environment) == {"TRAINING", "SERVING"}
    assert penguin_run.validate_result == {"anomaly_count": 0, "anomalies": [], "drift": []}
    assert features["bill_length_mm"].float_domain.disallow_inf  # NaN and infinities are reported


def test_curated_schema_is_used_and_bad_ones_are_rejected(tmp_path, penguin_run):
    curated = layout.schema_path(penguin_run.schema)
    result = make_schema(penguin_run.statistics, str(tmp_path / "curated"), label="species", curated_schema_path=curated)
    assert result["source"] == "curated" and result["features"] == 8
    broken = tmp_path / "broken.pbtxt"
    broken.write_text("feature { name: 'x' type: NOT_A_TYPE }")
    with pytest.raises(ConfigurationError, match="broken.pbtxt"):
        make_schema(penguin_run.statistics, str(tmp_path / "b"), curated_schema_path=str(broken))
    with pytest.raises(DataError, match="'wingspan' is not a feature"):
        make_schema(penguin_run.statistics, str(tmp_path / "c"), label="wingspan")


def _statistics_of(tmp_path, name, header, rows):
    path = write_csv(tmp_path / f"{name}.csv", header, rows)
    ingest(path, str(tmp_path / f"{name}_examples"), train_ratio=0.5)
    generate_statistics(str(tmp_path / f"{name}_examples"), str(tmp_path / f"{name}_stats"))
    return str(tmp_path / f"{name}_stats")


def test_a_rare_unseen_category_is_tolerated(tmp_path, penguin_run):
    rows = read_csv_rows(PENGUINS)
    header = list(rows[0])
    # one row in 344 from an island the train data never showed: below the 1% tolerance
    changed = [[("Atlantis" if k == "island" and i == 0 else r[k]) for k in header] for i, r in enumerate(rows)]
    stats = _statistics_of(tmp_path, "rare", header, changed)
    assert validate_statistics(stats, penguin_run.schema, str(tmp_path / "anomalies"))["anomaly_count"] == 0


def test_anomalies_name_the_feature_and_stop_the_run(tmp_path, penguin_run):
    rows = read_csv_rows(PENGUINS)
    header = list(rows[0])
    # A new island the schema has never seen, and a numeric column written as text.
    changed = [
        [("Atlantis" if k == "island" and i % 2 else "heavy" if k == "body_mass_g" and i % 3 == 0 else r[k]) for k in header]
        for i, r in enumerate(rows)
    ]
    stats = _statistics_of(tmp_path, "changed", header, changed)
    report = tmp_path / "report.md"
    with pytest.raises(ValidationFailedError) as raised:
        validate_statistics(stats, penguin_run.schema, str(tmp_path / "anomalies"), str(report))
    message = str(raised.value)
    assert "feature 'island'" in message and "Atlantis" in message
    # Worded for every pipeline that validates (training, data validation, prediction).
    assert "before any later step (training, evaluation or prediction)" in message
    assert "no model is trained" not in message
    assert "feature 'body_mass_g'" in message
    table = report.read_text()
    assert "| train | island |" in table and "what to do" in table

    warned = validate_statistics(stats, penguin_run.schema, str(tmp_path / "anomalies2"), fail_on_anomalies=False)
    assert {a["feature"] for a in warned["anomalies"]} >= {"island", "body_mass_g"}
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    with open(layout.anomalies_path(str(tmp_path / "anomalies2"), "train"), "rb") as handle:
        parsed = anomalies_pb2.Anomalies.FromString(handle.read())
    assert "island" in parsed.anomaly_info


def _shifted_penguins(tmp_path, name, shift_mm=0.0, island=None):
    rows = read_csv_rows(PENGUINS)
    header = list(rows[0])
    out = []
    for i, r in enumerate(rows):
        row = dict(r)
        if row["bill_length_mm"] and shift_mm:
            row["bill_length_mm"] = f"{float(row['bill_length_mm']) + shift_mm:.1f}"
        if island and i % 10:
            row["island"] = island
        out.append([row[k] for k in header])
    return _statistics_of(tmp_path, name, header, out)


def test_drift_against_a_baseline_names_feature_distance_and_threshold(tmp_path, penguin_run):
    moved = _shifted_penguins(tmp_path, "moved", shift_mm=12.0, island="Biscoe")
    report = tmp_path / "drift.md"
    with pytest.raises(ValidationFailedError) as raised:
        validate_statistics(moved, penguin_run.schema, str(tmp_path / "a"), str(report),
                            baseline_statistics_path=penguin_run.statistics)
    message = str(raised.value)
    assert "feature 'bill_length_mm'" in message and "feature 'island'" in message
    assert "threshold" in message.lower()
    table = report.read_text()
    assert "## Drift against the baseline" in table and "| bill_length_mm | JENSEN_SHANNON_DIVERGENCE |" in table
    assert f"Baseline: {penguin_run.statistics}/Split-train/FeatureStats.pb" in table  # which split
    # What moved, beside each distance: the means of the bills, the share of the top island.
    drift_section = table.split("## Drift against the baseline")[1].split("## Anomalies")[0]
    rows = {line.split(" | ")[1]: line for line in drift_section.splitlines() if line.startswith("| train | ")}
    old_mean, new_mean = [float(cell.split()[1]) for cell in rows["bill_length_mm"].split(" | ")[-2:]]
    assert new_mean == pytest.approx(old_mean + 12, abs=0.3)
    assert "'Biscoe'" in rows["island"] and rows["island"].rstrip(" |").endswith("%")
    drifted_first = [line.split(" | ")[5] for line in rows.values()]
    assert drifted_first == sorted(drifted_first, key=lambda cell: cell != "**yes**")

    result = validate_statistics(moved, penguin_run.schema, str(tmp_path / "b"), fail_on_anomalies=False,
                                 baseline_statistics_path=penguin_run.statistics, drift_threshold=0.9)
    assert result["anomaly_count"] == 0 and not any(d["drifted"] for d in result["drift"])
    assert {d["feature"] for d in result["drift"]} >= {"bill_length_mm", "island"}


def test_unchanged_data_does_not_drift(tmp_path, penguin_run):
    same = _shifted_penguins(tmp_path, "same")
    result = validate_statistics(same, penguin_run.schema, str(tmp_path / "a"),
                                 baseline_statistics_path=penguin_run.statistics)
    assert result["anomaly_count"] == 0 and result["drift"] and not any(d["drifted"] for d in result["drift"])


def test_missing_baseline_is_a_clear_error(tmp_path, penguin_run):
    with pytest.raises(ConfigurationError, match="is neither statistics"):
        validate_statistics(penguin_run.statistics, penguin_run.schema, str(tmp_path / "a"),
                            baseline_statistics_path=str(tmp_path / "nowhere"))


def test_infinities_in_a_numeric_column_are_anomalies(tmp_path, penguin_run):
    rows = read_csv_rows(PENGUINS)
    header = list(rows[0])
    changed = [[("inf" if k == "bill_depth_mm" and i % 7 == 0 else r[k]) for k in header] for i, r in enumerate(rows)]
    stats = _statistics_of(tmp_path, "inf", header, changed)
    with pytest.raises(ValidationFailedError) as raised:
        validate_statistics(stats, penguin_run.schema, str(tmp_path / "anomalies"))
    assert "feature 'bill_depth_mm'" in str(raised.value) and "FLOAT_TYPE_HAS_INF" in str(raised.value)


def _whole_number_batch(tmp_path, count):
    """``count`` complete penguin rows without the label, bill sizes rounded to whole
    numbers: float columns whose values in this batch are all whole."""
    rows = [r for r in read_csv_rows(PENGUINS) if all(r.values())][:count]
    header = [c for c in rows[0] if c != "species"]
    for row in rows:
        for name in ("bill_length_mm", "bill_depth_mm"):
            row[name] = str(round(float(row[name])))
    return write_csv(tmp_path / f"whole_{count}.csv", header, [[r[c] for c in header] for r in rows])


@pytest.mark.parametrize("count", [1, 5])
def test_a_batch_of_whole_numbers_in_float_columns_passes_against_the_training_schema(tmp_path, penguin_run, count):
    data = _whole_number_batch(tmp_path, count)
    schema_file = layout.schema_path(penguin_run.schema)

    def validated(name, **ingest_args):
        examples, stats = str(tmp_path / f"{name}_examples"), str(tmp_path / f"{name}_stats")
        assert ingest(data, examples, split_mode="all", **ingest_args)["split_row_counts"] == {"all": count}
        assert generate_statistics(examples, stats)["split_row_counts"] == {"all": count}
        return validate_statistics(stats, penguin_run.schema, str(tmp_path / f"{name}_anomalies"),
                                   environment="SERVING", fail_on_anomalies=False)

    # Typed from this batch's values alone, the bill sizes would be integers.
    untyped = validated("untyped")
    assert {a["feature"] for a in untyped["anomalies"] if "UNEXPECTED_DATA_TYPE" in a["kinds"]} == {
        "bill_length_mm", "bill_depth_mm"}
    # Typed by the schema they stay floats, and the batch is clean.
    typed = validated("typed", schema_path=schema_file)
    assert typed == {"anomaly_count": 0, "anomalies": [], "drift": []}
    assert layout.split_names(str(tmp_path / "typed_anomalies")) == ["all"]
