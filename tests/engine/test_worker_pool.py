"""engine/worker_pool.py ends only the SDK worker that the caller started.

Both TaskManagers number their SDK workers alike ("11-1" on each). Beam's own pool
ended whichever process held an id, so one TaskManager's StopWorker killed the other's
worker while it started, and that TaskManager waited for it for ever (the transform
stall on the engine). Runs without the engine: the workers here are `sleep`s.
"""
import os
import sys
import time

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, "engine"))
import worker_pool  # noqa: E402


class _Caller:
    """A gRPC servicer context: only ``peer()`` is read."""

    def __init__(self, peer):
        self._peer = peer

    def peer(self):
        return self._peer


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setattr(worker_pool, "harness_command", lambda url, worker_id: ["sleep", "60"])
    monkeypatch.setattr(worker_pool, "STOP_GRACE_S", 2)
    pool = worker_pool.WorkerPool()
    yield pool
    pool.stop_all()


def _start(pool, peer, worker_id):
    from apache_beam.portability.api import beam_fn_api_pb2, endpoints_pb2

    request = beam_fn_api_pb2.StartWorkerRequest(
        worker_id=worker_id, control_endpoint=endpoints_pb2.ApiServiceDescriptor(url="localhost:1"))
    assert not pool.StartWorker(request, _Caller(peer)).error
    return pool._workers[(peer, worker_id)]


def _stop(pool, peer, worker_id):
    from apache_beam.portability.api import beam_fn_api_pb2

    pool.StopWorker(beam_fn_api_pb2.StopWorkerRequest(worker_id=worker_id), _Caller(peer))


def _ended(process, within_s=10):
    deadline = time.monotonic() + within_s
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return process.poll() is not None


def test_a_stop_ends_only_the_callers_worker_of_that_id(pool):
    first = _start(pool, "ipv4:127.0.0.1:40001", "11-1")   # TaskManager 1's worker
    second = _start(pool, "ipv4:127.0.0.1:40002", "11-1")  # TaskManager 0's, same id
    _stop(pool, "ipv4:127.0.0.1:40001", "11-1")
    assert _ended(first)
    time.sleep(0.5)
    assert second.poll() is None, "the other TaskManager's worker was ended"
    _stop(pool, "ipv4:127.0.0.1:40002", "11-1")
    assert _ended(second)


def test_a_stop_from_an_unknown_caller_ends_nothing(pool):
    worker = _start(pool, "ipv4:127.0.0.1:40001", "3-1")
    _stop(pool, "ipv4:127.0.0.1:49999", "3-1")
    time.sleep(0.5)
    assert worker.poll() is None
