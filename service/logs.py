"""Structured logs: one JSON object per line, each carrying the request id.

The request id is the client's ``X-Request-ID`` header when it is a sane token (1-128
characters of letters, digits and ``._:-``), else a new random one; it is sent back in
the response's ``X-Request-ID`` and set on every line logged while the request is
answered (threads the route runs in included: contextvars follow them). ``kakawari
serve`` installs :data:`LOG_CONFIG` (``KAKAWARI_LOG_FORMAT=text`` for plain lines).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kakawari_request_id", default=None)
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# LogRecord attributes that are not extra fields given by the caller
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id(header: str | None) -> str:
    """The id of a request: the client's header value if sane, else a new one."""
    if header is not None and _TOKEN.fullmatch(header):
        return header
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "requestId", ...extra fields}``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = REQUEST_ID.get()
        if rid is not None:
            out["requestId"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key != "color_message":
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = REQUEST_ID.get()
        return f"{line} [request {rid}]" if rid else line


def log_config(fmt: str) -> dict[str, Any]:
    """The ``logging.config`` dictionary ``kakawari serve`` hands to uvicorn (each
    worker applies it): everything to stderr in ``fmt`` (``json`` or ``text``);
    uvicorn's own access lines off (the service logs each request itself, with its id
    and duration, as ``kakawari.access``)."""
    formatter = ({"()": "service.logs.JsonFormatter"} if fmt == "json" else
                 {"()": "service.logs.TextFormatter",
                  "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
