"""Column roles: inferred from the statistics, recorded beside the transform graph,
overridable, and applied inside the transform graph (dates parsed by TF ops).

The synthetic data set: the label depends only on the month and the day of the week
of a date column; an integer row id and a string reference identify the rows.
"""
import datetime
import json
import os
import random

import pytest

from conftest import PENGUINS, run_chain, serialized_examples, write_csv

ROWS = 1200


def calendar_label(day: datetime.date) -> str:
    if day.weekday() >= 5:
        return "weekend"
    return "summer" if day.month in (6, 7, 8) else "other"


def write_calendar_data(path):
    """ROWS rows: id (a row number), ref (a string id), when (an ISO date), noise, label."""
    generator = random.Random(7)
    start = datetime.date(2019, 1, 1)
    rows = []
    for index in range(ROWS):
        day = start + datetime.timedelta(days=generator.randrange(4 * 365))
        rows.append([index + 1, f"R-{generator.randrange(10**9):09d}", day.isoformat(),
                     f"{generator.gauss(0, 1):.3f}", calendar_label(day)])
    return write_csv(path, ["id", "ref", "when", "noise", "label"], rows)


@pytest.fixture(scope="module")
def calendar_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("calendar")
    return run_chain(root, write_calendar_data(root / "calendar.csv"), "label", epochs=30, until="train")


def _roles(run):
    with open(os.path.join(run.transform_graph, "column_roles.json")) as handle:
        return {r["column"]: r for r in json.load(handle)}


def test_days_from_civil_and_day_of_week_match_python():
    import tensorflow as tf

    from components.transform.calendar import days_from_civil, parse_iso

    dates = ["1970-01-01", "2000-02-29", "2024-12-31T23:30:00", "1899-03-01 06:15", "2012/01/31", "2012.06.30 10:45",
             "2021-13-01", "2012/01-31", "31/01/2012", "", "soon"]
    parsed, year, month, day, hour = parse_iso(tf.constant(dates))
    days = days_from_civil(year, month, day).numpy()
    assert parsed.numpy().tolist() == [True] * 6 + [False] * 5
    for text, value, when in zip(dates[:6], days[:6], hour.numpy()[:6]):
        python = datetime.datetime.fromisoformat(text.replace("/", "-").replace(".", "-"))
        assert value == (python.date() - datetime.date(1970, 1, 1)).days
        assert when == pytest.approx(python.hour + python.minute / 60)


def test_penguin_roles_are_numeric_and_categorical(penguin_run):
    roles = _roles(penguin_run)
    assert {c: r["role"] for c, r in roles.items()} == {
        "island": "categorical", "sex": "categorical", "bill_length_mm": "numeric", "bill_depth_mm": "numeric",
        "flipper_length_mm": "numeric", "body_mass_g": "numeric", "year": "numeric",
    }
    assert all(r["source"] == "inferred" and r["reason"] for r in roles.values())
    assert all(r["treatment"] == "mean-imputed, z-scored" for r in roles.values() if r["role"] == "numeric")
    assert penguin_run.transform_result["column_notes"] == []


def test_date_helps_and_identifiers_are_excluded_with_a_note(calendar_run):
    roles = _roles(calendar_run)
    assert {c: r["role"] for c, r in roles.items()} == {
        "id": "identifier", "ref": "identifier", "when": "date", "noise": "numeric"
    }
    notes = calendar_run.transform_result["column_notes"]
    assert any("'id' excluded as an identifier" in note for note in notes)
    assert any("'ref' excluded as an identifier" in note for note in notes)
    report = open(os.path.join(calendar_run.transform_graph, "column_roles.md")).read()
    assert "| when | date | inferred |" in report and "'id' excluded as an identifier" in report
    features = calendar_run.transform_result["features"]
    assert "when_xf" in features and "id_xf" not in features and "ref_xf" not in features
    counts = calendar_run.transform_result["class_counts"]
    majority = max(counts.values()) / sum(counts.values())
    accuracy = calendar_run.train_result["val_accuracy"]
    print(f"calendar features: eval accuracy {accuracy:.3f}, majority share {majority:.3f}")
    assert accuracy >= majority + 0.2


