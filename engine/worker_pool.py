"""The engine's Beam Python SDK worker pool (``--environment_type=EXTERNAL``).

It serves Beam's ``BeamFnExternalWorkerPool`` API as
``apache_beam.runners.worker.worker_pool_main`` does, starting each SDK worker as a
process of its own, with two differences that the engine needs:

- **Workers are told apart by who asked for them.** Each TaskManager numbers its SDK
  workers itself (``<factory>-<n>``, counted from 1 in every JVM), so two TaskManagers
  ask for workers with the same id. Beam's pool keeps one process per id and ends
  whichever process holds the id on ``StopWorker``: when one TaskManager stopped its
  worker ``11-1`` it killed the other TaskManager's ``11-1`` while that one was still
  starting, and the other TaskManager then waited for it for ever ("Still waiting for
  startup of environment from 127.0.0.1:50000 for worker id 11-1": the transform stall).
  The runner starts and stops a worker over one gRPC channel, so here a worker is
  known by (the caller's address, its id), and ``StopWorker`` ends only the worker that
  caller started.
- **Worker output is not left in an unread pipe** (Beam's pool gives each worker
  ``stdout=PIPE`` and never reads it, so a worker that prints 64 KiB blocks): it goes to
  the pool's own log. The pool listens on 127.0.0.1 only.

Workers run with ``data_buffer_time_limit_ms=-1`` (no timed flush of the data channel),
as Beam's pool starts them.
"""
import argparse
import logging
import signal
import subprocess
import sys
import threading
from concurrent import futures

import grpc
from apache_beam.portability.api import beam_fn_api_pb2, beam_fn_api_pb2_grpc

LOG = logging.getLogger("engine.worker_pool")
STOP_GRACE_S = 10


def harness_command(control_url, worker_id):
    """The command that runs one SDK worker connected to ``control_url``."""
    code = (
        "from apache_beam.runners.worker.sdk_worker import SdkHarness; "
        f"SdkHarness({control_url!r}, worker_id={worker_id!r}, state_cache_size=0, "
        "data_buffer_time_limit_ms=-1).run()"
    )
    return [sys.executable, "-c", code]


def _end(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class WorkerPool(beam_fn_api_pb2_grpc.BeamFnExternalWorkerPoolServicer):
    def __init__(self):
        self._lock = threading.Lock()
        self._workers = {}  # (peer, worker_id) -> Popen

    def _reap(self):
        with self._lock:
            for key in [key for key, process in self._workers.items() if process.poll() is not None]:
                del self._workers[key]

    def StartWorker(self, request, context):
        self._reap()
        key = (context.peer(), request.worker_id)
        try:
            process = subprocess.Popen(harness_command(request.control_endpoint.url, request.worker_id),
                                       stdin=subprocess.DEVNULL, close_fds=True)
        except OSError as error:
            return beam_fn_api_pb2.StartWorkerResponse(error=f"cannot start SDK worker {request.worker_id}: {error}")
        with self._lock:
            previous = self._workers.get(key)
            self._workers[key] = process
        if previous is not None and previous.poll() is None:
            LOG.warning("worker %s from %s started again; the earlier one (pid %d) is left to end by itself",
                        request.worker_id, key[0], previous.pid)
        LOG.info("started worker %s for %s (pid %d, control %s)", request.worker_id, key[0], process.pid,
                 request.control_endpoint.url)
        return beam_fn_api_pb2.StartWorkerResponse()

    def StopWorker(self, request, context):
        key = (context.peer(), request.worker_id)
        with self._lock:
            process = self._workers.pop(key, None)
        if process is None:
            # Not started through this caller's channel (it reconnected): a worker with
            # this id may belong to another TaskManager, so none is ended here. The runner
            # closes a worker's control stream before it asks, and the worker then exits.
            LOG.info("stop of worker %s from %s: no worker of that caller; nothing ended", request.worker_id, key[0])
        else:
            LOG.info("stopping worker %s for %s (pid %d)", request.worker_id, key[0], process.pid)
            threading.Thread(target=_end, args=(process,), daemon=True).start()
        return beam_fn_api_pb2.StopWorkerResponse()

    def stop_all(self):
        with self._lock:
            processes, self._workers = list(self._workers.values()), {}
        for process in processes:
            _end(process)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    pool = WorkerPool()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         options=[("grpc.http2.max_pings_without_data", 0), ("grpc.http2.max_ping_strikes", 0)])
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(pool, server)
    if not server.add_insecure_port(f"{args.host}:{args.port}"):
        raise SystemExit(f"worker pool: cannot listen on {args.host}:{args.port}")
    server.start()
    LOG.info("SDK worker pool listening on %s:%d", args.host, args.port)

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.wait(30):
        pool._reap()
    server.stop(grace=2)
    pool.stop_all()
    LOG.info("SDK worker pool stopped")


if __name__ == "__main__":
    main()
