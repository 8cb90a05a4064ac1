"""Private details of claims and quests, kept off the log.

A claim's ``detailsHash`` is ``SHA-256(salt || JCS(details))``: ``salt`` 16-64 random
bytes chosen by the client, ``details`` a JSON object (``{"text": ..., "files":
[{"name", "type", "data" (base64)}]}``) canonicalised with RFC 8785. The log holds only
the hash; the salt keeps it from being guessed from a short text. The details sit in
``<data dir>/details/<region>/<hash>.json`` (mode 0600); erasing removes the file, the
``Erasure`` entry records that it happened, and the log still verifies.

Details belong to whoever stored them (``svc_details.owner``): only their owner may
store them again, a claim may only name details its own contributor stored, and they
are read by the owner, the people of the owner's claim, verifiers and admins. Each
member may keep at most :attr:`DetailsLimits.per_member_bytes`, of which at most
:attr:`DetailsLimits.unreferenced` files that no claim or quest names yet; those are
removed after :attr:`DetailsLimits.unreferenced_ttl` seconds. Attached files must be
photos (checked by their first bytes, :func:`image_type`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from ledger.canonical import canonical_bytes
from ledger.errors import CanonicalError
from ledger.store.sql import _db, write_transaction

from . import tables as t
from .errors import DomainError

MIN_SALT, MAX_SALT = 16, 64


def details_hash(salt: bytes, details: dict[str, Any], canonical: bytes | None = None) -> str:
    """``0x`` + hex of ``SHA-256(salt || JCS(details))``; DomainError for bad input.
    ``canonical``: ``JCS(details)`` when the caller has it already."""
    if not MIN_SALT <= len(salt) <= MAX_SALT:
        raise DomainError("out-of-range", field="salt",
                          expected=f"{MIN_SALT}-{MAX_SALT} bytes", got=len(salt))
    if canonical is not None:
        return "0x" + hashlib.sha256(salt + canonical).hexdigest()
    try:
        data = canonical_bytes(details)
    except CanonicalError as exc:
        raise DomainError("bad-message", reason=f"The details are not valid JSON: {exc}") from None
    return "0x" + hashlib.sha256(salt + data).hexdigest()


#: Media types a file of private details may have, by what its first bytes say.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
               "image/heif", "image/avif")
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
_HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"heim": "image/heic",
                b"heis": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif",
                b"avif": "image/avif", b"avis": "image/avif"}


def image_type(data: bytes) -> str | None:
    """The image media type ``data`` starts like (magic numbers), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(data[8:12])
    return None


