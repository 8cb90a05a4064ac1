"""Sign-in state shared by every worker: single-use SIWE nonces and bearer sessions,
both in the database (only the SHA-256 of a token is stored)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from .domain import tables as t


@dataclass(frozen=True)
class Session:
    address: str
    region: str | None  # managed sessions act in one region
    managed: bool
    expires_at: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Auth:
    def __init__(self, engine: Engine, ttl: int, clock: Callable[[], int],
                 nonce_ttl: int = 600) -> None:
        self.engine, self.ttl, self.clock, self.nonce_ttl = engine, ttl, clock, nonce_ttl

    def new_nonce(self) -> tuple[str, int]:
        """A fresh SIWE nonce (17 alphanumerics) and when it expires."""
        alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        nonce = "".join(secrets.choice(alphabet) for _ in range(17))
        expires = self.clock() + self.nonce_ttl
        with self.engine.begin() as conn:
            conn.execute(delete(t.auth_nonces).where(t.auth_nonces.c.expires_at < self.clock()))
            conn.execute(insert(t.auth_nonces).values(nonce=nonce, expires_at=expires, used=False))
        return nonce, expires

    def consume_nonce(self, nonce: str) -> bool:
        """Mark ``nonce`` used; False if unknown, used or expired (atomic across workers)."""
        n = t.auth_nonces.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t.auth_nonces)
                .where(n.nonce == nonce, ~n.used, n.expires_at >= self.clock())
                .values(used=True)
            )
        return result.rowcount == 1

    def new_session(self, address: str, *, region: str | None = None,
                    managed: bool = False) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        expires = self.clock() + self.ttl
        with self.engine.begin() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.expires_at < self.clock()))
            conn.execute(insert(t.sessions).values(
                token_hash=_hash(token), address=address, region=region, managed=managed,
                expires_at=expires))
        return token, expires

    def session(self, token: str) -> Session | None:
        s = t.sessions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.sessions).where(s.token_hash == _hash(token))).first()
        if row is None or row.expires_at < self.clock():
            return None
        return Session(row.address, row.region, row.managed, row.expires_at)

    def end(self, token: str) -> None:
        """Revoke the sign-in of ``token`` (signing out)."""
        with self.engine.begin() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == _hash(token)))

    def end_all(self, address: str) -> int:
        """Revoke every sign-in of ``address``, on every device; how many there were."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(t.sessions).where(t.sessions.c.address == address))
        return int(result.rowcount)
