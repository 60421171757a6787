"""The row guard shared by the Beam steps: rows read = rows written + rows dropped, or stop.

A Beam runner can lose data silently where one stage hands its output to the next
(DESIGN.md, "Findings": Beam 2.72's multi-worker FnApiRunner dropped whole chunks of a
stage's input). A counter placed after such a transfer sees only what arrived, so a
step counts on both sides of every transfer:

1. count each row where it is read, in the reading stage (``counter(NS, "rows_read")``
   incremented in the DoFn or Map right after the source);
2. count each row immediately before it is written, in the writing stage, after every
   transfer (``counter(NS, "rows_written")``), and each row dropped on purpose where it
   is dropped (a counter of its own);
3. after the pipeline, ``counts = counter_values(pipeline.result, NS)`` and
   ``check_rows(step, source, counts["rows_read"], counts["rows_written"], dropped)``
   raise ``DataLossError`` on any difference.

Batch prediction uses it as above (``components/predict/runtime.py``). Ingest keeps
its own counters, parts as well as rows (``components/ingest/row_guard.py``); its
rows check is the same comparison and can call ``check_rows`` with its read, written
(the sum over splits) and without-label counts.
"""
from typing import Dict, Optional

from components.common.errors import DataLossError

ADVICE = (
    "The Beam runner lost rows between the stages of this step; nothing it wrote should be used. "
    "Run it again; with several local Beam workers (--direct_num_workers), use one."
)


def counter(namespace: str, name: str):
    """A Beam counter, for use inside the pipeline's functions."""
    from apache_beam.metrics import Metrics

    return Metrics.counter(namespace, name)


def counter_values(result, namespace: str) -> Dict[str, int]:
    """The committed value (attempted where the runner commits none) of each counter in
    ``namespace`` of a finished pipeline's ``result``, by name."""
    from apache_beam.metrics.metric import MetricsFilter

    values: Dict[str, int] = {}
    for item in result.metrics().query(MetricsFilter().with_namespace(namespace))["counters"]:
        name = item.key.metric.name
        values[name] = values.get(name, 0) + int(item.committed or item.attempted or 0)
    return values


def check_rows(step: str, source: str, read: int, written: int, dropped: int = 0, dropped_why: Optional[str] = None) -> None:
    """Raise DataLossError unless ``read == written + dropped``.

    ``step`` names the step (``"Batch prediction"``), ``source`` what it read;
    ``dropped_why`` says why rows are dropped on purpose (``"without a label"``)."""
    if read == written + dropped:
        return
    dropped_text = f" and dropped {dropped} {dropped_why or 'on purpose'}" if dropped else ""
    raise DataLossError(
        f"{step} of {source} read {read} row(s) but wrote {written}{dropped_text}: "
        f"{read - written - dropped} row(s) unaccounted for. {ADVICE}"
    )
