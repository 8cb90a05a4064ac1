"""Shared helpers for the service's integration tests: a region on a fresh database
(SQLite file, or a fresh PostgreSQL schema), people with keys who sign messages, and
the app over HTTP."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ledger import eip712
from ledger.messages import MESSAGE_TYPES
from service.config import Settings
from service.db import open_database
from service.domain import Domain, make_domain
from service.keyring import Keyring
from service.regions import Regions, Signed
from tests.conftest import skip_or_fail

PG_URL = os.environ.get("KAKAWARI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ZERO32 = "0x" + "00" * 32
CHAIN_ID = 31337


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    admin = create_engine(PG_URL)
    schema = "t_svc_" + uuid.uuid4().hex[:12]
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except DBAPIError as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL at {PG_URL} is unreachable: {exc.orig}")
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def settings_for(tmp_path: Path, url: str, **extra: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=url, passphrase="test-pass",
                    scrypt_n=1024, chain_id=CHAIN_ID, **extra)


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
def world(tmp_path: Path, url: str, region: str = "ama", **extra: Any) -> Iterator[World]:
    """A region with an admin key, on a migrated database, and its domain."""
    settings = settings_for(tmp_path, url, **extra)
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
