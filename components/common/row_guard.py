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
    ``namespace`` of a finished pipeline's ``result``, by name.

    A portable runner's result (Flink's, through Beam's job server) is read from the job
    service's monitoring infos, summed: a transform that the runner placed in several
    stages (everything after a Flatten of two reads is fused once per read) is reported
    once per stage under the same step name, and Beam's ``PortableMetrics`` keeps only the
    last of them (``portable_metrics.from_monitoring_infos`` assigns, it does not add).
    Batch prediction on Flink counted 274 of the 344 rows it wrote that way."""
    from apache_beam.metrics.metric import MetricsFilter

    portable = _portable_counter_values(result, namespace)
    if portable is not None:
        return portable
    values: Dict[str, int] = {}
    for item in result.metrics().query(MetricsFilter().with_namespace(namespace))["counters"]:
        name = item.key.metric.name
        values[name] = values.get(name, 0) + int(item.committed or item.attempted or 0)
    return values


def _portable_counter_values(result, namespace: str) -> Optional[Dict[str, int]]:
    """``counter_values`` of a PortableRunner result, every report of a counter added up;
    None for any other result."""
    job_service, job_id = getattr(result, "_job_service", None), getattr(result, "_job_id", None)
    if job_service is None or not job_id or not hasattr(job_service, "GetJobMetrics"):
        return None
    from apache_beam.metrics import monitoring_infos
    from apache_beam.portability.api import beam_job_api_pb2

    metrics = job_service.GetJobMetrics(beam_job_api_pb2.GetJobMetricsRequest(job_id=job_id)).metrics
    sums: Dict[str, Dict[str, int]] = {"committed": {}, "attempted": {}}
    for kind in sums:
        for info in getattr(metrics, kind):
            if (monitoring_infos.is_user_monitoring_info(info) and monitoring_infos.is_counter(info)
                    and info.labels.get(monitoring_infos.NAMESPACE_LABEL) == namespace):
                name = info.labels[monitoring_infos.NAME_LABEL]
                sums[kind][name] = sums[kind].get(name, 0) + int(monitoring_infos.extract_counter_value(info))
    return {name: sums["committed"].get(name) or sums["attempted"].get(name, 0)
            for name in set(sums["committed"]) | set(sums["attempted"])}


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
