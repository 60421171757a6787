"""The evaluation report: Markdown the Kubeflow and Vertex UIs render.

Sections: the verdict and its reasons; every check of the blessing; the candidate
beside the baseline on the overall slice, each with its 95 % interval (and the
change); the thresholds; per-class metrics (three or more classes); the confusion
matrix; the metrics of every slice.
"""
from typing import Dict, List, Optional

from components.evaluate.results import change_text


def _number(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.4g}"


def _with_interval(value: Optional[float], interval) -> str:
    """0.95 and [0.9, 0.98] -> '0.95 [0.9, 0.98]'."""
    text = _number(value)
    return f"{text} [{interval[0]:.4g}, {interval[1]:.4g}]" if text and interval else text


def bounds_text(name: str, bounds: Dict[str, float]) -> str:
    """('accuracy', {"lower_bound": 0.45}) -> 'accuracy ≥ 0.45'."""
    parts = []
    if "lower_bound" in bounds:
        parts.append(f"{name} ≥ {bounds['lower_bound']:.4g}")
    if "upper_bound" in bounds:
        parts.append(f"{name} ≤ {bounds['upper_bound']:.4g}")
    return " and ".join(parts)


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def side_by_side(candidate: Dict[str, float], baseline: Optional[Dict[str, float]]) -> List[Dict[str, object]]:
    """[{metric, candidate, baseline, change}] over the overall metrics of both models."""
    names = list(candidate) + [n for n in (baseline or {}) if n not in candidate]
    rows = []
    for name in names:
        new, old = candidate.get(name), (baseline or {}).get(name)
        change = new - old if new is not None and old is not None else None
        rows.append({"metric": name, "candidate": new, "baseline": old, "change": change})
    return rows


def markdown_report(evaluation: Dict[str, object]) -> str:
    """The whole report as Markdown."""
    verdict = "**BLESSED**" if evaluation["blessed"] else "**NOT BLESSED**"
    lines = ["# Model evaluation", "", f"Blessing: {verdict}", ""]
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
        lines += [f"Baseline: `{baseline['uri']}` (version {baseline.get('version')}).", ""]
    else:
        lines += ["Baseline: none (the first model is judged on value thresholds alone).", ""]
    shown = [r for r in side_by_side(overall, baseline_overall) if "[" not in r["metric"]]
    intervals = evaluation.get("intervals") or {}
    lines += ["## Overall: candidate and baseline (95 % intervals)", ""]
    if baseline.get("found"):
        baseline_intervals = evaluation.get("baseline_intervals") or {}
        lines += _table(
            ["metric", "candidate", "baseline", "change"],
            [[r["metric"], _with_interval(r["candidate"], intervals.get(r["metric"])),
              _with_interval(r["baseline"], baseline_intervals.get(r["metric"])),
              "" if r["change"] is None else f"{r['change']:+.4g}"] for r in shown],
        )
    else:
        lines += _table(
            ["metric", "candidate"],
            [[r["metric"], _with_interval(r["candidate"], intervals.get(r["metric"]))] for r in shown],
        )

    value, change = evaluation["thresholds"], evaluation.get("change_thresholds") or {}
    names = list(value) + [n for n in change if n not in value]
    if names:
        lines += ["## Thresholds (overall slice)", ""]
        lines += _table(
            ["metric", "value threshold", "change threshold"],
            [[name, bounds_text(name, value[name]) if name in value else "",
              change_text(change[name]) if name in change else ""] for name in names],
        )

    per_class = sorted({n.split("[", 1)[0] for n in overall if "[" in n})
    classes = evaluation.get("classes") or []
    if per_class and classes:
        lines += ["## Per class (overall slice)", ""]
        lines += _table(["class"] + per_class, [[c] + [_number(overall.get(f"{m}[{c}]")) for m in per_class] for c in classes])

    matrix = evaluation.get("confusion_matrix")
    if matrix:
        lines += ["## Confusion matrix (rows: actual, columns: predicted)", ""]
        lines += _table(["actual \\ predicted"] + list(classes), [[c] + [f"{v:g}" for v in row] for c, row in zip(classes, matrix)])

    slices = evaluation["slices"]
    names = [n for n in dict.fromkeys(n for m in slices.values() for n in m) if "[" not in n]
    lines += ["## Per slice (candidate)", ""]
    lines += _table(["slice"] + names, [[s] + [_number(m.get(n)) for n in names] for s, m in slices.items()])
    return "\n".join(lines)
