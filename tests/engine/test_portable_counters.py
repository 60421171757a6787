"""The row guard adds up a counter that a portable runner reports once per stage.

Beam's Flink runner fuses what follows a Flatten of two reads once per read, so batch
prediction's ``CountWritten`` ran in two stages and the job service reported
``rows_predicted`` twice under the same step (70 and 274); Beam's ``PortableMetrics``
kept the last, and the row guard saw 274 written of 344 read. Runs without the engine:
the job service here is a stand-in that answers ``GetJobMetrics`` with those reports.
"""
from apache_beam.metrics import monitoring_infos
from apache_beam.portability.api import beam_job_api_pb2, metrics_pb2
from apache_beam.runners.portability.portable_runner import PortableMetrics

from components.common import row_guard

STEP = "ref_AppliedPTransform_CountWritten_22"


class _JobService:
    def __init__(self, attempted):
        self.response = beam_job_api_pb2.GetJobMetricsResponse(
            metrics=beam_job_api_pb2.MetricResults(attempted=attempted))

    def GetJobMetrics(self, request):
        assert request.job_id == "job-1"
        return self.response


class _PortableResult:
    """What row_guard reads of apache_beam's portable PipelineResult."""

    def __init__(self, attempted):
        self._job_service, self._job_id = _JobService(attempted), "job-1"

    def metrics(self):
        return PortableMetrics(self._job_service.response)


def _reports():
    return [
        monitoring_infos.int64_user_counter("predict", "rows_read", 70, ptransform="ref_AppliedPTransform_CountReadEval_15"),
        monitoring_infos.int64_user_counter("predict", "rows_predicted", 70, ptransform=STEP),
        monitoring_infos.int64_user_counter("predict", "rows_read", 274, ptransform="ref_AppliedPTransform_CountReadTrain_8"),
        monitoring_infos.int64_user_counter("predict", "rows_predicted", 274, ptransform=STEP),
        monitoring_infos.int64_user_counter("other", "rows_read", 5, ptransform=STEP),
    ]


def test_beams_portable_metrics_keep_one_report_of_a_step():
    from apache_beam.metrics.metric import MetricsFilter

    result = _PortableResult(_reports())
    found = result.metrics().query(MetricsFilter().with_namespace("predict").with_name("rows_predicted"))["counters"]
    assert [item.attempted for item in found] == [274]  # the loss the row guard would report


def test_counter_values_add_every_report_of_a_counter():
    assert row_guard.counter_values(_PortableResult(_reports()), "predict") == {"rows_read": 344, "rows_predicted": 344}
    row_guard.check_rows("Batch prediction", "examples", 344, 344)


def test_other_results_are_read_through_their_metrics():
    class _Local:
        def metrics(self):
            return PortableMetrics(beam_job_api_pb2.GetJobMetricsResponse(
                metrics=beam_job_api_pb2.MetricResults(attempted=_reports()[:2])))

    assert row_guard.counter_values(_Local(), "predict") == {"rows_read": 70, "rows_predicted": 70}
    assert isinstance(_reports()[0], metrics_pb2.MonitoringInfo)
