"""Run a pipeline with kfp's local runner and summarize what happened.

Each task runs in its own subprocess (``kfp.local.SubprocessRunner``) in this
Python environment, exactly the component code that runs in the cloud. The
console shows progress lines per task and the tasks' warnings (``verbose`` shows
every log line except TensorFlow's start-up noise; the run log keeps everything) and ends with a short summary; ``summary.json`` holds
the same facts for machines.
"""
import contextlib
import datetime
import json
import os
import re
import sys
import time
from typing import Dict, List, Optional, Tuple

from pipelines.task_env import TaskEnvironment
from pipelines.warm_worker import WarmWorker

RUN_LOG = "run.log"
SUMMARY = "summary.json"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TASK_START = re.compile(r"Executing task '([\w-]+)'")
_TASK_END = re.compile(r"Task '([\w-]+)' finished with status (\w+)")
_USER_ERROR = re.compile(r"^components\.common\.errors\.(\w+): (.*)$")
_ANY_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.*)$")
_EXECUTOR_WARNING = re.compile(r"^\s*\[KFP Executor [^\]]* (WARNING|ERROR)\]: ")
# Start-up chatter of TensorFlow and friends: kept in the log, hidden on screen.
_NOISE = re.compile(
    r"Unable to register cu(DNN|FFT|BLAS) factory|cpu_feature_guard|To enable the following instructions"
    r"|rebuild TensorFlow with|Could not find cuda drivers|TF-TRT Warning|oneDNN custom operations"
    r"|crcmod package not found"
    # Library warnings that say nothing about the user's run.
    r"|cache key varies on repeated tracing|SavedModel saved prior to TF 2.5 detected"
    r"|TFMA support for TF 2.0 is currently in beta|tf_record_iterator \(from tensorflow"
)


# The one harmless traceback hidden from the screen, matched whole and line by line:
# TensorFlow 2.16's AtomicFunction.__del__ running while the interpreter shuts down,
# when its module's globals are already None. Any other "Exception ignored in" is shown.
_SHUTDOWN_HEAD = (
    re.compile(r"Exception ignored in: <function AtomicFunction\.__del__ at 0x[0-9a-fA-F]+>"),
    re.compile(r"Traceback \(most recent call last\):"),
    re.compile(r'  File "[^"]*/tensorflow/python/eager/polymorphic_function/atomic_function\.py", line \d+, in __del__'),
)
_SHUTDOWN_SOURCE = re.compile(r"    \S.*")  # the source line, and the caret line Python 3.11 adds
_SHUTDOWN_TAIL = re.compile(r"TypeError: 'NoneType' object is not subscriptable")
_SHUTDOWN_MAX_SOURCE = 2
WHOLE, PREFIX, OTHER = "whole", "prefix", "other"


def shutdown_noise(lines: List[str]) -> str:
    """Whether ``lines`` are TensorFlow's harmless shutdown traceback (WHOLE), its
    beginning (PREFIX: the next lines may complete it) or anything else (OTHER)."""
    lines = [line.rstrip("\r") for line in lines]
    head, rest = lines[: len(_SHUTDOWN_HEAD)], lines[len(_SHUTDOWN_HEAD):]
    if not all(pattern.fullmatch(line) for pattern, line in zip(_SHUTDOWN_HEAD, head)):
        return OTHER
    if not rest:
        return PREFIX
    source, last = rest[:-1], rest[-1]
    if len(source) > _SHUTDOWN_MAX_SOURCE or not all(_SHUTDOWN_SOURCE.fullmatch(line) for line in source):
        return OTHER
    if _SHUTDOWN_TAIL.fullmatch(last):
        return WHOLE
    if _SHUTDOWN_SOURCE.fullmatch(last) and len(rest) <= _SHUTDOWN_MAX_SOURCE:
        return PREFIX
    return OTHER


