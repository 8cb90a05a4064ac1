"""Security headers on every response: the web app, the API, ``/docs``, ``/redoc`` and
the static files alike.

- ``Content-Security-Policy``: the web app's (:data:`service.web.CSP`: only this
  server's own files, ``frame-ancestors 'none'``) on everything but the API
  documentation pages, whose generated HTML has an inline script and styles
  (:data:`DOCS_CSP`; still nothing from elsewhere, no framing);
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY`` (for browsers without CSP 3), ``Cross-Origin-Opener-Policy``
  and ``Cross-Origin-Resource-Policy: same-origin``;
- ``Strict-Transport-Security`` when the request came over TLS (``https``, as the
  reverse proxy reports it to ``uvicorn --proxy-headers``);
- ``Cache-Control: no-store`` on anything private: answers to a signed-in request,
  sign-in and token answers, private details.

No CORS headers are ever sent: a page of another origin can't read any answer.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..web import CSP

DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=63072000; includeSubDomains"
_PRIVATE_PARTS = ("/details/", "/accounts")


def private(path: str, headers: dict[bytes, bytes]) -> bool:
    """Whether the answer to this request must not be stored by any cache."""
    return (b"authorization" in headers or path.startswith("/v1/auth/")
            or any(part in path for part in _PRIVATE_PARTS))


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above (a header the route set wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        request_headers = dict(scope.get("headers") or ())
        docs = path == "/docs" or path.startswith(("/docs/", "/redoc"))
        no_store = private(path, request_headers)
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
                if tls:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if no_store:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
