"""The evaluation view: the verdict and the evidence behind it, from the evaluation record.

The record is what ``components.evaluate.runtime.evaluate`` returns (and writes as
``evaluation.json``). Sections: the verdict and its reasons; the checks; the overall
metrics with their 95 % intervals, the candidate beside the champion; the
thresholds; per-class metrics; the confusion matrix; ROC and precision-recall
curves (binary labels); calibration (classifiers); the metrics of every slice,
the overall slice first.
"""
from typing import Dict, List, Optional, Sequence

from components.common.views import page, svg
from components.common.views.formatting import (
    MISSING, bounds_text, change_text, count, interval, metric, number, percent, signed, with_interval,
)

CANDIDATE_COLOUR = page.SECOND_COLOUR


def task_line(evaluation: Dict[str, object]) -> str:
    """The task, the classes and (binary labels) the positive class."""
    classes = evaluation.get("classes") or []
    if evaluation.get("task") != "classification" or not classes:
        return f"<p>Task: <strong>{page.escape(evaluation.get('task', ''))}</strong>.</p>"
    text = "Task: <strong>classification</strong> of " + ", ".join(f"<code>{page.escape(c)}</code>" for c in classes)
    positive = evaluation.get("positive_class")
    if len(classes) == 2 and positive:
        text += (f"; positive class <code>{page.escape(positive)}</code> (auc, precision, recall and the curves "
                 "are of this class)")
    return f"<p>{text}.</p>"


def verdict_section(evaluation: Dict[str, object]) -> str:
    blessed = bool(evaluation["blessed"])
    reasons = "".join(f"<li>{page.escape(r)}</li>" for r in evaluation.get("reasons") or [])
    head = page.badge("BLESSED", "good") if blessed else page.badge("NOT BLESSED", "bad")
    return page.note(f"<strong>Verdict:</strong> {head}<ul>{reasons}</ul>", "good" if blessed else "bad")


def checks_section(checks: Sequence[Dict[str, object]]) -> str:
    if not checks:
        return ""
    rows = [
        [page.escape(c["check"] + (f" ({c['metric']})" if c.get("metric") else "")),
         page.badge("pass", "good") if c["passed"] else page.badge("FAIL", "bad"), page.escape(c["text"])]
        for c in checks
    ]
    return page.section("Checks", page.table(["check", "result", "evidence"], rows,
                                             flagged=[not c["passed"] for c in checks]))


def overall_section(evaluation: Dict[str, object]) -> str:
    overall = evaluation.get("overall") or {}
    intervals = evaluation.get("intervals") or {}
    baseline = evaluation.get("baseline") or {}
    names = [n for n in overall if "[" not in n]
    if baseline.get("found"):
        old, old_intervals = evaluation.get("baseline_overall") or {}, evaluation.get("baseline_intervals") or {}
        names += [n for n in old if n not in overall and "[" not in n]
        rows = [[page.escape(n), with_interval(overall.get(n), intervals.get(n)),
                 with_interval(old.get(n), old_intervals.get(n)),
                 signed(overall[n] - old[n]) if n in overall and n in old else MISSING] for n in names]
        version = baseline.get("version")
        source = (f"<p>Champion: <code>{page.escape(baseline.get('uri', ''))}</code>"
                  + (f" (version {page.escape(version)})" if version is not None else "") + ".</p>")
        table = page.table(["metric", "candidate [95 % interval]", "champion [95 % interval]", "change"], rows,
                           numeric=[False, True, True, True])
    else:
        rows = [[page.escape(n), metric(n, overall[n]), interval(intervals.get(n)) or "not computed"] for n in names]
        source = "<p>No champion in the serving folder: the first model is judged on value thresholds alone.</p>"
        table = page.table(["metric", "candidate", "95 % interval"], rows, numeric=[False, True, True])
    return page.section("Overall metrics", source + table)


def thresholds_section(evaluation: Dict[str, object]) -> str:
    value, change = evaluation.get("thresholds") or {}, evaluation.get("change_thresholds") or {}
    names = list(value) + [n for n in change if n not in value]
    if not names:
        return ""
    rows = [[page.escape(n), page.escape(bounds_text(n, value[n])) if n in value else "none",
             page.escape(change_text(change[n])) if n in change else "none"] for n in names]
    return page.section("Thresholds (overall slice)", page.table(["metric", "value threshold", "change threshold"], rows))


def per_class_section(evaluation: Dict[str, object]) -> str:
    overall, classes = evaluation.get("overall") or {}, evaluation.get("classes") or []
    metrics = sorted({n.split("[", 1)[0] for n in overall if "[" in n})
    if not metrics or not classes:
        return ""
    rows = [[page.escape(c)] + [number(overall.get(f"{m}[{c}]")) for m in metrics] for c in classes]
    return page.section("Per class (overall slice)", page.table(["class", *metrics], rows, numeric=[False] + [True] * len(metrics)))


