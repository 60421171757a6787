"""The evaluation report: Markdown the Kubeflow and Vertex UIs render.

Sections: the verdict and its reasons; every check of the blessing; the candidate
beside the baseline on the overall slice, each with its 95 % interval (and the
change); the thresholds; per-class metrics (three or more classes); the confusion
matrix; the metrics of every slice.
"""
from typing import Dict, List, Optional

from components.common.views.evaluation_view import missing_note
from components.common.views.formatting import (
    bounds_text, change_text, count, metric, number, signed, with_interval,
)


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _value(name: str, value: Optional[float], intervals: Dict[str, List[float]]) -> str:
    """A metric's value, with its interval when it has one."""
    bounds = intervals.get(name)
    return with_interval(value, bounds) if bounds else metric(name, value)


def side_by_side(candidate: Dict[str, float], baseline: Optional[Dict[str, float]]) -> List[Dict[str, object]]:
    """[{metric, candidate, baseline, change}] over the overall metrics of both models."""
    names = list(candidate) + [n for n in (baseline or {}) if n not in candidate]
    rows = []
    for name in names:
        new, old = candidate.get(name), (baseline or {}).get(name)
        change = new - old if new is not None and old is not None else None
        rows.append({"metric": name, "candidate": new, "baseline": old, "change": change})
    return rows


def task_text(evaluation: Dict[str, object]) -> str:
    """``classification of 'male', 'female'; positive class 'female' (auc, precision and recall
    are of this class)``, or ``regression``."""
    classes = evaluation.get("classes") or []
    if evaluation.get("task") != "classification" or not classes:
        return str(evaluation.get("task", ""))
    text = "classification of " + ", ".join(repr(c) for c in classes)
    positive = evaluation.get("positive_class")
    if len(classes) == 2 and positive:
        text += f"; positive class {positive!r} (auc, precision and recall are of this class)"
    return text


def markdown_report(evaluation: Dict[str, object]) -> str:
    """The whole report as Markdown. Every number is written by ``formatting.number``
    (4 significant digits); a value a slice or model lacks is ``n/a``, never blank."""
    verdict = "**BLESSED**" if evaluation["blessed"] else "**NOT BLESSED**"
    lines = ["# Model evaluation", "", f"Blessing: {verdict}", "", f"Task: {task_text(evaluation)}.", ""]
    lines += [f"- {reason}" for reason in evaluation["reasons"]] + [""]
    checks = evaluation.get("checks") or []
    if checks:
        lines += ["## Checks", ""]
        lines += _table(["check", "result", "evidence"], [
            [c["check"] + (f" ({c['metric']})" if c.get("metric") else ""), "pass" if c["passed"] else "FAIL", c["text"]]
            for c in checks
        ])

    baseline = evaluation.get("baseline") or {}
    overall, baseline_overall = evaluation["overall"], evaluation.get("baseline_overall")
    if baseline.get("found"):
        version = f" (version {baseline['version']})" if baseline.get("version") is not None else ""
        lines += [f"Baseline: `{baseline['uri']}`{version}.", ""]
    else:
        lines += ["Baseline: none (the first model is judged on value thresholds alone).", ""]
    shown = [r for r in side_by_side(overall, baseline_overall) if "[" not in r["metric"]]
    intervals = evaluation.get("intervals") or {}
    if baseline.get("found"):
        lines += ["## Overall: candidate and baseline (95 % intervals)", ""]
        baseline_intervals = evaluation.get("baseline_intervals") or {}
        lines += _table(
            ["metric", "candidate", "baseline", "change"],
            [[r["metric"], _value(r["metric"], r["candidate"], intervals), _value(r["metric"], r["baseline"], baseline_intervals),
              signed(r["change"])] for r in shown],
        )
    else:
        lines += ["## Overall: candidate (95 % intervals)", ""]
        lines += _table(
            ["metric", "candidate"],
            [[r["metric"], _value(r["metric"], r["candidate"], intervals)] for r in shown],
        )

    value, change = evaluation["thresholds"], evaluation.get("change_thresholds") or {}
    names = list(value) + [n for n in change if n not in value]
    if names:
        lines += ["## Thresholds (overall slice)", ""]
        lines += _table(
            ["metric", "value threshold", "change threshold"],
            [[name, bounds_text(name, value[name]) if name in value else "none",
              change_text(change[name]) if name in change else "none"] for name in names],
        )

    per_class = sorted({n.split("[", 1)[0] for n in overall if "[" in n})
    classes = evaluation.get("classes") or []
    if per_class and classes:
        lines += ["## Per class (overall slice)", ""]
        lines += _table(["class"] + per_class, [[c] + [number(overall.get(f"{m}[{c}]")) for m in per_class] for c in classes])

    matrix = evaluation.get("confusion_matrix")
    if matrix:
        lines += ["## Confusion matrix (rows: actual, columns: predicted)", ""]
        lines += _table(["actual \\ predicted"] + list(classes), [[c] + [count(v) for v in row] for c, row in zip(classes, matrix)])

    slices = evaluation["slices"]
    names = [n for n in dict.fromkeys(n for m in slices.values() for n in m) if "[" not in n]
    lines += ["## Per slice (candidate)", ""]
    order = sorted(slices, key=lambda s: (s != "Overall", s))
    lines += _table(["slice"] + names, [[s] + [metric(n, slices[s].get(n)) for n in names] for s in order])
    if missing_note(slices, names):
        lines += [missing_note(slices, names), ""]
    return "\n".join(lines)
