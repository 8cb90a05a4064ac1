"""Rate limits where guessing pays: passphrase sign-in and recovery of walletless
members (per account and per client address), invitation codes and SIWE nonces (per
client address). Counters live in the database (``svc_rate_limits``), so every worker
and host behind the same database shares them.

A key that reaches its rule's ``limit`` within ``window`` seconds is locked for
``lockout`` seconds: every attempt meanwhile is refused with DomainError
``rate-limited`` (HTTP 429, ``Retry-After``), before any passphrase is checked — the
right passphrase too, so that guessing gains nothing from the lock's end being near.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, case, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ledger.store.sql import write_transaction

from .domain import tables as t
from .domain.errors import DomainError


@dataclass(frozen=True)
class Rule:
    limit: int
    """Attempts (``fail``: failures) allowed within ``window``."""
    window: int
    """Seconds."""
    lockout: int
    """Seconds every attempt is refused once the limit is reached."""


RULES: dict[str, Rule] = {
    "login-account": Rule(limit=5, window=900, lockout=900),
    "login-client": Rule(limit=20, window=900, lockout=900),
    "recover-account": Rule(limit=5, window=900, lockout=900),
    "recover-client": Rule(limit=20, window=900, lockout=900),
    "redeem-client": Rule(limit=10, window=900, lockout=900),
    "nonce-client": Rule(limit=60, window=60, lockout=60),
}
"""Failed passphrase sign-ins: 5 per account, 20 per client address in 15 minutes,
then 15 minutes locked (recovery codes alike); wrong invitation codes: 10 per client
address; SIWE nonces: 60 a minute per client address."""

Key = tuple[str, str]
"""``(rule name, who)``: e.g. ``("login-account", "ama:0xabc…")``, ``("login-client",
"203.0.113.5")``."""


class RateLimits:
    def __init__(self, engine: Engine, clock: Callable[[], int],
                 rules: dict[str, Rule] | None = None) -> None:
        self.engine, self.clock, self.rules = engine, clock, rules or RULES

    def check(self, *keys: Key) -> None:
        """Refuse (DomainError ``rate-limited``) while any of ``keys`` is locked."""
        now = self.clock()
        r = t.rate_limits.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(r.locked_until).where(
                r.key.in_([_name(k) for k in keys]))).all()
        until = max((int(row[0]) for row in rows), default=0)
        if until > now:
            raise DomainError("rate-limited", retry_after=until - now)

    def fail(self, *keys: Key) -> None:
        """Count one failed attempt against each of ``keys``; lock those at their limit."""
        now = self.clock()
        r = t.rate_limits.c
        with write_transaction(self.engine) as conn:
            for rule_name, who in keys:
                rule = self.rules[rule_name]
                key = _name((rule_name, who))
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                stale = r.window_start < now - rule.window
                stmt = dialect.insert(t.rate_limits).values(
                    key=key, window_start=now, count=1, locked_until=0)
                stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
                    "count": case((stale, 1), else_=r.count + 1),
                    "window_start": case((stale, now), else_=r.window_start),
                })
                conn.execute(stmt)
                count = conn.execute(select(r.count).where(r.key == key)).scalar_one()
                if int(count) >= rule.limit:
                    conn.execute(update(t.rate_limits).where(r.key == key).values(
                        count=0, window_start=now, locked_until=now + rule.lockout))

    def hit(self, *keys: Key) -> None:
        """An attempt that counts whether it succeeds or not (asking for a nonce):
        refused while locked, else counted."""
        self.check(*keys)
        self.fail(*keys)

    def clear(self, *keys: Key) -> None:
        """Forget the failures of ``keys`` (a successful sign-in of that account)."""
        r = t.rate_limits.c
        with write_transaction(self.engine) as conn:
            conn.execute(update(t.rate_limits).where(
                r.key.in_([_name(k) for k in keys]), r.locked_until <= self.clock()
            ).values(count=0))


def _name(key: Key) -> str:
    return f"{key[0]}:{key[1]}"[:200]
