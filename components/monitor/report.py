"""The monitoring report: the verdict (``monitoring.json``) as Markdown for the KFP and
Vertex AI UIs: the breaches first, then each check's table."""
from typing import Dict, List


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|")


def _comparison_rows(features: Dict[str, Dict], key: str) -> List[str]:
    rows = []
    for name, item in features.items():
        row = item.get(key)
        if row:
            rows.append(
                f"| {name} | {row['measure']} | {row['distance']:.4f} | {row['threshold']:.4f} | "
                f"{'**yes**' if row['drifted'] else 'no'} | {_cell(row['baseline'])} | {_cell(row['current'])} |"
            )
    return rows


def markdown_report(verdict: Dict[str, object]) -> str:
    """The report of one monitoring window."""
    window = verdict["window"]
    lines = [
        "# Monitoring report", "",
        f"Window: {window['start']} to {window['end']} (previous: {verdict['previous_window']['start']} "
        f"to {verdict['previous_window']['end']})", "",
        f"Model: {verdict['model']}" + (f" (version {verdict['model_version']})" if verdict.get("model_version") else ""),
        "", f"Logs: {verdict['logs']}", "",
        "Thresholds: " + ", ".join(
            f"{name} {value}" + (" (default)" if name in verdict["defaults"] else "")
            for name, value in verdict["thresholds"].items()
        ), "",
    ]
    if verdict["healthy"]:
        lines += ["**Healthy: no breach.**", ""]
    else:
        lines += [f"**{len(verdict['breaches'])} breach(es):**", ""] + [f"- {r}" for r in verdict["breaches"]] + [""]
    for note in verdict.get("notes", []):
        lines += [f"Note: {note}.", ""]
    volume = verdict["volume"]
    lines += ["## Volume", "", "| instances | previous window | change | p-value | status |", "|---|---|---|---|---|",
              f"| {volume['instances']} | {volume['previous_instances']} | "
              f"{'' if volume.get('change') is None else format(volume['change'], '+.1%')} | "
              f"{'' if volume.get('p_value') is None else format(volume['p_value'], '.3g')} | {volume['status']} |", ""]
    if volume.get("note"):
        lines += [f"Note: {volume['note']}.", ""]
    predictions = verdict["predictions"]
    lines += ["## Predictions against the eval split at blessing", ""]
    if predictions["status"] == "not checked":
        lines += [f"Not checked: {predictions['note']}.", ""]
    else:
        lines += [f"{predictions['measure']}: {predictions['distance']:.4f} (threshold {predictions['threshold']}, "
                  f"chi-square p = {predictions['p_value']:.3g}, {predictions['count']} predictions): "
                  f"**{predictions['status']}**", "",
                  "| prediction | share at blessing | share served |", "|---|---|---|"]
        lines += [f"| {_cell(k)} | {predictions['baseline'][k]:.1%} | {v:.1%} |" for k, v in predictions["served"].items()]
        lines.append("")
    header = ["| feature | measure | distance | threshold | breached | baseline | served |", "|---|---|---|---|---|---|---|"]
    for key, title in (("skew", "Skew against the training data"), ("drift", "Drift against the previous window")):
        rows = _comparison_rows(verdict["features"], key)
        lines += [f"## {title}", ""] + ((header + rows) if rows else ["Not measured (no traffic to compare)."]) + [""]
    anomalies = [(name, a) for name, item in verdict["features"].items() for a in item["anomalies"]]
    lines += ["## Schema anomalies (SERVING environment)", ""]
    if anomalies:
        lines += ["| feature | anomaly | description | what to do |", "|---|---|---|---|"]
        lines += [f"| {name} | {_cell(a['kinds'])} | {_cell(a['description'])} | {_cell(a['advice'])} |" for name, a in anomalies]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"
