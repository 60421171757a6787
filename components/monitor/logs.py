"""Serving traffic: the rows a deployed model saw and answered, read for one time window.

Three sources, one result (a list of ``Served``: when, the instance, the prediction):

- **BigQuery** (``bq://PROJECT.DATASET.TABLE``): the table Vertex AI's endpoint
  request-response logging writes (``endpoint``, ``deployed_model_id``,
  ``logging_time`` TIMESTAMP, ``request_id``, ``request_payload`` and
  ``response_payload``, REPEATED STRING), read with ``google-cloud-bigquery``; only the
  window's rows are queried (``components.monitor.bigquery``).
- **The same rows exported** as JSON Lines (one row per line, the payloads as JSON
  arrays of strings) or CSV (the payload cells holding that array as JSON text),
  local or ``gs://``: a file, a folder or a glob.
- **Client logs**, JSON Lines of ``{"time": ..., "instance": {...}, "prediction": ...}``
  written by a client beside its own calls.

A payload string is either a whole request body (``{"instances": [...]}``, whose
response is ``{"predictions": [...]}``) or one instance (one prediction); a row's
instances and predictions pair up by position. Times are ISO 8601 (``2026-12-01T10:00:00Z``),
BigQuery's text form (``2026-12-01 10:00:00.123 UTC``) or Unix seconds; a time
without a zone is UTC.
"""
import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional, Tuple

from components.common import files, storage
from components.common.errors import ConfigurationError, DataError

BIGQUERY_SCHEME = "bq://"
# Column names of Vertex AI's request-response logging table.
LOGGING_TIME = "logging_time"
REQUEST_PAYLOAD = "request_payload"
RESPONSE_PAYLOAD = "response_payload"
# Keys of a client log line.
CLIENT_TIME, CLIENT_INSTANCE, CLIENT_PREDICTION = "time", "instance", "prediction"


@dataclass
class Served:
    """One answered instance: when it was logged, what was sent, what came back
    (None when the log holds no response)."""

    time: datetime
    instance: Dict[str, Any]
    prediction: Any


