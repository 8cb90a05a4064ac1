"""Witnessing between partner regions: C2SP ``tlog-witness`` on both sides.

The witness side (:class:`Witness`): ``POST /witness/add-checkpoint`` checks a partner
log's checkpoint with :func:`ledger.witness.check_request` and, when it extends the
latest one cosigned for that origin, records it and answers with a cosignature
(:mod:`ledger.cosignature`) from every local region whose witness trusts that log. The
record is a compare-and-swap in the database (``svc_witness_state``): the row is
updated only ``WHERE size = <the size checked> AND root = <the root checked>`` (or
inserted when there was none), in the transaction that answers; if another request
changed it in between, nothing is written and the answer is 409 with the size now
stored. So the state survives restarts, is the same for every worker process, and never
moves backwards; rows are never deleted (a log is never forgotten).

The log side (:class:`Submitter`): for each local region, each partner witness
(``svc_partner_witnesses``) is sent the latest checkpoint with a consistency proof from
the size the witness last cosigned. A 409 tells the size the witness has: the request
is made again from there (when that size is not above the log's own, which would mean
the witness saw a tree this log never had: reported, not retried). Other failures are
retried a bounded number of times with exponential backoff. Returned cosignatures are
verified with the witness's key and stored (``svc_cosignatures``); the checkpoint at
``/logs/<region>/checkpoint`` carries them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from ledger.cosignature import (
    CosignerVerifier,
    cosigned_by,
    parse_cosigner_vkey,
    signature_lines,
)
from ledger.entry import origin_for
from ledger.errors import LedgerError, NoteError
from ledger.note import Verifier, b64decode_strict, b64encode, parse_vkey
from ledger.witness import Refusal, WitnessState, check_request, format_request, parse_request

from .domain import tables as t
from .regions import Regions

__all__ = ["Submitter", "Witness", "add_partner_witness", "cosignature_lines", "trust_log"]

_log = logging.getLogger("kakawari.witness")

Clock = Callable[[], int]


# -- configuration ------------------------------------------------------------------------


def trust_log(engine: Engine, region: str, vkey: str, now: int) -> str:
    """Let ``region``'s witness cosign the log whose checkpoint key is ``vkey`` (its key
    name is the log's origin). Returns the origin. Idempotent; a different key for an
    origin already trusted replaces it."""
    verifier = parse_vkey(vkey)
    with engine.begin() as conn:
        row = conn.execute(select(t.witness_logs.c.vkey).where(
            t.witness_logs.c.region == region, t.witness_logs.c.origin == verifier.name)).first()
        if row is None:
            conn.execute(insert(t.witness_logs).values(region=region, origin=verifier.name,
                                                       vkey=vkey, added_at=now))
        elif row[0] != vkey:
            conn.execute(update(t.witness_logs).where(
                t.witness_logs.c.region == region, t.witness_logs.c.origin == verifier.name
            ).values(vkey=vkey))
    return verifier.name


def add_partner_witness(engine: Engine, region: str, vkey: str, url: str, now: int) -> str:
    """Have ``region``'s log submit to the witness ``vkey`` (a cosigner vkey) at ``url``
    (its submission prefix). Returns the witness name."""
    verifier = parse_cosigner_vkey(vkey)
    if not url.startswith(("http://", "https://")):
        raise NoteError(f"a witness URL is http:// or https://, not {url!r:.80}")
    with engine.begin() as conn:
        c = t.partner_witnesses.c
        row = conn.execute(select(c.vkey).where(c.region == region,
                                                c.name == verifier.name)).first()
        if row is None:
            conn.execute(insert(t.partner_witnesses).values(
                region=region, name=verifier.name, vkey=vkey, url=url, added_at=now))
        else:
            conn.execute(update(t.partner_witnesses).where(
                c.region == region, c.name == verifier.name).values(vkey=vkey, url=url))
    return verifier.name


def cosignature_lines(engine: Engine, region: str, size: int) -> list[str]:
    """The stored cosignature lines of ``region``'s checkpoint at ``size``."""
    c = t.cosignatures.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.line).where(c.region == region, c.size == size)
                            .order_by(c.witness)).all()
    return [row[0] for row in rows]


# -- the witness --------------------------------------------------------------------------


