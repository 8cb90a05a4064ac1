"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

Status codes are chosen here, and only here, from the exception's type.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import IntegrityError, LedgerError, StoreError, StoreUnavailableError
from ledger.store.sql import unavailable

from ..domain.errors import DomainError

log = logging.getLogger("kakawari.api")

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error for the client: ``status``, a short ``title`` and a ``detail`` a member
    can understand; ``type`` is a stable slug clients can switch on."""

    def __init__(self, status: int, type_: str, title: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.type, self.title, self.detail, self.extra = (
            status, type_, title, detail, extra,
        )
        self.headers = headers


#: HTTP status of each recognition refusal code (service/domain/errors.py).
DOMAIN_STATUS: dict[str, int] = {
    "bad-login": 401,
    "passphrase-replaced": 401,
    "unknown-invitation": 404,
    **dict.fromkeys(("invitation-used", "invitation-revoked", "bad-recovery"), 409),
    **dict.fromkeys(("not-member", "not-admin", "not-verifier", "own-claim",
                     "not-co-contributor", "not-allowed", "not-managed"), 403),
    **dict.fromkeys(("level-too-low", "not-eligible", "not-proposer"), 403),
    **dict.fromkeys(("unknown-claim", "unknown-quest", "unknown-details"), 404),
    "unknown-proposal": 404,
    **dict.fromkeys(("voting-not-open", "voting-closed", "proposal-ended",
                     "proposal-has-votes"), 409),
    **dict.fromkeys(("nonce-reused", "already-member", "already-confirmed", "already-reviewed",
                     "claim-decided", "budget-exceeded", "policy-version", "last-admin",
                     "not-revoked", "invitation-exists", "badge-exists", "not-approved",
                     "quest-closed", "no-chain", "bad-invitation", "chain-refused"), 409),
    **dict.fromkeys(("own-quest", "not-organiser", "level-too-low"), 403),
    **dict.fromkeys(("unknown-perk", "unknown-redemption"), 404),
    **dict.fromkeys(("quest-not-open", "quest-full", "already-signed-up", "not-signed-up",
                     "quest-decided", "checkin-expired", "checkin-closed", "perk-expired",
                     "perk-out-of-stock", "perk-changed", "balance-too-low",
                     "redemption-decided"), 409),
    "details-erased": 410,
    **dict.fromkeys(("no-service-key", "busy"), 503),
    "details-taken": 409, "quota-exceeded": 409, "details-not-yours": 403,
    "bad-receipt": 422, "record-not-consented": 403, "not-cosigned": 409, "no-record": 404,
    "rate-limited": 429, **dict.fromkeys(("unavailable", "outcome-unknown"), 503),
}
"""Codes not listed are 400 (the request itself is wrong)."""


def _language(request: Request) -> str:
    header = request.headers.get("accept-language", "")
    return "ja" if header.lower().startswith("ja") else "en"


def problem_response(
    status: int, type_: str, title: str, detail: str, instance: str | None = None,
    headers: dict[str, str] | None = None, **extra: Any
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
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


RETRY_AFTER: dict[str, int] = {"busy": 2, "unavailable": 30, "outcome-unknown": 5,
                               "no-service-key": 60}
"""Seconds a client should wait before trying again (``Retry-After``), per code."""

_OS_FAULTS = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "read-only",
              errno.EIO: "unavailable"}
_FAULT_WORDS = {"full": "the disk is full", "read-only": "storage is read-only",
                "connection-lost": "the connection to the database was lost",
                "unavailable": "the database is not available"}


def _fault(reason: str, what: str) -> DomainError:
    """The client's view of a storage fault (the cause goes to the log, not to them)."""
    log.error("storage fault (%s): %s", reason, what)
    if reason == "busy":
        return DomainError("busy")
    return DomainError("unavailable", reason=_FAULT_WORDS.get(reason, reason))


def domain_problem(request: Request, exc: DomainError) -> JSONResponse:
    """The problem+json of a DomainError, in the request's language; ``Retry-After``
    for refusals that pass with time."""
    title, detail = exc.text(_language(request))
    wait = exc.params.get("retry_after", RETRY_AFTER.get(exc.code))
    headers = {"Retry-After": str(wait)} if wait is not None else None
    return problem_response(
        DOMAIN_STATUS.get(exc.code, 400), exc.code, title, detail, request.url.path, headers,
        code=exc.code,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.type, exc.title, exc.detail, request.url.path, exc.headers,
            **exc.extra
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(request, exc)

    @app.exception_handler(StoreUnavailableError)
    async def _unavailable(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        return domain_problem(request, _fault(exc.reason, str(exc)))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        reason = unavailable(exc)
        if reason is None:
            return await _unexpected(request, exc)
        return domain_problem(request, _fault(reason, str(exc.orig)))

    @app.exception_handler(OSError)
    async def _os(request: Request, exc: OSError) -> JSONResponse:
        reason = _OS_FAULTS.get(exc.errno or 0)
        if reason is None:
            return await _unexpected(request, exc)
        log.error("storage fault on %s %s: %s", request.method, request.url.path, exc)
        return domain_problem(request, _fault(reason, exc.strerror or str(exc)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "internal", "Something went wrong on our side",
            "The request was not completed; nothing was recorded. Please try again later.",
            request.url.path,
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
            request.url.path, dict(exc.headers) if exc.headers else None,
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