def confusion_section(classes: Sequence[str], matrix: Optional[List[List[float]]]) -> str:
    """The matrix as a table, each cell shaded by its share of the actual class's row."""
    if not matrix:
        return ""
    header = ["actual \\ predicted", *(page.escape(c) for c in classes), "total"]
    body = []
    for name, row in zip(classes, matrix):
        total = sum(row)
        cells = []
        for index, value in enumerate(row):
            share = value / total if total else 0.0
            colour = "46,125,50" if index == classes.index(name) else "198,40,40"
            cells.append(f"<td class='num' style='background: rgba({colour},{0.08 + 0.6 * share:.2f})'>"
                         f"<strong>{count(value)}</strong> <small>({percent(share)})</small></td>")
        body.append(f"<tr><th>{page.escape(name)}</th>{''.join(cells)}<td class='num'>{count(total)}</td></tr>")
    head = "".join(f"<th>{cell}</th>" for cell in header)
    table = f"<table class='confusion'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return page.section("Confusion matrix (rows: actual class, columns: predicted; share of the row)", table)


def _area(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Trapezoidal area under a curve given in order of x (either direction)."""
    return abs(sum((xs[i + 1] - xs[i]) * (ys[i + 1] + ys[i]) / 2 for i in range(len(xs) - 1)))


def curves_section(evaluation: Dict[str, object]) -> str:
    """ROC and precision-recall curves of the positive class, and the calibration plot."""
    cards = []
    roc = evaluation.get("roc")
    if roc:
        fpr, tpr = list(roc[0]), list(roc[1])
        chart = svg.curves([("ROC", CANDIDATE_COLOUR, fpr, tpr)], "false positive rate", "true positive rate",
                           diagonal=True, label="ROC curve")
        auc = (evaluation.get("overall") or {}).get("auc")
        cards.append(f"<div class='card'><h3>ROC curve</h3>{chart}<p>auc {number(auc)}; dashed: chance.</p></div>")
    pr = evaluation.get("precision_recall")
    if pr:
        chart = svg.curves([("precision-recall", CANDIDATE_COLOUR, list(pr[0]), list(pr[1]))], "recall", "precision",
                           label="precision-recall curve")
        area = (evaluation.get("overall") or {}).get("auc_precision_recall")
        cards.append(f"<div class='card'><h3>Precision-recall curve</h3>{chart}"
                     f"<p>auc_precision_recall {number(area)}.</p></div>")
    calibration = evaluation.get("calibration")
    if calibration and calibration.get("bins"):
        bins = calibration["bins"]
        chart = svg.curves([("calibration", CANDIDATE_COLOUR, [b["mean_predicted"] for b in bins],
                             [b["observed"] for b in bins])], "mean predicted probability", "observed frequency",
                           diagonal=True, markers=True, label="calibration (reliability) plot")
        rows = [[f"{number(b['low'])} to {number(b['high'])}", count(b["count"]), number(b["mean_predicted"]),
                 number(b["observed"])] for b in bins]
        table = page.table(["probability bin", "examples", "mean predicted", "observed"], rows,
                           numeric=[False, True, True, True])
        cards.append(
            f"<div class='card'><h3>Calibration</h3><p>Of {page.escape(calibration['predicted'])}; dashed: perfect "
            f"calibration. Expected calibration error {number(calibration.get('expected_calibration_error'))}.</p>"
            f"<div class='pair'><div>{chart}</div><div>{table}</div></div></div>"
        )
    return page.section("Curves", "<div class='cards'>" + "".join(cards) + "</div>") if cards else ""


def missing_note(slices: Dict[str, Dict[str, float]], names: Sequence[str]) -> str:
    """What an ``n/a`` in the slice table means, or "" when there is none."""
    missing = [n for n in names if any(n not in m for m in slices.values())]
    if not missing:
        return ""
    if all(n.startswith("macro_") for n in missing):
        return f"{MISSING}: the macro_ metrics are computed from the overall slice's confusion matrix only."
    return f"{MISSING}: not computed for that slice ({', '.join(missing)}; for example auc needs both classes in it)."


def slices_section(slices: Dict[str, Dict[str, float]]) -> str:
    """Every slice's metrics, the overall slice first, then the others by name."""
    if not slices:
        return ""
    order = sorted(slices, key=lambda s: (s != "Overall", s))
    names = [n for n in dict.fromkeys(n for m in slices.values() for n in m) if "[" not in n]
    rows = [[page.escape(s)] + [metric(n, slices[s].get(n)) for n in names] for s in order]
    note = f"<p>{page.escape(missing_note(slices, names))}</p>" if missing_note(slices, names) else ""
    return page.section("Per slice (candidate)", page.table(["slice", *names], rows, numeric=[False] + [True] * len(names)) + note)


def evaluation_page(evaluation: Dict[str, object]) -> str:
    """The whole page for an evaluation record."""
    body = [
        verdict_section(evaluation),
        task_line(evaluation),
        checks_section(evaluation.get("checks") or []),
        overall_section(evaluation),
        thresholds_section(evaluation),
        per_class_section(evaluation),
        confusion_section(evaluation.get("classes") or [], evaluation.get("confusion_matrix")),
        curves_section(evaluation),
        slices_section(evaluation.get("slices") or {}),
    ]
    subtitle = "blessed" if evaluation["blessed"] else "not blessed"
    return page.page("Model evaluation", "\n".join(part for part in body if part), subtitle=subtitle)