class Witness:
    """This server's witness: the regions' witness keys over one shared state."""

    def __init__(self, regions: Regions, engine: Engine, clock: Clock | None = None) -> None:
        self.regions, self.engine = regions, engine
        self.clock: Clock = clock or (lambda: int(time.time()))

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature lines for ``body`` (an add-checkpoint request), or
        :class:`Refusal` with the spec's status."""
        req = parse_request(body)
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.witness_logs.c.region, t.witness_logs.c.origin,
                                       t.witness_logs.c.vkey)).all()
        trusted: dict[str, list[Verifier]] = {}
        witnesses: dict[str, list[str]] = {}
        for region, origin, vkey in rows:
            try:
                trusted.setdefault(origin, []).append(parse_vkey(vkey))
            except NoteError:
                continue
            witnesses.setdefault(origin, []).append(region)
        state = self._state(req_origin(req.note))
        cp = check_request(req, trusted, {} if state is None else {cp_origin(req.note): state})
        body_text = cp.body()
        now = self.clock()
        lines = "".join(self.regions.witness_cosigner(r).cosign(body_text, now)
                        for r in sorted(set(witnesses[cp.origin])))
        self._swap(cp.origin, state, cp.size, cp.root, req.note, lines)
        return lines

    def _state(self, origin: str | None) -> WitnessState | None:
        if origin is None:
            return None
        c = t.witness_state.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.size, c.root).where(c.origin == origin)).first()
        if row is None:
            return None
        root = b64decode_strict(row[1])
        assert root is not None
        return WitnessState(int(row[0]), root)

    def state(self, origin: str) -> WitnessState | None:
        """The latest checkpoint cosigned for ``origin`` (None: never)."""
        return self._state(origin)

    def checkpoint_by_hash(self, origin_hash: str) -> str | None:
        """tlog-witness monitor retrieval: the latest checkpoint cosigned for the log
        whose origin's SHA-256 is ``origin_hash`` (lowercase hex), with the log's
        signatures the witness verified and the cosignatures it returned; None if none.
        """
        import hashlib

        c = t.witness_state.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.origin, c.note, c.cosignatures)).all()
        for origin, note, lines in rows:
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                return _log_signed(str(note), str(origin)) + str(lines)
        return None

    def _swap(self, origin: str, old: WitnessState | None, size: int, root: bytes,
              note: str, lines: str = "") -> None:
        """Compare-and-swap the stored state from ``old`` to ``(size, root)`` with the
        cosignature ``lines`` returned for it; 409 with the size now stored if it is no
        longer ``old``."""
        c = t.witness_state.c
        values = {"size": size, "root": b64encode(root), "note": note, "cosignatures": lines,
                  "updated_at": self.clock()}
        try:
            with self.engine.begin() as conn:
                if old is None:
                    conn.execute(insert(t.witness_state).values(origin=origin, **values))
                    return
                done = conn.execute(update(t.witness_state).where(
                    c.origin == origin, c.size == old.size, c.root == b64encode(old.root),
                    c.size <= size).values(**values))
                if done.rowcount == 1:
                    return
        except DbIntegrityError:
            pass  # another request inserted the first state meanwhile
        now = self._state(origin)
        known = 0 if now is None else now.size
        raise Refusal(409, f"the latest checkpoint cosigned for {origin} has size {known}",
                      size=known)


def _log_signed(note: str, origin: str) -> str:
    """``note`` with only the signature lines of the log's own key name."""
    split = note.rindex("\n\n")
    lines = [line for line in note[split + 2 :].splitlines(keepends=True)
             if line.startswith(f"\u2014 {origin} ")]
    return note[: split + 2] + "".join(lines)


def cp_origin(note: str) -> str:
    return note.split("\n", 1)[0]


def req_origin(note: str) -> str | None:
    origin = cp_origin(note)
    return origin or None


# -- the log side ------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerWitness:
    region: str
    name: str
    verifier: CosignerVerifier
    url: str


