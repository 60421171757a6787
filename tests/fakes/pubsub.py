"""A loopback fake of Pub/Sub's Publisher gRPC service (``google.pubsub.v1.Publisher/Publish``).

The real ``google-cloud-pubsub`` client reaches it through ``PUBSUB_EMULATOR_HOST``
(as it reaches the Pub/Sub emulator). Known topics accept messages and answer their
ids; an unknown topic answers NOT_FOUND, as Pub/Sub does. Every request is recorded.
"""
from concurrent import futures
from typing import List, Set


class FakePublisher:
    """``with FakePublisher(topics={"projects/p/topics/t"}) as fake:``; ``fake.host_port``."""

    def __init__(self, topics: Set[str]):
        self.topics = set(topics)
        self.requests: List[object] = []
        self._server = None
        self.host_port = ""

    def _publish(self, request, context):
        import grpc
        from google.pubsub_v1.types import PublishResponse

        self.requests.append(request)
        if request.topic not in self.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Resource not found (resource={request.topic}).")
        first = sum(len(r.messages) for r in self.requests[:-1])
        return PublishResponse(message_ids=[str(first + i + 1) for i in range(len(request.messages))])

    def __enter__(self):
        import grpc
        from google.pubsub_v1.types import PublishRequest, PublishResponse

        handler = grpc.method_handlers_generic_handler("google.pubsub.v1.Publisher", {
            "Publish": grpc.unary_unary_rpc_method_handler(
                self._publish, request_deserializer=PublishRequest.deserialize,
                response_serializer=PublishResponse.serialize,
            ),
        })
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self._server.add_generic_rpc_handlers((handler,))
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.host_port = f"127.0.0.1:{port}"
        return self

    def __exit__(self, *exc):
        self._server.stop(grace=None)