def test_a_date_spanning_few_years_gets_year_steps_recorded_and_applied(calendar_run):
    """2019..2022 in the train split: three year steps, recorded in the roles; a date's
    steps follow its year clipped to the train years (a later year reads as the last)."""
    import tensorflow as tf
    import tensorflow_transform as tft

    from components.transform import calendar

    when = _roles(calendar_run)["when"]
    assert when["year_steps"] == 3 and "year steps: 3" in when["treatment"]
    assert "| when | date | inferred | calendar features" in open(
        os.path.join(calendar_run.transform_graph, "column_roles.md")).read()
    output = tft.TFTransformOutput(calendar_run.transform_graph)
    assert output.transformed_feature_spec()["when_xf"].shape == [len(calendar.feature_names(3))]
    raw = output.raw_feature_spec()
    dates = ["2017-05-01", "2019-05-01", "2021-05-01", "2022-12-31", "2031-05-01", "soon"]
    rows = [{"id": "1", "ref": "R-1", "when": d, "noise": "0.1"} for d in dates]
    parsed = tf.io.parse_example(tf.constant(serialized_examples(rows)), {k: v for k, v in raw.items() if k != "label"})
    steps = output.transform_features_layer()(parsed)["when_xf"].numpy()[:, -3:]
    assert steps.tolist() == [[0, 0, 0], [0, 0, 0], [1, 1, 0], [1, 1, 1], [1, 1, 1], [0, 0, 0]]


def test_year_steps_only_for_a_short_span_of_years():
    from tensorflow_metadata.proto.v0 import statistics_pb2

    from components.transform import roles

    def stats_of(values):
        feature = statistics_pb2.FeatureNameStatistics()
        for value in values:
            feature.string_stats.rank_histogram.buckets.add(label=value, sample_count=1)
        return feature

    assert roles.date_years(stats_of(["2014/03/01", "2012/01/01", "2012/02/01", "n/a"])) == [2012, 2014]
    assert roles.treatment(roles.DATE, stats_of(["2012-01-01", "2015-06-30"])).endswith(
        "year steps: 3 (1 from each year after 2012 through 2015, a later year read as 2015: the model can shift by year)")
    far = roles.treatment(roles.DATE, stats_of(["1900-01-01", "2000-01-01"]))
    assert "no year steps (years 1900..2000 span more than 51)" in far
    assert "year steps" not in roles.treatment(roles.DATE, stats_of(["2012-01-01", "2012-12-31"]))
    assert roles.year_steps({"role": roles.DATE, "year_steps": 3}) == 3
    assert roles.year_steps({"role": roles.CATEGORICAL, "year_steps": 3}) == 0


def test_serving_parses_the_raw_date_string(calendar_run):
    """The exported model takes the raw columns (the date as written) and answers by the calendar."""
    import tensorflow as tf

    model = tf.saved_model.load(calendar_run.model)
    days = [datetime.date(2023, 7, 4), datetime.date(2023, 7, 8), datetime.date(2023, 11, 14), datetime.date(2023, 11, 19)]
    rows = [{"id": "5000", "ref": "R-1", "when": d.isoformat(), "noise": "0.1"} for d in days]
    outputs = model.signatures["serving_examples"](examples=tf.constant(serialized_examples(rows)))
    predicted = [c.decode() for c in outputs["classes"].numpy()]
    assert predicted == [calendar_label(d) for d in days]


def test_overrides_change_the_recorded_roles(tmp_path):
    run = run_chain(tmp_path, write_calendar_data(tmp_path / "calendar.csv"), "label", until="validate")
    from components.transform.runtime import transform

    result = transform(run.examples, run.schema, run.statistics, run.transform_graph, run.transformed_examples,
                       "label", column_roles_override={"when": "categorical", "id": "categorical"},
                       roles_report_path=str(tmp_path / "report" / "column_roles_report.md"))
    roles = _roles(run)
    report = open(tmp_path / "report" / "column_roles_report.md").read()
    assert "| when | categorical | override |" in report and "| id | categorical | override |" in report
    assert roles["when"]["role"] == "categorical" and roles["when"]["source"] == "override"
    assert "inferred: date" in roles["when"]["reason"]
    assert roles["id"]["role"] == "categorical" and "inferred: identifier" in roles["id"]["reason"]
    assert roles["ref"]["role"] == "identifier" and roles["ref"]["source"] == "inferred"
    assert {"when_xf", "id_xf"} <= set(result["features"])
    assert not any("'id'" in note for note in result["column_notes"])


