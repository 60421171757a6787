"""What a local run prints, and what its log keeps.

Everything kfp's local runner and the tasks write to standard output passes through
``Console.write``. The console (the terminal) shows, one line each:

* ``[kfp-tf] <task>: running`` and ``[kfp-tf] <task>: ok in 3.2 s`` as tasks start and end;
* the tasks' progress lines (``components.common.progress``), e.g. train's epochs, as
  ``[kfp-tf]   <task>: epoch 3/20 ...``;
* the tasks' warnings (``[KFP Executor ... WARNING]`` lines), each distinct one once,
  without TensorFlow's start-up chatter (``NOISE``);
* ``[kfp-tf]   <task>: still running (2 min)`` when a task has shown nothing for
  ``HEARTBEAT_SECONDS`` (``heartbeat``, called from a timer thread by the runner).

With ``verbose`` it shows every line instead, except the chatter. The run log gets every
line, with ANSI colour codes removed and each repeated warning line written once: the
repeats are counted and listed at the end of the log. TensorFlow's harmless shutdown
traceback (``shutdown_noise``) stays in the log but is neither shown nor reported as
the run's error. After ``interrupt()`` nothing more is shown (the log keeps recording).
"""
import collections
import re
import threading
import time
from typing import Dict, List, Optional, Tuple

from components.common import progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TASK_START = re.compile(r"Executing task '([\w-]+)'")
_TASK_END = re.compile(r"Task '([\w-]+)' finished with status (\w+)")
_EXECUTOR_WARNING = re.compile(r"^\s*\[KFP Executor [^\]]* (WARNING|ERROR)\]: ")
# Start-up chatter of TensorFlow and friends: kept in the log, hidden on screen.
NOISE = re.compile(
    r"Unable to register cu(DNN|FFT|BLAS) factory|cpu_feature_guard|To enable the following instructions"
    r"|rebuild TensorFlow with|Could not find cuda drivers|TF-TRT Warning|oneDNN custom operations"
    r"|crcmod package not found"
    # Library warnings that say nothing about the user's run.
    r"|cache key varies on repeated tracing|SavedModel saved prior to TF 2.5 detected"
    r"|TFMA support for TF 2.0 is currently in beta|tf_record_iterator \(from tensorflow"
)
# Warnings whose facts the closing summary states (anomalies, drift): said once, there
# (verbose mode shows them with their detail lines).
SUMMARIZED = re.compile(r"\]: Data validation found \d+ anomal")

HEARTBEAT_SECONDS = 60.0

# Warning lines, and the part of each that identifies it (time stamps and process ids left out).
_WARNING_KEYS = (
    re.compile(r"^\s*\[KFP Executor [^\]]* WARNING\]: (.*)$"),  # kfp's executor logging
    re.compile(r"^[W]\d{4} [\d:.]+\s+\d+ (\S+\] .*)$"),  # absl / glog from C++
    re.compile(r"^(WARNING:[\w.]+:.*)$"),  # Python logging's default format
    re.compile(r"^(\S+:\d+: \w*Warning: .*)$"),  # warnings.warn, first line
)
_WARNING_SOURCE = re.compile(r"^\s+\S")  # the source line Python prints under a warnings.warn line


def warning_key(line: str) -> Optional[str]:
    """What identifies a warning line, whatever its time stamp; None for other lines."""
    for pattern in _WARNING_KEYS:
        match = pattern.match(line)
        if match:
            return match.group(1)
    return None


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


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class RunLog:
    """The run log: lines without colour codes, each repeated warning written once.

    ``close()`` appends how often each repeated warning came, then closes the file."""

    def __init__(self, handle):
        self._handle = handle
        self.repeats: Dict[str, int] = collections.Counter()
        self._skip_source = False  # the line under a warnings.warn line that was not written

    def write_line(self, line: str) -> None:
        if self._skip_source and _WARNING_SOURCE.match(line):
            self._skip_source = False
            return
        self._skip_source = False
        key = warning_key(line)
        if key is not None:
            self.repeats[key] += 1
            if self.repeats[key] > 1:
                self._skip_source = True
                return
        self._handle.write(line + "\n")

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        repeated = [(key, count) for key, count in self.repeats.items() if count > 1]
        if repeated:
            self._handle.write("\n[kfp-tf] warnings repeated during the run (each written once above):\n")
            for key, count in sorted(repeated, key=lambda item: -item[1]):
                self._handle.write(f"  {count}x {key}\n")
        self._handle.close()


