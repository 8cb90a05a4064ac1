"""The application factory. Settings, store and keys are built here, per app — never
at import time — so tests can run several apps side by side."""

from __future__ import annotations

import base64
import itertools
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.canonical import MAX_DEPTH
from ledger.entry import origin_for
from ledger.errors import EntryError
from ledger.store import LogStore

from ..accounts import Accounts
from ..auth import Auth
from ..config import Settings, load_settings
from ..domain import make_domain
from ..keyring import PASSPHRASE_FILE, Keyring, KeyringError, passphrase
from ..ratelimit import RateLimits
from ..regions import Regions
from ..web import mount_web
from . import (
    account_routes,
    audit_routes,
    auth_routes,
    certificate_routes,
    governance_routes,
    notice_routes,
    problems,
    quest_routes,
    routes,
    tile_routes,
    web_routes,
    witness_routes,
)
from .deps import Services
from .observe import Observe
from .problems import PROBLEM_JSON, Problem, log
from .schemas import (
    PROBLEM_SCHEMA,
    ConsistencyProof,
    Entries,
    Health,
    InclusionProof,
    RegionListItem,
)
from .security import SecurityHeaders

MAX_PAGE = 1000

_log = logging.getLogger("kakawari")


def get_regions(request: Request) -> Regions:
    regions: Regions = request.app.state.regions
    return regions


RegionsDep = Annotated[Regions, Depends(get_regions)]


def checked_region(region: str, regions: Regions) -> str:
    try:
        origin = origin_for(region)
    except EntryError:
        raise Problem(
            404, "no-region", "No such region", f"There is no region {region!r}."
        ) from None
    if origin not in regions.store.logs():
        raise Problem(404, "no-region", "No such region", f"There is no region {region!r}.")
    return origin


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


log_router = APIRouter(prefix="/v1", tags=["log"])


@log_router.get("/health", response_model=Health)
def health(request: Request, regions: RegionsDep) -> dict[str, Any]:
    """Liveness, the state of every log (``refused`` lists logs that failed their
    integrity check on open), of storage (``unhealthy`` when the database or the data
    directory takes no write: read-only, full, locked elsewhere, gone) and of anchoring:
    each region's last run, its anchor and the error of a run that failed."""
    from ..health import storage

    svc: Services = request.app.state.services
    state = storage(regions.store.engine, svc.settings.data_dir,  # type: ignore[attr-defined]
                    regions.clock())
    try:
        refused = {o: str(e) for o, e in regions.store.refused().items()}
        count = len(regions.store.logs())
        anchoring = _anchoring(svc)
    except Exception:  # the database is gone: storage says why
        refused, count, anchoring = {}, 0, None
    witnessing = _witnessing(request.app)
    failing = [r for r, run in ((anchoring or {}).get("regions") or {}).items()
               if run["outcome"] == "failed"]
    status = ("degraded" if refused or state["files"] == "low" or failing
              or (witnessing and witnessing["failing"]) else "ok")
    if state["database"] != "ok" or state["files"] not in ("ok", "low"):
        status = "unhealthy"
    return {"status": status, "regions": count, "refused": refused, "storage": state,
            "anchoring": anchoring, "witnessing": witnessing}


def _witnessing(app: FastAPI) -> dict[str, Any] | None:
    """The partner witnesses this server's checkpoints are sent to, and the error of
    each that failed its last round (None when no submitter runs)."""
    submitter = getattr(app.state, "submitter", None)
    if submitter is None:
        return None
    errors = dict(submitter.errors)
    failing = [{"region": region, "witness": name, "error": error}
               for (region, name), error in sorted(errors.items())]
    return {"interval": submitter.interval, "failing": failing}


def _anchoring(svc: Services) -> dict[str, Any] | None:
    from ..scheduler import anchor_runs

    settings = svc.settings
    runs = anchor_runs(svc.engine)
    if not settings.chain_rpc_url and not runs:
        return None
    out: dict[str, Any] = {}
    for region, run in sorted(runs.items()):
        state = run.to_json()
        origin = f"kakawari/{region}"
        if run.size is not None and origin in svc.regions.store.logs():
            state["behind"] = svc.regions.store.log_info(origin).size - run.size
        out[region] = state
    return {"scheduled": bool(settings.chain_rpc_url) and settings.anchor_interval > 0,
            "interval": settings.anchor_interval, "minEntries": settings.anchor_min_entries,
            "regions": out}


