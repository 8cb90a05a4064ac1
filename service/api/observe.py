"""Every request: its id (``X-Request-ID``, see service/logs.py), its metrics
(service/metrics.py) and one access line in the log (``kakawari.access``)."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import REQUEST_ID, request_id
from ..metrics import WRITES_IN_PROGRESS, observe_request

_access = logging.getLogger("kakawari.access")
_READS = ("GET", "HEAD", "OPTIONS")


def _route(scope: Scope) -> str:
    """The route template that answered (``/v1/regions/{region}/claims``), never the
    raw path: a label per path would grow without bound."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static"
    return "unmatched"


class Observe:
    """Pure ASGI, outermost: sees every answer, the body limit's refusals included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        raw = headers.get(b"x-request-id")
        rid = request_id(raw.decode("latin-1") if raw is not None else None)
        token = REQUEST_ID.set(rid)
        method = str(scope.get("method", ""))
        writing = method not in _READS
        status = [500]
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", rid.encode())]}
            await send(message)

        if writing:
            WRITES_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if writing:
                WRITES_IN_PROGRESS.dec()
            seconds = time.perf_counter() - start
            route = _route(scope)
            observe_request(method, route, status[0], seconds)
            _access.info("%s %s %d", method, scope.get("path"), status[0], extra={
                "method": method, "path": scope.get("path"), "route": route,
                "status": status[0], "durationMs": round(seconds * 1000, 1),
                "client": (scope.get("client") or (None,))[0]})
            REQUEST_ID.reset(token)