class _Tee:
    """Copies everything written to a stream into a log, tracking task progress."""

    def __init__(self, stream, log_handle, verbose: bool):
        self._stream, self._log, self._verbose = stream, log_handle, verbose
        self._pending = ""
        self._held: List[Tuple[str, str]] = []  # a possible shutdown traceback, until it is whole
        # Every line of the run except TensorFlow's harmless shutdown traceback (not an error of the run).
        self.lines: List[str] = []
        self.task_started: Dict[str, float] = {}
        self.task_seconds: Dict[str, float] = {}
        self.task_status: Dict[str, str] = {}

    def write(self, text: str) -> int:
        self._log.write(text)
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        plain = _ANSI.sub("", line)
        self.lines.append(plain)
        started, ended = _TASK_START.search(plain), _TASK_END.search(plain)
        if started:
            self.task_started[started.group(1)] = time.monotonic()
        if ended:
            name, status = ended.groups()
            self.task_seconds[name] = time.monotonic() - self.task_started.get(name, time.monotonic())
            self.task_status[name] = status
        for shown, shown_plain in self._screened(line, plain):
            self._show(shown, shown_plain)
        if started and not self._verbose:
            self._stream.write(f"[kfp-tf] {started.group(1)}: running\n")
        if ended:
            mark = "ok" if status == "SUCCESS" else status
            self._stream.write(f"[kfp-tf] {name}: {mark} in {self.task_seconds[name]:.1f} s\n")
        self._stream.flush()

    def _screened(self, line: str, plain: str) -> List[Tuple[str, str]]:
        """The lines to show now: a shutdown traceback is held until it is whole, then
        dropped; held lines that turn out to be anything else are shown after all."""
        held = self._held + [(line, plain)]
        state = shutdown_noise([p for _, p in held])
        if state == PREFIX:
            self._held = held
            return []
        self._held = []
        if state == WHOLE:
            del self.lines[-len(held):]
            return []
        if len(held) > 1:  # the held lines were something else; look at this line afresh
            return held[:-1] + self._screened(line, plain)
        return held

    def _show(self, line: str, plain: str) -> None:
        if self._verbose and not _NOISE.search(plain):
            self._stream.write(line + "\n")
        elif _EXECUTOR_WARNING.search(plain) and not _NOISE.search(plain):
            self._stream.write(f"[kfp-tf]   {plain.split(']: ', 1)[-1]}\n")

    def finish(self) -> None:
        """At the end of the run: show lines still held (a traceback cut short)."""
        held, self._held = self._held, []
        for line, plain in held:
            self._show(line, plain)
        self.flush()

    def flush(self) -> None:
        self._stream.flush()
        self._log.flush()

    def isatty(self) -> bool:
        return False


def _task_outputs(run_dir: str, task: str) -> Dict[str, object]:
    """Artifact metadata and output parameters a task recorded in its executor output."""
    path = os.path.join(run_dir, task, "executor_output.json")
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        output = json.load(handle)
    found: Dict[str, object] = dict(output.get("parameterValues", {}))
    for name, artifact_list in output.get("artifacts", {}).items():
        artifacts = artifact_list.get("artifacts", [])
        if artifacts:
            found[name] = {"uri": artifacts[0].get("uri"), **artifacts[0].get("metadata", {})}
    return found


def find_error(lines: List[str]) -> Optional[Dict[str, str]]:
    """The last user-facing error (or else the last exception) in a task log."""
    chosen = None
    lines = [line.strip() for line in lines]
    for index, line in enumerate(lines):
        match = _USER_ERROR.match(line) or _ANY_ERROR.match(line)
        if not match:
            continue
        message = [match.group(2)]
        for following in lines[index + 1 :]:
            if not following or following.startswith(("[KFP", "Traceback")) or re.match(r"^\d\d:\d\d", following):
                break
            message.append(following)
        candidate = {"type": match.group(1).split(".")[-1], "message": "\n".join(message)}
        if _USER_ERROR.match(line) or chosen is None or chosen.get("user") is not True:
            chosen = dict(candidate, user=bool(_USER_ERROR.match(line)))
    if chosen:
        chosen.pop("user", None)
    return chosen


def _newest_run_dir(pipeline_root: str, pipeline_name: str, since: float) -> Optional[str]:
    if not os.path.isdir(pipeline_root):
        return None
    candidates = [
        os.path.join(pipeline_root, d)
        for d in os.listdir(pipeline_root)
        if d.startswith(pipeline_name + "-") and os.path.getmtime(os.path.join(pipeline_root, d)) >= since - 1
    ]
    return max(candidates, key=os.path.getmtime) if candidates else None


