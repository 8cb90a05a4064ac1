"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

Status codes are chosen here, and only here, from the exception's type.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import IntegrityError, LedgerError, StoreError

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error for the client: ``status``, a short ``title`` and a ``detail`` a member
    can understand; ``type`` is a stable slug clients can switch on."""

    def __init__(self, status: int, type_: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.type, self.title, self.detail, self.extra = (
            status, type_, title, detail, extra,
        )


def problem_response(
    status: int, type_: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:kakawari:problem:{type_}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.type, exc.title, exc.detail, request.url.path, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        return problem_response(
            422, "invalid-request", "The request is not valid",
            f"{first['field']}: {first['message']}", request.url.path, errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}.get(
            exc.status_code, "Request refused"
        )
        return problem_response(
            exc.status_code, "http-" + str(exc.status_code), title, str(exc.detail),
            request.url.path,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        return problem_response(
            503, "log-integrity", "This region's log failed its integrity check",
            "The operator has been told; the log is not served until it is repaired. "
            f"({exc})", request.url.path,
        )

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        return problem_response(
            400, "store-refused", "The log refused the request", str(exc), request.url.path
        )

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError) -> JSONResponse:
        return problem_response(
            400, "ledger-refused", "The request was refused", str(exc), request.url.path
        )