metrics_router = APIRouter(tags=["operations"])


@metrics_router.get("/metrics", response_class=PlainTextResponse,
                    responses={200: {"content": {"text/plain": {}},
                                     "description": "Prometheus text exposition"}})
def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, the append queue, log sizes, anchoring
    (docs/operations.md lists them and what each alert means)."""
    from ..metrics import exposition

    body, content_type = exposition(request.app.state.services)
    return Response(body, media_type=content_type)


@log_router.get("/regions", response_model=list[RegionListItem])
def list_regions(regions: RegionsDep) -> list[dict[str, Any]]:
    """Every region with its log size."""
    out: list[dict[str, Any]] = []
    for origin in regions.store.logs():
        region = origin.removeprefix("kakawari/")
        if origin in regions.store.refused():
            out.append({"region": region, "status": "refused"})
            continue
        facts = regions.facts(region)
        info = regions.store.log_info(origin)
        out.append({"region": region, "name": facts.name, "size": info.size,
                    "chainId": facts.chain_id, "vkey": info.vkey, "status": "ok"})
    return out


@log_router.get(
    "/regions/{region}/checkpoint",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "The signed note"}},
)
def get_checkpoint(region: str, regions: RegionsDep) -> PlainTextResponse:
    """The region's latest signed checkpoint: a C2SP signed note (text/plain)."""
    origin = checked_region(region, regions)
    cp = regions.store.latest_checkpoint(origin)
    if cp is None:
        raise Problem(404, "no-checkpoint", "No checkpoint yet", "This log is empty.")
    return PlainTextResponse(cp.note, media_type="text/plain; charset=utf-8")