@dataclass(frozen=True)
class Window:
    """A time window ``[start, end)``, UTC."""

    start: datetime
    end: datetime

    def previous(self) -> "Window":
        """The window of the same length just before this one."""
        return Window(self.start - (self.end - self.start), self.start)

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def text(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def parse_time(value: Any, where: str = "") -> datetime:
    """A log's time as an aware UTC datetime (see the module docstring for the forms).

    Raises:
      DataError: the value is none of those forms; the message says where it was.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value or "").strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DataError(
            f"{where or 'A log row'}: the time {value!r} is not ISO 8601 (2026-12-01T10:00:00Z), "
            "BigQuery's '2026-12-01 10:00:00 UTC' or Unix seconds. Fix the log, or export the "
            "table again with its logging_time column as written by BigQuery."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def make_window(start: str = "", end: str = "", now: Optional[datetime] = None, hours: float = 24.0) -> Window:
    """The window ``[start, end)`` from the pipeline's text parameters: ``end`` empty is
    now, ``start`` empty is ``hours`` (default one day) before ``end``.

    Raises:
      ConfigurationError: a bound is not a time, or ``start`` is not before ``end``.
    """
    try:
        end_time = parse_time(end, "end") if end else (now or datetime.now(timezone.utc))
        start_time = parse_time(start, "start") if start else end_time - timedelta(hours=hours)
    except DataError as error:
        raise ConfigurationError(f"The monitoring window: {error}") from None
    if not hours > 0:
        raise ConfigurationError(f"window_hours must be above 0, got {hours}.")
    if start_time >= end_time:
        raise ConfigurationError(f"The monitoring window starts ({start_time}) at or after its end ({end_time}).")
    return Window(start_time, end_time)


def _json(text: Any, where: str) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{where}: not JSON ({error}): {text[:120]!r}") from None


def _payload_items(cell: Any, key: str, where: str) -> List[Any]:
    """The instances (``key="instances"``) or predictions of one payload cell: a list of
    JSON strings (BigQuery's REPEATED STRING), or that list as JSON text (CSV)."""
    cell = _json(cell, where)
    elements = cell if isinstance(cell, list) else [cell]
    items: List[Any] = []
    for element in elements:
        value = _json(element, where)
        if isinstance(value, dict) and key in value:
            items.extend(value[key])
        else:
            items.append(value)
    return items


def rows_to_served(row: Dict[str, Any], where: str) -> List[Served]:
    """The answered instances of one log row, in either layout (module docstring).

    Raises:
      DataError: the row is neither layout, its payloads are not JSON, an instance is
        not an object of features, or instances and predictions do not pair up.
    """
    if REQUEST_PAYLOAD in row:
        moment = parse_time(row.get(LOGGING_TIME), where)
        instances = _payload_items(row[REQUEST_PAYLOAD], "instances", f"{where}, column {REQUEST_PAYLOAD}")
        response = row.get(RESPONSE_PAYLOAD)
        predictions = _payload_items(response, "predictions", f"{where}, column {RESPONSE_PAYLOAD}") if response else []
        if predictions and len(predictions) != len(instances):
            raise DataError(
                f"{where}: {len(instances)} instance(s) in {REQUEST_PAYLOAD} but {len(predictions)} "
                f"prediction(s) in {RESPONSE_PAYLOAD}; each instance needs its prediction."
            )
    elif CLIENT_INSTANCE in row:
        moment = parse_time(row.get(CLIENT_TIME), f"{where}, key {CLIENT_TIME!r}")
        instances, predictions = [row[CLIENT_INSTANCE]], ([row[CLIENT_PREDICTION]] if CLIENT_PREDICTION in row else [])
    else:
        raise DataError(
            f"{where}: neither a Vertex AI request-response logging row (columns {LOGGING_TIME}, "
            f"{REQUEST_PAYLOAD}, {RESPONSE_PAYLOAD}) nor a client log line "
            f"({{{CLIENT_TIME!r}, {CLIENT_INSTANCE!r}, {CLIENT_PREDICTION!r}}}); it has {sorted(row)[:8]}."
        )
    served = []
    for index, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise DataError(
                f"{where}: instance {index} is {type(instance).__name__}, not an object of named features "
                "(the JSON row format {\"feature\": value, ...} the serving signature takes)."
            )
        served.append(Served(moment, instance, predictions[index] if predictions else None))
    return served


def _file_rows(path: str) -> Iterable[Tuple[Dict[str, Any], str]]:
    """The rows of one exported file, each with where it is (file and line)."""
    text = storage.read_bytes(path).decode("utf-8")
    if path.lower().endswith(".csv"):
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            yield row, f"{path}, line {number}"
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            row = _json(line, f"{path}, line {number}")
            if not isinstance(row, dict):
                raise DataError(f"{path}, line {number}: a JSON Lines row must be an object, got {type(row).__name__}.")
            yield row, f"{path}, line {number}"


def read_files(pattern: str, windows: Iterable[Window]) -> List[List[Served]]:
    """The served instances of exported logs or client logs, one list per window."""
    windows = list(windows)
    found: List[List[Served]] = [[] for _ in windows]
    for path in files.match_files(pattern, "serving log"):
        for row, where in _file_rows(path):
            for item in rows_to_served(row, where):
                for index, window in enumerate(windows):
                    if window.holds(item.time):
                        found[index].append(item)
    return found


def read_traffic(logs: str, windows: Iterable[Window], bigquery_project: str = "") -> List[List[Served]]:
    """The served instances of ``logs`` (``bq://`` table, or files), one list per window."""
    if not logs:
        raise ConfigurationError("logs is empty: give the serving logs (bq://PROJECT.DATASET.TABLE, or files).")
    if logs.startswith(BIGQUERY_SCHEME):
        from components.monitor.bigquery import read_table

        return read_table(logs[len(BIGQUERY_SCHEME):], list(windows), project=bigquery_project)
    return read_files(logs, windows)
