"""Reading Vertex AI's request-response logging table from BigQuery, one query per run.

The table layout is Vertex AI's (``endpoint``, ``deployed_model_id``, ``logging_time``,
``request_id``, ``request_payload``, ``response_payload``); the query selects only
the rows whose ``logging_time`` falls in the windows asked for (the current one and
the one before it, for drift and volume), with the bounds as query parameters.
"""
import re
from typing import List, Optional

from components.common.errors import ConfigurationError
from components.monitor.logs import LOGGING_TIME, REQUEST_PAYLOAD, RESPONSE_PAYLOAD, Served, Window, rows_to_served

# PROJECT.DATASET.TABLE, as BigQuery names them (project ids may hold '-' and ':').
_TABLE = re.compile(r"^(?P<project>[A-Za-z0-9_.:-]+)\.(?P<dataset>\w+)\.(?P<table>[\w$-]+)$")


def window_query(table: str) -> str:
    """The SQL selecting a window's logged requests of ``table`` (``@start``/``@end``)."""
    return (
        f"SELECT {LOGGING_TIME}, {REQUEST_PAYLOAD}, {RESPONSE_PAYLOAD}\n"
        f"FROM `{table}`\n"
        f"WHERE {LOGGING_TIME} >= @start AND {LOGGING_TIME} < @end\n"
        f"ORDER BY {LOGGING_TIME}"
    )


def read_table(table: str, windows: List[Window], project: str = "", api_endpoint: Optional[str] = None,
               credentials=None) -> List[List[Served]]:
    """The served instances logged in ``table`` (``PROJECT.DATASET.TABLE``), one list per
    window; the query runs in ``project`` (default: the table's).

    Raises:
      ConfigurationError: the table name is not PROJECT.DATASET.TABLE, or BigQuery
        refused the query (the table does not exist, no permission), with its message.
      DataError: a row is not a request-response logging row (``logs.rows_to_served``).
    """
    import warnings

    from google.api_core import exceptions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the client's import-time Python version notices
        from google.cloud import bigquery

    found = _TABLE.match(table)
    if not found:
        raise ConfigurationError(
            f"bq://{table} is not a BigQuery table: give bq://PROJECT.DATASET.TABLE, the table "
            "the endpoint's request-response logging writes (predictRequestResponseLoggingConfig)."
        )
    start = min(w.start for w in windows)
    end = max(w.end for w in windows)
    client = bigquery.Client(
        project=project or found.group("project"), credentials=credentials,
        client_options={"api_endpoint": api_endpoint} if api_endpoint else None,
    )
    config = bigquery.QueryJobConfig(query_parameters=[
        bigquery.ScalarQueryParameter("start", "TIMESTAMP", start),
        bigquery.ScalarQueryParameter("end", "TIMESTAMP", end),
    ])
    try:
        rows = list(client.query_and_wait(window_query(table), job_config=config))
    except (exceptions.NotFound, exceptions.Forbidden, exceptions.BadRequest) as error:
        raise ConfigurationError(f"BigQuery could not read bq://{table}: {error.message}") from None
    served: List[List[Served]] = [[] for _ in windows]
    for number, row in enumerate(rows, start=1):
        where = f"bq://{table}, result row {number}"
        for item in rows_to_served(dict(row.items()), where):
            for index, window in enumerate(windows):
                if window.holds(item.time):
                    served[index].append(item)
    return served