@log_router.get("/regions/{region}/entries", response_model=Entries)
def get_entries(
    region: str,
    regions: RegionsDep,
    start: Annotated[int, Query(ge=0, le=2**53 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """Entries ``start .. start+limit-1`` in order, each as its canonical JSON text."""
    origin = checked_region(region, regions)
    rows = regions.store.entries(origin, start, limit)
    size = regions.store.log_info(origin).size
    nxt = start + len(rows) if start + len(rows) < size else None
    return {"size": size, "start": start, "next": nxt,
            "entries": [{"seq": seq, "entry": data.decode()} for seq, data in rows]}


def _size_or_latest(store: LogStore, origin: str, size: int | None) -> int:
    latest = store.log_info(origin).size
    if size is None:
        return latest
    if size > latest:
        raise Problem(400, "beyond-log", "Beyond the log",
                      f"The log has {latest} entries; size {size} does not exist yet.")
    return size


@log_router.get("/regions/{region}/proofs/inclusion", response_model=InclusionProof)
def inclusion(
    region: str,
    regions: RegionsDep,
    index: Annotated[int, Query(ge=0, le=2**53 - 1)],
    size: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
) -> dict[str, Any]:
    """RFC 9162 §2.1.3 inclusion proof of entry ``index`` in the tree of ``size``
    (default: the latest checkpoint). Hashes are base64, as in checkpoints."""
    origin = checked_region(region, regions)
    size = _size_or_latest(regions.store, origin, size)
    if index >= size:
        raise Problem(400, "bad-index", "No such entry",
                      f"Entry {index} is not in a tree of {size} entries.")
    proof = regions.store.inclusion_proof(origin, index, size)
    return {"index": index, "size": size, "leafHash": _b64(regions.store.leaf_hash(origin, index)),
            "root": _b64(regions.store.root(origin, size)), "proof": [_b64(p) for p in proof]}


@log_router.get("/regions/{region}/proofs/consistency", response_model=ConsistencyProof)
def consistency(
    region: str,
    regions: RegionsDep,
    first: Annotated[int, Query(ge=0, le=2**53 - 1)],
    second: Annotated[int | None, Query(ge=0, le=2**53 - 1)] = None,
) -> dict[str, Any]:
    """RFC 9162 §2.1.4 consistency proof from the tree of ``first`` entries to that of
    ``second`` (default: the latest checkpoint)."""
    origin = checked_region(region, regions)
    second = _size_or_latest(regions.store, origin, second)
    if first > second:
        raise Problem(400, "bad-range", "Sizes out of order",
                      f"first ({first}) must not be larger than second ({second}).")
    proof = regions.store.consistency_proof(origin, first, second)
    return {"first": first, "second": second,
            "firstRoot": _b64(regions.store.root(origin, first)),
            "secondRoot": _b64(regions.store.root(origin, second)),
            "proof": [_b64(p) for p in proof]}


MAX_BODY_DEPTH = MAX_DEPTH + 8
"""Deepest JSON nesting of a request body: the canonical limit plus the envelope
(``{"message": …, "signature": …}`` and the like)."""

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1


def json_depth(body: bytes) -> int:
    """How deep ``body``'s arrays and objects nest, strings left out, found without
    parsing it: Python's JSON parser recurses in C and, once a library raises the
    recursion limit (py-evm sets 12,288), a body of ``[`` × 100,000 crashed the whole
    process instead of failing one request."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _BRACKETS)
    return max(itertools.accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def _is_json(scope: Scope) -> bool:
    """Would FastAPI parse this body as JSON (no content type, or a JSON one)?"""
    value: bytes | None = dict(scope.get("headers") or ()).get(b"content-type")
    if value is None:
        return True
    kind = value.split(b";", 1)[0].strip().lower()
    return kind == b"application/json" or kind.endswith(b"+json")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 problem+json, whether the
    client declares the length or streams the body (pure ASGI, so nothing is read
    past the limit), and JSON bodies nested deeper than :data:`MAX_BODY_DEPTH` with 400
    before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        # Read the body up to the limit before the app sees it, then replay it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        if _is_json(scope) and json_depth(b"".join(chunks)) > MAX_BODY_DEPTH:
            response = problems.problem_response(
                400, "too-deep", "Request nested too deeply",
                f"JSON bodies may nest at most {MAX_BODY_DEPTH} arrays and objects deep.",
                scope.get("path"))
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problems.problem_response(
            413, "too-large", "Request too large",
            f"Request bodies may be at most {self.limit} bytes.", scope.get("path"))
        await response(scope, receive, send)


class KickMailer:
    """After a write request succeeds, wake the mailer (new entries may mean notices)."""

    def __init__(self, app: ASGIApp, services: Any) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        mailer = getattr(self.services(), "mailer", None)
        if mailer is not None and 200 <= status < 300:
            mailer.kick()


def _mailer(settings: Settings, services: Services) -> Any:
    """A mailer for notices when SMTP is configured (not started), else None."""
    if settings.smtp_host is None:
        return None
    from ..mail import Mailer

    def region_name(region: str) -> str:
        return services.regions.facts(region).name

    return Mailer(settings, services.engine, region_name)


def _keyring(settings: Settings) -> Keyring | None:
    """The keyring when a key-encryption secret is configured (never prompts)."""
    if settings.passphrase is None and not (settings.data_dir / PASSPHRASE_FILE).exists():
        return None
    try:
        return Keyring(settings, passphrase(settings))
    except KeyringError as exc:
        log.warning("service keys unavailable: %s", exc)
        return None


def services_for(settings: Settings, regions: Regions) -> Services:
    domain = make_domain(regions, settings)
    engine = regions.store.engine  # type: ignore[attr-defined]
    return Services(
        settings, regions, domain, Auth(engine, settings.session_ttl, regions.clock),
        Accounts(domain, engine, regions.keyring, settings.scrypt_n),
        RateLimits(engine, regions.clock),
    )


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    for code, what in [
        (400, "The request is not valid (RFC 9457 problem)"),
        (401, "Sign-in needed or refused"),
        (403, "A rule refuses this signer"),
        (404, "No such region, member, claim or quest"),
        (409, "A rule refuses this now (already done, budget, state)"),
        (410, "Erased"),
        (413, "Request too large"),
        (429, "Too many attempts: wait as long as Retry-After says"),
        (422, "The request does not match the schema"),
        (500, "Unexpected failure on our side; nothing was recorded"),
        (503, "Service keys unavailable, the log failed its integrity check, or busy"),
    ]
}
"""Every error response, on every operation: problem+json (component ``Problem``)."""


def _with_problem_schema(app: FastAPI) -> None:
    """Add the ``Problem`` component that :data:`PROBLEM_RESPONSES` refer to, and the
    links from collections to their items (:mod:`.links`)."""
    from .links import add_links

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            add_links(doc)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _configured_chain(settings: Settings) -> tuple[Any, str] | None:
    """The configured chain for minting badges, or None. A chain that is configured but
    unusable is reported and left out: the rest of the service runs without it."""
    from ledger.errors import ChainError

    from ..chain import badge_chain, development_note

    try:
        found = badge_chain(settings)
    except ChainError as exc:
        _log.warning("kakawari: chain configured but not usable, badges are off: %s", exc)
        return None
    if found is not None:
        client, badge = found
        note = development_note(client.chain_id)
        _log.warning("kakawari: minting badges on chain %s at %s%s", client.chain_id, badge,
                     f" ({note})" if note else "")
    return found


def _scheduler(settings: Settings, svc: Services) -> Any:
    """Start anchoring on a schedule when a chain is configured (service/scheduler.py)."""
    from ..scheduler import scheduler_for

    scheduler = scheduler_for(settings, svc.regions, svc.domain)
    if scheduler is not None:
        _log.warning("kakawari: anchoring every %d s (at least %d new entries)",
                     settings.anchor_interval, settings.anchor_min_entries)
        scheduler.start()
    return scheduler


def create_app(settings: Settings | None = None, regions: Regions | None = None,
               chain: tuple[Any, str] | None = None) -> FastAPI:
    """Build the app. With no ``regions``, opens the database of ``settings`` (both
    schemas migrated) and, when a key-encryption secret is configured, the keyring:
    without it the service is read-only for service-written entries."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = None
        scheduler = None
        if regions is None:
            from ..db import open_database

            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            owned = open_database(settings.db_url)
            opened = Regions(owned, _keyring(settings))
            app.state.regions = opened
            app.state.services = services_for(settings, opened)
            app.state.services.chain = chain if chain is not None else _configured_chain(settings)
            scheduler = _scheduler(settings, app.state.services)
        svc: Services = app.state.services
        svc.mailer = _mailer(settings, svc)
        if svc.mailer is not None:
            svc.mailer.start()
        submitter = None
        if owned is not None and settings.witness_interval > 0:
            from ..witness import Submitter

            submitter = Submitter(app.state.regions, owned.engine,
                                  interval=settings.witness_interval)
            submitter.start()
        app.state.submitter = submitter
        try:
            yield
        finally:
            if submitter is not None:
                submitter.stop()
            if svc.mailer is not None:
                svc.mailer.stop()
            if scheduler is not None:
                scheduler.stop()
            if owned is not None:
                owned.close()

    # the API documentation pages (/docs, /redoc) with their scripts served from this
    # server, not a CDN: the service makes and causes no outside request
    app = FastAPIOffline(
        title="Kakawari",
        version="0.1.0",
        description="Contribution ledger and recognition service for regional communities. "
        "Every action is an EIP-712 message signed by the member (see GET /v1/typed-data) "
        "and appended to the region's verifiable log; errors are RFC 9457 problem+json.",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    if regions is not None:  # usable without the lifespan (tests, ASGI test transports)
        app.state.regions = regions
        app.state.services = services_for(settings, regions)
        app.state.services.chain = chain
    problems.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(KickMailer, services=lambda: getattr(app.state, "services", None))
    app.add_middleware(SecurityHeaders)  # around BodyLimit: its refusals get them too
    app.add_middleware(Observe)  # outermost: request ids, metrics, access log
    app.include_router(log_router)
    app.include_router(auth_routes.router)
    app.include_router(routes.router)
    app.include_router(quest_routes.router)
    app.include_router(governance_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(notice_routes.router)
    app.include_router(certificate_routes.router)
    app.include_router(tile_routes.router)
    app.include_router(witness_routes.router)
    app.include_router(web_routes.router)
    app.include_router(account_routes.router)
    app.include_router(metrics_router)
    mount_web(app)  # the web app at / and /static (service/web.py)
    _with_problem_schema(app)
    return app
