"""The web app: static files in ``service/static`` served at ``/`` (page) and
``/static`` (modules, styles, icons). Plain ES modules, no build step, no outside
request: everything the browser loads comes from this directory.

Mounted by :func:`mount_web` at the end of the app factory. The page itself is a
route (not a catch-all mount), so API routes added in any order keep working and the
OpenAPI document lists only the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"

#: The page may load only what this server serves (no CDN, no outside request).
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def mount_web(app: FastAPI) -> None:
    """Serve the web app: ``GET /`` the page, ``/static/*`` its files."""
    if not (STATIC / "index.html").is_file():
        return
    index = STATIC / "index.html"

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return FileResponse(index, media_type="text/html; charset=utf-8", headers={
            "Content-Security-Policy": CSP, "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        })

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