def _integer(value):
    """Artifact metadata numbers come back as floats (protobuf Struct): 17.0 -> 17."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def build_summary(pipeline_name: str, run_dir: Optional[str], tee: _Tee, arguments: Dict, seconds: float) -> Dict:
    """The run's facts from each task's recorded outputs."""
    outputs = {task: _task_outputs(run_dir, task) for task in tee.task_status} if run_dir else {}
    failed = [task for task, status in tee.task_status.items() if status != "SUCCESS"]
    examples = outputs.get("ingest", {}).get("examples", {})
    anomalies = outputs.get("validate", {}).get("anomalies", {})
    evaluation = outputs.get("evaluate", {}).get("evaluation", {})
    blessing = outputs.get("evaluate", {}).get("blessing", {})
    pushed = outputs.get("push", {}).get("pushed_model", {})
    infra = outputs.get("infra-validate", {}).get("infra_blessing", {})
    baseline = evaluation.get("baseline") or {}
    transform_graph = outputs.get("transform", {}).get("transform_graph", {})
    predictions = outputs.get("predict", {}).get("predictions", {})
    summary = {
        "pipeline": pipeline_name,
        "status": "failed" if failed or not tee.task_status else "succeeded",
        "run_dir": run_dir,
        "arguments": arguments,
        "rows": examples.get("split_row_counts"),
        "rows_without_label": examples.get("rows_without_label"),
        "anomalies": anomalies.get("anomalies") if anomalies else None,
        "anomaly_count": anomalies.get("anomaly_count") if anomalies else None,
        "drift": anomalies.get("drift") if anomalies else None,
        "statistics": outputs.get("statistics", {}).get("statistics", {}).get("uri"),
        "task": transform_graph.get("task"),
        "classes": transform_graph.get("classes"),
        "positive_class": transform_graph.get("positive_class"),
        "metrics": evaluation.get("overall"),
        "metric_intervals": evaluation.get("intervals"),
        "blessed": blessing.get("blessed") if blessing else None,
        "blessing_reasons": blessing.get("reasons"),
        "baseline": {"version": _integer(baseline.get("version")), "uri": baseline.get("uri")} if baseline.get("found") else None,
        "baseline_metrics": evaluation.get("baseline_overall"),
        "baseline_metric_intervals": evaluation.get("baseline_intervals"),
        "infra_blessed": infra.get("blessed") if infra else None,
        "infra_reasons": infra.get("reasons"),
        "infra_latency_ms": infra.get("latency_ms"),
        "push_reason": pushed.get("reason"),
        "pushed_model": pushed.get("pushed_destination") or None,
        "predictions": predictions.get("uri"),
        "predicted_rows": predictions.get("rows"),
        "prediction_model": predictions.get("model_dir"),
        "seconds": round(seconds, 1),
        "task_seconds": {k: round(v, 1) for k, v in tee.task_seconds.items()},
    }
    if failed:
        summary["failed_task"] = failed[0]
        summary["error"] = find_error(tee.lines)
    return summary


def human_summary(summary: Dict) -> str:
    """A few lines for the console."""
    lines = [f"Pipeline {summary['pipeline']} {summary['status'].upper()} in {summary['seconds']:.0f} s"]
    if summary.get("rows"):
        dropped = summary.get("rows_without_label") or 0
        lines.append(
            "  rows: " + ", ".join(f"{k} {v}" for k, v in summary["rows"].items())
            + (f" ({dropped} without a label dropped)" if dropped else "")
        )
    if summary.get("anomaly_count") is not None:
        lines.append(f"  anomalies: {summary['anomaly_count']}")
    drifted = [d for d in summary.get("drift") or [] if d["drifted"]]
    listed = [] if summary.get("failed_task") == "data-gate" else (summary.get("anomalies") or [])[:10]
    for anomaly in listed:  # when validation stopped the run, its error lists them
        lines.append(f"    {anomaly['split']} / {anomaly['feature']}: {anomaly['kinds']}")
    if summary.get("drift"):
        lines.append(
            f"  drift vs baseline: {len(drifted)} feature(s) drifted"
            + "".join(f"\n    {d['feature']} ({d['split']}): {d['measure']} {d['distance']:.3f} > {d['threshold']:.3f}" for d in drifted)
        )
    if summary.get("metrics"):
        shown = {k: v for k, v in summary["metrics"].items() if k != "example_count" and "[" not in k}
        intervals = summary.get("metric_intervals") or {}
        positive = f", positive class {summary['positive_class']!r}" if summary.get("positive_class") else ""
        lines.append(f"  {summary.get('task') or 'metrics'}{positive} (95 % intervals): " + ", ".join(
            f"{k} {v:.4g}" + (f" [{intervals[k][0]:.3g}, {intervals[k][1]:.3g}]" if k in intervals else "")
            for k, v in shown.items()
        ))
    if summary.get("baseline_metrics"):
        old = summary["baseline_metrics"]
        shown = [k for k in summary.get("metrics") or {} if k in old and k != "example_count" and "[" not in k]
        lines.append(
            f"  baseline (version {(summary.get('baseline') or {}).get('version')}): "
            + ", ".join(f"{k} {old[k]:.4g}" for k in shown)
        )
    if summary.get("infra_blessed") is not None:
        lines.append(f"  infra validation: {'passed' if summary['infra_blessed'] else 'FAILED'} ({'; '.join(summary.get('infra_reasons') or [])})")
    if summary.get("blessed") is not None:
        lines.append(f"  blessed: {summary['blessed']} ({'; '.join(summary.get('blessing_reasons') or [])})")
    if summary.get("status") == "succeeded" and summary["pipeline"] == "training":
        blocked = [n for n, ok in (("not blessed", summary.get("blessed")), ("infra validation failed", summary.get("infra_blessed"))) if ok is False]
        lines.append(f"  pushed model: {summary.get('pushed_model') or 'none'}" + (f" ({', '.join(blocked)})" if blocked else ""))
    if summary.get("predicted_rows") is not None:
        lines.append(f"  predictions: {summary['predicted_rows']} rows by {summary['prediction_model']}")
        lines.append(f"    in {summary['predictions']}")
    if summary.get("failed_task"):
        error = summary.get("error") or {}
        lines.append(f"  failed at: {summary['failed_task']}")
        if error:
            lines.append(f"  {error['type']}: {error['message']}")
    lines.append(f"  run folder: {summary.get('run_dir')}")
    lines.append(f"  full log: {summary.get('log')}")
    return "\n".join(lines)


def run_locally(
    pipeline, arguments: Dict[str, object], workdir: str, verbose: bool = False, warm: bool = True,
    runner: str = "subprocess",
) -> Dict:
    """Run ``pipeline(**arguments)`` with kfp.local under ``workdir`` and return the summary.

    Writes ``<workdir>/summary.json`` (and a copy plus ``run.log`` in the run folder).
    Never raises for a failed task: the summary says which task failed and why.
    With ``warm`` (the default) tasks are forked from a worker that imported
    TensorFlow once (``pipelines.warm_worker``); without it each task is a cold
    ``python3`` process, exactly as kfp's SubprocessRunner makes it.
    ``runner="docker"`` runs every task in a container of the component image
    with kfp's DockerRunner instead (``pipelines.container_run``: local inputs are
    copied under the pipeline root, the only folder mounted; no warm worker).
    """
    import warnings

    from kfp import local

    # The local runner warns that the tasks' image is not used; that is the point here.
    warnings.filterwarnings("ignore", message="You may be attemping to run a task that uses custom")

    workdir = os.path.abspath(workdir)
    pipeline_root = os.path.join(workdir, "pipeline_root")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::FutureWarning,ignore::UserWarning")
    given = arguments
    if runner == "docker":
        from pipelines import container_run

        task_runner, warm = container_run.docker_runner(), False  # the daemon first, then the host
        container_run.prepare_pipeline_root(pipeline_root)
        arguments = container_run.stage_arguments(arguments, pipeline_root)
    else:
        os.makedirs(pipeline_root, exist_ok=True)
        task_runner = local.SubprocessRunner(use_venv=False)
    local.init(runner=task_runner, pipeline_root=pipeline_root, raise_on_error=False)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = os.path.join(workdir, f"{pipeline.name}-{stamp}.log")
    started_wall, started = time.time(), time.monotonic()
    worker = WarmWorker(os.path.join(workdir, "warm_worker.log")) if warm else contextlib.nullcontext()
    # A private TMPDIR for the run, removed at its end, and a launcher that never
    # imports from the working folder (pipelines/task_env.py).
    with open(log_path, "w", encoding="utf-8") as log_handle, TaskEnvironment(workdir) as task_env, worker:
        tee = _Tee(sys.stdout, log_handle, verbose)
        real_stdout, real_executable = sys.stdout, sys.executable
        sys.stdout = tee
        # kfp's SubprocessRunner starts tasks with sys.executable: the launcher.
        sys.executable = worker.executable if warm else task_env.executable
        try:
            pipeline(**arguments)
        except Exception as error:  # an invalid argument, before any task ran
            tee.lines.append(f"{type(error).__name__}: {error}")
            tee.task_status.setdefault("(pipeline)", "FAILURE")
        finally:
            sys.executable = real_executable
            tee.finish()
            sys.stdout = real_stdout
    if runner == "docker":
        container_run.unstage(given, arguments, pipeline_root)
    run_dir = _newest_run_dir(pipeline_root, pipeline.name, started_wall)
    summary = build_summary(pipeline.name, run_dir, tee, given, time.monotonic() - started)
    if run_dir:
        os.replace(log_path, os.path.join(run_dir, RUN_LOG))
        summary["log"] = os.path.join(run_dir, RUN_LOG)
        with open(os.path.join(run_dir, SUMMARY), "w") as handle:
            json.dump(summary, handle, indent=2)
    else:
        summary["log"] = log_path
    with open(os.path.join(workdir, SUMMARY), "w") as handle:
        json.dump(summary, handle, indent=2)
    return summary