def test_bad_overrides_are_refused_by_name(tmp_path):
    from components.common.errors import ConfigurationError
    from components.common.metadata import load_schema, load_statistics
    from components.common import layout
    from components.transform.roles import infer_roles

    run = run_chain(tmp_path, PENGUINS, "species", until="validate")
    schema = load_schema(layout.schema_path(run.schema))
    statistics = load_statistics(run.statistics, layout.TRAIN)
    columns = [f.name for f in schema.feature]
    with pytest.raises(ConfigurationError, match="'islands', not a feature column"):
        infer_roles(schema, statistics, "species", columns, {"islands": "categorical"})
    with pytest.raises(ConfigurationError, match="unknown role 'date-time'"):
        infer_roles(schema, statistics, "species", columns, {"island": "date-time"})
    with pytest.raises(ConfigurationError, match="needs a string column"):
        infer_roles(schema, statistics, "species", columns, {"body_mass_g": "date"})
    with pytest.raises(ConfigurationError, match="is the label"):
        infer_roles(schema, statistics, "species", columns, {"species": "categorical"})
    records = infer_roles(schema, statistics, "species", columns, {"year": "categorical", "sex": "boolean"})
    assert {r["column"]: r["role"] for r in records}["year"] == "categorical"


def test_the_closing_summary_shows_roles_and_notes():
    from pipelines.local.summary import human_summary

    records = [
        {"column": "id", "role": "identifier", "source": "inferred"},
        {"column": "when", "role": "categorical", "source": "override"},
        {"column": "noise", "role": "numeric", "source": "inferred"},
    ]
    text = human_summary({"pipeline": "training", "status": "failed", "seconds": 1.0, "column_roles": records,
                          "column_notes": ["'id' excluded as an identifier (1200 distinct values in 1200 rows)"]})
    assert "column roles (column_roles.md in the transform graph): identifier: id; categorical: when (override); numeric: noise" in text
    assert "    'id' excluded as an identifier (1200 distinct values in 1200 rows)" in text


def write_mixed_data(path):
    """Text reviews (the label is whether one says "good"), a yes/no flag, a log-normal
    amount and a Cauchy-distributed change (a ratio of two normals)."""
    generator = random.Random(11)
    filler = "the a service was delivery order staff price food room quick slow again".split()
    rows = []
    for _ in range(800):
        good = generator.random() < 0.4
        words = generator.sample(filler, 6) + (["good"] if good else ["bad"])
        generator.shuffle(words)
        rows.append([" ".join(words) + f" #{generator.randrange(10**6)}", generator.choice(["yes", "no"]),
                     f"{generator.lognormvariate(0, 1.5):.4f}", f"{generator.gauss(0, 1) / (generator.gauss(0, 1) or 1.0):.4f}",
                     "happy" if good else "unhappy"])
    return write_csv(path, ["review", "flag", "amount", "change", "label"], rows)


def test_text_boolean_and_heavy_tails(tmp_path):
    import tensorflow as tf
    import tensorflow_transform as tft

    from components.transform.roles import TEXT_VOCABULARY

    run = run_chain(tmp_path, write_mixed_data(tmp_path / "mixed.csv"), "label", epochs=10, until="train")
    roles = _roles(run)
    assert {c: r["role"] for c, r in roles.items()} == {
        "review": "text", "flag": "boolean", "amount": "numeric", "change": "numeric"
    }
    assert roles["amount"]["treatment"].startswith("log1p")
    assert roles["change"]["treatment"].startswith("10 quantile buckets")
    spec = tft.TFTransformOutput(run.transform_graph).transformed_feature_spec()
    assert spec["review_xf"].shape == [TEXT_VOCABULARY + 1] and spec["flag_xf"].dtype == tf.float32
    assert spec["change_xf"].dtype == tf.int64
    counts = run.transform_result["class_counts"]
    majority = max(counts.values()) / sum(counts.values())
    print(f"bag of words: eval accuracy {run.train_result['val_accuracy']:.3f}, majority share {majority:.3f}")
    assert run.train_result["val_accuracy"] >= majority + 0.2


def test_a_daily_series_of_slash_dates_is_a_date_not_an_identifier():
    """One distinct date per row (a daily weather table written 2012/01/01) is a date column."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    from components.transform.roles import DATE, IDENTIFIER, _string_role

    def stats_of(values):
        feature = statistics_pb2.FeatureNameStatistics()
        feature.string_stats.common_stats.num_non_missing = len(values)
        feature.string_stats.unique = len(values)
        feature.string_stats.avg_length = 10
        for value in values[:10]:
            feature.string_stats.top_values.add(value=value, frequency=1)
        return feature

    days = [datetime.date(2012, 1, 1) + datetime.timedelta(days=n) for n in range(400)]
    for text in ([d.strftime("%Y/%m/%d") for d in days], [d.strftime("%Y.%m.%d") for d in days]):
        assert _string_role("date", stats_of(text), len(text))["role"] == DATE, text[0]
    assert _string_role("ref", stats_of([f"R-{n:06d}" for n in range(400)]), 400)["role"] == IDENTIFIER