class Submitter:
    """Sends each local log's new checkpoints to its partner witnesses, in a thread.

    :meth:`run_once` does one round (every region, every witness) and is what the
    thread repeats every ``interval`` seconds; tests call it directly.
    """

    def __init__(self, regions: Regions, engine: Engine, *, interval: float = 1.0,
                 attempts: int = 5, backoff: float = 0.5, timeout: float = 10.0) -> None:
        self.regions, self.engine = regions, engine
        self.interval, self.attempts, self.backoff = interval, attempts, backoff
        self._client = httpx.Client(timeout=timeout)
        self._known: dict[tuple[str, str], int] = {}  # (region, witness) -> size it has
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: dict[tuple[str, str], str] = {}

    def partners(self) -> list[PartnerWitness]:
        c = t.partner_witnesses.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.region, c.name, c.vkey, c.url)
                                .order_by(c.region, c.name)).all()
        out = []
        for region, name, vkey, url in rows:
            try:
                out.append(PartnerWitness(region, name, parse_cosigner_vkey(vkey), url))
            except NoteError:
                _log.warning("witness %s of %s has a malformed key; skipped", name, region)
        return out

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kakawari-witness-submit",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep witnessing whatever one round hit
                _log.exception("witness submission round failed")
            self._stop.wait(self.interval)

    def run_once(self) -> int:
        """One round; returns the number of new cosignatures stored."""
        stored = 0
        for partner in self.partners():
            if self._stop.is_set():
                break
            stored += self.submit(partner)
        return stored

    def _cosigned_size(self, partner: PartnerWitness) -> int:
        c = t.cosignatures.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.size).where(c.region == partner.region,
                                                    c.witness == partner.name)
                               .order_by(c.size.desc()).limit(1)).first()
        return 0 if row is None else int(row[0])

    def submit(self, partner: PartnerWitness) -> int:
        """Bring ``partner`` up to the log's latest checkpoint; 1 if a cosignature was
        stored, else 0 (nothing new, or it failed: see :attr:`errors`)."""
        origin = origin_for(partner.region)
        store = self.regions.store
        cp = store.latest_checkpoint(origin)
        key = (partner.region, partner.name)
        if cp is None:
            return 0
        old = self._known.get(key)
        if old is None:
            old = self._cosigned_size(partner)
        if old == cp.size and self._cosigned_size(partner) == cp.size:
            return 0
        delay = self.backoff
        for attempt in range(self.attempts):
            try:
                proof = store.consistency_proof(origin, old, cp.size) if old else []
                status, text = self._post(partner, format_request(old, proof, cp.note))
            except (httpx.HTTPError, LedgerError) as exc:
                status, text = 0, str(exc)
            if status == 200:
                return self._store(partner, cp.size, cp.note, text)
            if status == 409:
                told = _told_size(text)
                if told is None or told > cp.size:
                    self._fail(key, f"the witness has size {told!r}, beyond this log's "
                               f"{cp.size}: it saw another tree (fork?)")
                    return 0
                self._known[key] = old = told
                continue  # resend at once from the size it has
            self._fail(key, f"HTTP {status}: {text.strip()[:200]}")
            if status in (400, 403, 404, 422) or attempt == self.attempts - 1:
                return 0  # refused for what it is: retrying would not change that
            if self._stop.wait(delay):
                return 0
            delay *= 2
        return 0

    def _fail(self, key: tuple[str, str], message: str) -> None:
        self.errors[key] = message
        _log.warning("witness %s for %s: %s", key[1], key[0], message)

    def _post(self, partner: PartnerWitness, body: bytes) -> tuple[int, str]:
        url = partner.url.rstrip("/") + "/add-checkpoint"
        r = self._client.post(url, content=body)
        return r.status_code, r.text

    def _store(self, partner: PartnerWitness, size: int, note: str, text: str) -> int:
        key = (partner.region, partner.name)
        try:
            lines = signature_lines(text)
            mine = [line for line in lines
                    if cosigned_by(note + line, [partner.verifier])]
        except NoteError as exc:
            self._fail(key, f"its answer is not a valid cosignature: {exc}")
            return 0
        if not mine:
            self._fail(key, "its answer holds no cosignature by its key")
            return 0
        ts = cosigned_by(note + mine[0], [partner.verifier])[partner.verifier]
        with self.engine.begin() as conn:
            exists = conn.execute(select(t.cosignatures.c.size).where(
                t.cosignatures.c.region == partner.region,
                t.cosignatures.c.witness == partner.name,
                t.cosignatures.c.size == size)).first()
            if exists is None:
                conn.execute(insert(t.cosignatures).values(
                    region=partner.region, witness=partner.name, size=size, line=mine[0],
                    timestamp=ts))
        self._known[key] = size
        self.errors.pop(key, None)
        return 1


def _told_size(text: str) -> int | None:
    line = text.rstrip("\n")
    return int(line) if line.isdigit() and (line == "0" or not line.startswith("0")) else None
