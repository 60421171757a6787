"""A loopback fake of BigQuery's REST API (``jobs.query``), answering from local rows.

It holds tables of rows in Vertex AI's request-response logging layout and answers
``POST /bigquery/v2/projects/{project}/queries`` as BigQuery does: the table is read
from the SQL's ``FROM `project.dataset.table```, the ``@start``/``@end`` TIMESTAMP
parameters bound ``logging_time`` (as the monitoring query's WHERE says), and the
rows come back in the REST encoding (TIMESTAMP as microseconds when the client asks
for ``useInt64Timestamp``, REPEATED as ``{"v": [{"v": ...}]}``). Every request is
recorded, so a test asserts the SQL and the parameters the real client sent.
"""
import re
from datetime import datetime, timezone
from typing import Dict, List

from fakes.server import FakeService, Recorded

LOGGING_SCHEMA = [
    {"name": "endpoint", "type": "STRING", "mode": "NULLABLE"},
    {"name": "deployed_model_id", "type": "STRING", "mode": "NULLABLE"},
    {"name": "logging_time", "type": "TIMESTAMP", "mode": "NULLABLE"},
    {"name": "request_id", "type": "NUMERIC", "mode": "NULLABLE"},
    {"name": "request_payload", "type": "STRING", "mode": "REPEATED"},
    {"name": "response_payload", "type": "STRING", "mode": "REPEATED"},
]
_FROM = re.compile(r"FROM\s+`([^`]+)`", re.IGNORECASE)
_SELECT = re.compile(r"SELECT\s+(.*?)\s+FROM", re.IGNORECASE | re.DOTALL)


def _parse_time(text: str) -> datetime:
    text = text.replace(" UTC", "+00:00").replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class FakeBigQuery(FakeService):
    """``tables[(project.dataset.table)]`` = rows (dicts, ``logging_time`` as text)."""

    def __init__(self):
        super().__init__()
        self.tables: Dict[str, List[dict]] = {}
        self.route("POST", r"/bigquery/v2/projects/(?P<project>[^/]+)/queries", self._query)

    def _query(self, request: Recorded):
        body = request.body
        table = _FROM.search(body["query"])
        if not table or table.group(1) not in self.tables:
            name = table.group(1) if table else "(none)"
            return 404, {"error": {"code": 404, "message": f"Not found: Table {name}", "status": "NOT_FOUND"}}
        parameters = {p["name"]: p["parameterValue"]["value"] for p in body.get("queryParameters", [])}
        start, end = _parse_time(parameters["start"]), _parse_time(parameters["end"])
        columns = [c.strip() for c in _SELECT.search(body["query"]).group(1).split(",")]
        fields = [f for f in LOGGING_SCHEMA if f["name"] in columns]
        micros = body.get("formatOptions", {}).get("useInt64Timestamp", False)
        rows = []
        for row in sorted(self.tables[table.group(1)], key=lambda r: _parse_time(r["logging_time"])):
            moment = _parse_time(row["logging_time"])
            if not start <= moment < end:
                continue
            cells = []
            for field in fields:
                value = row.get(field["name"])
                if field["type"] == "TIMESTAMP":
                    seconds = moment.timestamp()
                    value = str(int(round(seconds * 1_000_000))) if micros else f"{seconds:.6f}"
                if field["mode"] == "REPEATED":
                    cells.append({"v": [{"v": item} for item in (value or [])]})
                else:
                    cells.append({"v": value})
            rows.append({"f": cells})
        return 200, {
            "kind": "bigquery#queryResponse",
            "schema": {"fields": fields},
            "jobReference": {"projectId": request.match["project"], "jobId": f"job_{len(self.requests)}", "location": "US"},
            "totalRows": str(len(rows)),
            "rows": rows,
            "jobComplete": True,
            "cacheHit": False,
        }