def check_files(files: list[dict[str, Any]]) -> None:
    """Every file is base64 of a photo whose declared type is the one its bytes show;
    DomainError ``bad-message`` or ``not-image`` otherwise."""
    for f in files:
        try:
            data = base64.b64decode(f["data"], validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("bad-message", reason=f"File {f['name']!r:.60} is not base64."
                              ) from None
        found = image_type(data)
        declared = str(f["type"]).strip().lower()
        declared = _ALIASES.get(declared, declared)
        if found is None:
            raise DomainError("not-image", name=repr(f["name"])[:60], got="")
        if declared != found and not {declared, found} <= {"image/heic", "image/heif"}:
            raise DomainError("not-image", name=repr(f["name"])[:60],
                              got=f" ({found}, not {declared[:40]})")


@dataclass(frozen=True)
class DetailsLimits:
    """How much one member may store (settings ``details_*``)."""

    per_member_bytes: int = 50 * 1024 * 1024
    unreferenced: int = 5
    """Files no claim or quest names yet, per member."""
    unreferenced_ttl: int = 86_400
    """Seconds after which details that no claim or quest names are removed."""


class DetailsStore:
    """Files of private details under one directory; with ``engine``, who owns each
    (``svc_details``), quotas and expiry."""

    def __init__(self, root: Path, engine: Engine | None = None,
                 limits: DetailsLimits | None = None) -> None:
        self.root, self.engine, self.limits = root, engine, limits or DetailsLimits()

    def owner(self, conn: Connection, region: str, digest: str) -> str | None:
        """Who stored the details ``digest`` (for details stored before owners were
        recorded: the contributor of the first claim naming them)."""
        d = t.details.c
        row = conn.execute(select(d.owner).where(d.region == region, d.digest == digest)).first()
        if row is not None:
            return str(row[0])
        c = t.claims.c
        row = conn.execute(select(c.contributor).where(
            c.region == region, c.details_hash == digest).order_by(c.seq).limit(1)).first()
        return None if row is None else str(row[0])

    def store(self, region: str, digest: str, salt: bytes, details: dict[str, Any], *,
              owner: str, now: int, quota: bool = True) -> None:
        """Store ``details`` for ``owner`` (see :meth:`put`), within their quota (unless
        ``quota`` is False: the service's own seeding): raises DomainError
        ``not-allowed`` when someone else owns them, ``quota-exceeded``."""
        got = details_hash(salt, details)
        if got != digest:
            raise DomainError("details-mismatch", got=got, details_hash=digest)
        if self.engine is None:
            raise TypeError("owned details need the database (DetailsStore(root, engine))")
        data = _file_bytes(salt, details)
        expired: list[str] = []
        d = t.details.c
        with _db("store private details"), write_transaction(self.engine) as conn:
            current = self.owner(conn, region, digest)
            if current is not None and current != owner:
                raise DomainError("not-allowed", reason="These details were stored by "
                                  "someone else; only they can store them again.")
            expired = self._expire(conn, region, now)
            row = conn.execute(select(d.size).where(d.region == region, d.digest == digest)
                               ).first()
            if quota:
                self._within_quota(conn, region, digest, owner, len(data),
                                   0 if row is None else int(row[0]))
            if row is None:
                conn.execute(insert(t.details).values(region=region, digest=digest,
                                                      owner=owner, size=len(data),
                                                      stored_at=now))
            else:
                conn.execute(update(t.details).where(d.region == region, d.digest == digest)
                             .values(size=len(data), stored_at=now))
            self._write(region, digest, data)  # last: a failed write rolls the row back
        for gone in expired:
            self._unlink(region, gone)

    def _within_quota(self, conn: Connection, region: str, digest: str, owner: str,
                      size: int, replaced: int) -> None:
        d = t.details.c
        used = conn.execute(select(func.coalesce(func.sum(d.size), 0)).where(
            d.region == region, d.owner == owner)).scalar_one()
        limit = self.limits.per_member_bytes
        if int(used) - replaced + size > limit:
            raise DomainError("quota-exceeded", reason=f"Each member may keep {limit} bytes of "
                              f"private details; {owner} keeps {used}. Erase some first.")
        if replaced or _referenced(conn, region, digest):
            return
        waiting = conn.execute(select(func.count()).select_from(t.details).where(
            d.region == region, d.owner == owner, ~_named(region))).scalar_one()
        if int(waiting) >= self.limits.unreferenced:
            raise DomainError("quota-exceeded", reason=f"{owner} has {waiting} stored details "
                              "that no claim names yet; claim with them (or wait a day for "
                              "them to be removed) before storing more.")

    def _expire(self, conn: Connection, region: str, now: int) -> list[str]:
        """Forget details no claim or quest names, stored over the time limit ago; their
        files are removed once this commits."""
        d = t.details.c
        cutoff = now - self.limits.unreferenced_ttl
        old = [str(r[0]) for r in conn.execute(select(d.digest).where(
            d.region == region, d.stored_at < cutoff, ~_named(region)).limit(100))]
        if old:
            conn.execute(delete(t.details).where(d.region == region, d.digest.in_(old)))
        return old

    def put(self, region: str, digest: str, salt: bytes, details: dict[str, Any], *,
            owner: str | None = None, now: int | None = None) -> None:
        """Store ``details`` if their salted hash is ``digest``; DomainError otherwise.
        With ``owner`` (and a database), :meth:`store` records them as theirs, outside
        any quota (for the service's own callers: demo data, imports)."""
        if owner is not None and self.engine is not None:
            import time

            self.store(region, digest, salt, details, owner=owner,
                       now=int(time.time()) if now is None else now, quota=False)
            return
        got = details_hash(salt, details)
        if got != digest:
            raise DomainError("details-mismatch", got=got, details_hash=digest)
        self._write(region, digest, _file_bytes(salt, details))

    def _write(self, region: str, digest: str, data: bytes) -> None:
        path = self._path(region, digest)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _path(self, region: str, digest: str) -> Path:
        if len(digest) != 66 or not all(ch in "0123456789abcdef" for ch in digest[2:]):
            raise DomainError("unknown-details", details_hash=digest)
        return self.root / region / f"{digest[2:]}.json"

    def get(self, region: str, digest: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self._path(region, digest).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return data

    def erase(self, region: str, digest: str) -> bool:
        if self.engine is not None:
            d = t.details.c
            with self.engine.begin() as conn:
                conn.execute(delete(t.details).where(d.region == region, d.digest == digest))
        return self._unlink(region, digest)

    def _unlink(self, region: str, digest: str) -> bool:
        try:
            self._path(region, digest).unlink()
        except FileNotFoundError:
            return False
        return True


def _file_bytes(salt: bytes, details: dict[str, Any]) -> bytes:
    return json.dumps({"salt": salt.hex(), "details": details}, ensure_ascii=False
                      ).encode("utf-8")


def _named(region: str) -> Any:
    """SQL: a claim or quest of ``region`` names the ``svc_details`` row's digest."""
    d, c, q = t.details.c, t.claims.c, t.quests.c
    return or_(exists().where(c.region == region, c.details_hash == d.digest),
               exists().where(q.region == region, q.details_hash == d.digest))


def _referenced(conn: Connection, region: str, digest: str) -> bool:
    c, q = t.claims.c, t.quests.c
    return conn.execute(select(c.id).where(c.region == region, c.details_hash == digest)
                        .limit(1)).first() is not None or conn.execute(
        select(q.id).where(q.region == region, q.details_hash == digest).limit(1)
    ).first() is not None