class Console:
    """A stand-in for ``sys.stdout`` during a run: shows progress, logs everything.

    Records for the summary: ``lines`` (every line, without colour codes and without
    TensorFlow's shutdown traceback), when each task started, how long it took and its
    status, and ``running`` (the task started but not finished, if any)."""

    def __init__(self, stream, log: RunLog, verbose: bool):
        self._stream, self._log, self._verbose = stream, log, verbose
        self._pending = ""
        self._held: List[Tuple[str, str]] = []  # a possible shutdown traceback, until it is whole
        self._shown_warnings: set = set()
        self._interrupted = False
        self._lock = threading.RLock()  # the runner's heartbeat thread writes too
        self._last_shown = time.monotonic()
        self.lines: List[str] = []
        self.task_started: Dict[str, float] = {}
        self.task_seconds: Dict[str, float] = {}
        self.task_status: Dict[str, str] = {}

    @property
    def running(self) -> Optional[str]:
        """The task that started and has not finished, if any."""
        started = [name for name in self.task_started if name not in self.task_status]
        return started[-1] if started else None

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            while "\n" in self._pending:
                line, self._pending = self._pending.split("\n", 1)
                self._line(line)
        return len(text)

    def heartbeat(self, now: float = None) -> None:
        """Say that the running task is still running when nothing was shown for
        HEARTBEAT_SECONDS (not in verbose mode, where every line is shown)."""
        with self._lock:
            now = time.monotonic() if now is None else now
            task = self.running
            if task is None or self._verbose or now - self._last_shown < HEARTBEAT_SECONDS:
                return
            elapsed = now - self.task_started[task]
            self._print(f"[kfp-tf]   {task}: still running ({_duration(elapsed)})")
            self._stream.flush()

    def say(self, text: str) -> None:
        """A line of the runner's own, on the console and in the log."""
        with self._lock:
            self._log.write_line(text)
            self._print(text)
            self._stream.flush()

    def interrupt(self) -> None:
        """From now on show nothing: the tasks' reactions to Ctrl-C go to the log only."""
        self._interrupted = True

    def _line(self, line: str) -> None:
        plain = ANSI.sub("", line).rstrip("\r")
        self._log.write_line(plain)
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
            self._print(f"[kfp-tf] {started.group(1)}: running")
        if ended:
            mark = "ok" if status == "SUCCESS" else status
            self._print(f"[kfp-tf] {name}: {mark} in {self.task_seconds[name]:.1f} s")
        self._stream.flush()

    def _print(self, text: str) -> None:
        if not self._interrupted:
            self._stream.write(text + "\n")
            self._last_shown = time.monotonic()

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
        if NOISE.search(plain):
            return
        key = warning_key(plain)
        if key is not None:
            if key in self._shown_warnings:
                return
            self._shown_warnings.add(key)
        step = progress.parse(plain)
        if self._verbose:
            self._print(line)
        elif step is not None:
            self._print(f"[kfp-tf]   {self.running or 'task'}: {step}")
        elif _EXECUTOR_WARNING.search(plain) and not SUMMARIZED.search(plain):
            self._print(f"[kfp-tf]   {plain.split(']: ', 1)[-1]}")

    def finish(self) -> None:
        """At the end of the run: show lines still held (a traceback cut short)."""
        with self._lock:
            self._finish()

    def _finish(self) -> None:
        if self._pending:
            self._line(self._pending)
            self._pending = ""
        held, self._held = self._held, []
        for line, plain in held:
            self._show(line, plain)
        self.flush()

    def flush(self) -> None:
        self._stream.flush()
        self._log.flush()

    def close_log(self) -> None:
        """Write the counts of repeated warnings to the log and close it."""
        self._log.close()

    def isatty(self) -> bool:
        return False
