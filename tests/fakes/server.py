"""A recording loopback HTTP server: routes by method and path pattern.

A fake subclasses :class:`FakeService`, registers handlers with :meth:`route`,
and every request is recorded as a :class:`Recorded` before it is handled. An
unknown route answers 404 and is recorded too, so a test that sees a 404 in
``requests`` knows a client called something the fake does not implement.
"""
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    raw: bytes
    body: Optional[object] = None  # parsed JSON when the body was JSON
    status: int = 0
    match: Dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded], Tuple[int, object]]


class FakeService:
    """Base of the fakes: start with ``with Fake() as fake:``; ``fake.url`` is its address."""

    def __init__(self):
        self.requests: List[Recorded] = []
        self._routes: List[Tuple[str, "re.Pattern", Handler]] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- routing -------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` on paths matching ``pattern`` (a full-match regex) with ``handler``."""
        self._routes.append((method, re.compile(pattern), handler))

    def calls(self, method: str, path_pattern: str) -> List[Recorded]:
        """Recorded requests with this method whose path matches ``path_pattern``."""
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def _dispatch(self, request: Recorded) -> Tuple[int, object]:
        for method, pattern, handler in self._routes:
            found = pattern.fullmatch(request.path)
            if method == request.method and found:
                request.match = found.groupdict()
                return handler(request)
        return 404, {"error": {"code": 404, "message": f"fake has no route {request.method} {request.path}"}}

    # -- lifecycle -----------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host_port(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self):
        service = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = None
                if raw and "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw)
                # The path as Google's front ends route it: percent-decoded (the REST transport on
                # google-api-core 2.44, the tfx-1.21 track, sends models/ID%40VERSION; 2.30 sends @).
                request = Recorded(self.command, unquote(parts.path), parse_qs(parts.query), dict(self.headers), raw,
                                   body)
                with service._lock:
                    service.requests.append(request)
                    status, payload = service._dispatch(request)
                request.status = status
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if isinstance(payload, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def multipart_fields(request: Recorded) -> Dict[str, bytes]:
    """The parts of a multipart/form-data body, by field name."""
    from email.parser import BytesParser
    from email.policy import HTTP

    content_type = request.headers.get("Content-Type") or request.headers.get("content-type") or ""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.raw)
    fields = {}
    for part in message.iter_parts():
        fields[part.get_param("name", header="content-disposition")] = part.get_payload(decode=True)
    return fields
