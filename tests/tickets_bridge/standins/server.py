"""The server every stand-in runs on, and the faults it can be told to make.

A real threaded WSGI server (werkzeug) on an ephemeral 127.0.0.1 port, so the
adapters are driven over real sockets by a real ``httpx.Client``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

FaultMode = Literal["503", "429", "timeout", "timeout_after"]

# The longest a "timeout" holds its answer; the client gives up long before,
# and stopping the server releases every held request at once.
HOLD_LIMIT = 10.0


@dataclass
class Fault:
    mode: FaultMode
    method: str | None
    path: str | None
    times: int
    retry_after: str | None


@dataclass
class Faults:
    """Failures armed for the next matching requests.

    - ``503``: answer 503 without acting;
    - ``429``: answer 429 with ``Retry-After`` without acting;
    - ``timeout``: hold the request unanswered, without acting;
    - ``timeout_after``: act (create the ticket...), then hold the answer.
    """

    armed: list[Fault] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(
        self,
        mode: FaultMode,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        with self.lock:
            self.armed.append(Fault(mode, method, path, times, retry_after))

    def take(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.armed:
                if fault.method not in (None, request.method):
                    continue
                if fault.path not in (None, request.path):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.armed.remove(fault)
                return fault
        return None

    def hold(self) -> None:
        self.released.wait(HOLD_LIMIT)


class StandIn:
    """A help desk stand-in: subclasses answer ``handle(request)``."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.lock = threading.RLock()  # one request at a time touches the state
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def requests_to(self, method: str, path: str) -> int:
        return sum(1 for seen in self.seen if seen == (method, path))

    def __call__(self, environ, start_response):  # the WSGI app
        request = Request(environ)
        self.seen.append((request.method, request.path))
        fault = self.faults.take(request)
        if fault is None:
            response = self._answer(request)
        elif fault.mode == "503":
            response = Response("Service Unavailable", status=503)
        elif fault.mode == "429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            response = Response('{"error":"TooManyRequests"}', status=429, headers=headers)
        elif fault.mode == "timeout":
            self.faults.hold()
            response = Response("too late", status=504)
        else:
            response = self._answer(request)
            self.faults.hold()
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        with self.lock:
            return self.handle(request)


@contextmanager
def serving(app: StandIn) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1; yields its base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        app.faults.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )
