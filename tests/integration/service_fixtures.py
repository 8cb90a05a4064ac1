"""Shared helpers for the service's integration tests: a region on a fresh database
(SQLite file, or a fresh PostgreSQL schema), people with keys who sign messages, and
the app over HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger import eip712
from ledger.messages import MESSAGE_TYPES
from service.config import Settings
from service.db import open_database
from service.domain import Domain, make_domain
from service.keyring import Keyring
from service.regions import Regions, Signed
from tests.integration.databases import database

__all__ = ["PHOTO", "ZERO32", "Person", "World", "database", "settings_for", "world"]

ZERO32 = "0x" + "00" * 32
CHAIN_ID = 31337
#: Base64 of the start of a JPEG (what the service checks a photo by: its first bytes).
PHOTO = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a"


def settings_for(tmp_path: Path, url: str, *, fast_kdf: bool = True, **extra: Any) -> Settings:
    """Settings for a test region. ``fast_kdf`` lowers scrypt's cost (n = 1024) for
    suites that only need keys to exist; a test of what members go through (passphrases,
    invitations, sealed keys) passes ``fast_kdf=False`` and gets the production default."""
    if fast_kdf:
        extra.setdefault("scrypt_n", 1024)
    # the origins test clients use (SIWE messages must name one of them)
    extra.setdefault("public_origins", ["http://kakawari.test", "http://testserver"])
    return Settings(data_dir=tmp_path / "data", database_url=url, passphrase="test-pass",
                    chain_id=CHAIN_ID, **extra)


@dataclass
class Person:
    """Someone with a key, signing messages for one region."""

    region: str
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    chain_id: int = CHAIN_ID

    @property
    def address(self) -> str:
        return eip712.address_of(self.key)

    def sign(self, type_: str, clock: int | None = None, **fields: Any) -> Signed:
        import time

        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(mtype, {
            "region": self.region, "nonce": secrets.randbits(53),
            "issuedAt": int(time.time()) if clock is None else clock,
            mtype.signer_field: self.address, **fields})
        domain = eip712.Domain(self.chain_id)
        return Signed(type_, message, eip712.sign_message(self.key, domain, mtype, message))

    def body(self, type_: str, **fields: Any) -> dict[str, Any]:
        signed = self.sign(type_, **fields)
        return {"message": signed.message, "signature": signed.signature}

    def claim_id(self, signed: Signed) -> str:
        digest = eip712.signing_digest(eip712.Domain(self.chain_id), MESSAGE_TYPES[signed.type],
                                       signed.message)
        return "0x" + digest.hex()


@dataclass
class World:
    settings: Settings
    regions: Regions
    domain: Domain
    region: str
    admin: Person

    def person(self) -> Person:
        return Person(self.region)

    def close(self) -> None:
        self.regions.store.close()


@contextmanager
def world(tmp_path: Path, url: str, region: str = "ama", *, fast_kdf: bool = True,
          **extra: Any) -> Iterator[World]:
    """A region with an admin key, on a migrated database, and its domain."""
    settings = settings_for(tmp_path, url, fast_kdf=fast_kdf, **extra)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_database(url)
    regions = Regions(store, Keyring(settings, b"test-pass"))
    admin = Person(region)
    regions.create(region, "海士町", admin.address)
    w = World(settings, regions, make_domain(regions, settings), region, admin)
    try:
        yield w
    finally:
        w.close()
