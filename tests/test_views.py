"""The number format every report shares, and the Markdown reports written with it."""
import os
import re

from components.common.views.formatting import bounds_text, change_text, count, interval, number, percent, signed

_EXPONENT = re.compile(r"\b\d+(\.\d+)?e[-+]?\d+\b", re.IGNORECASE)


def assert_tidy_markdown(report: str):
    """No blank table cell, no number with an exponent, no raw JSON."""
    for line in report.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = line.strip().strip("|").split(" | ")
            assert all(cell.strip() for cell in cells), f"a blank cell in: {line}"
    assert not _EXPONENT.search(report), _EXPONENT.search(report).group(0)
    assert '{"' not in report


def test_numbers_have_four_significant_digits_and_no_exponent():
    assert [number(v) for v in (1, 0.9688, 1.544e-05, 43.919, 4207.3, 9.99996, -0.01234, 0.0)] == [
        "1.000", "0.9688", "0.00001544", "43.92", "4207", "10.00", "-0.01234", "0"]
    assert number(None) == number(float("nan")) == "n/a"
    assert signed(0.012) == "+0.01200" and signed(-3) == "-3.000"
    assert count(1234.0) == "1,234" and percent(0.44186) == "44.19 %"
    assert interval([0.9, 0.98]) == "[0.9000, 0.9800]"


def test_thresholds_read_as_inequalities():
    assert bounds_text("accuracy", {"lower_bound": 0.45161}) == "accuracy ≥ 0.4516"
    assert bounds_text("loss", {"upper_bound": 0.5, "lower_bound": 0}) == "loss ≥ 0 and loss ≤ 0.5000"
    assert change_text({"max_relative_increase": 0.05}) == "may grow by at most 5.000 % of the baseline's value"


def test_the_evaluation_report_of_a_first_run_is_tidy(penguin_run):
    from components.common.views.formatting import with_interval

    report = open(os.path.join(penguin_run.root, "evaluation.md")).read()
    assert_tidy_markdown(report)
    evaluation = penguin_run.evaluation
    accuracy = with_interval(evaluation["overall"]["accuracy"], evaluation["intervals"]["accuracy"])
    assert f"| accuracy | {accuracy} |" in report
    assert "| metric | candidate |" in report and "baseline |" not in report  # no empty champion column
    assert "Task: classification of " + ", ".join(repr(c) for c in evaluation["classes"]) + "." in report
    slices = report[report.index("## Per slice"):]
    assert slices.index("| Overall |") < slices.index("| island=")
    assert "n/a: the macro_ metrics are computed from the overall slice's confusion matrix only." in slices


def test_the_evaluation_view_holds_the_record(penguin_run):
    view = open(os.path.join(penguin_run.root, "evaluation.html")).read()
    evaluation = penguin_run.evaluation
    assert "<script" not in view and "http" not in view
    assert number(evaluation["overall"]["accuracy"]) in view and interval(evaluation["intervals"]["accuracy"]) in view
    assert evaluation["calibration"]["bins"] and "Calibration" in view
    total = sum(b["count"] for b in evaluation["calibration"]["bins"])
    assert total == evaluation["overall"]["example_count"]
