"""verify_stored_log with worker processes gives the same result, and names the same
first bad entry, as with one process."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import VerificationError
from ledger.integrity import verify_stored_log
from ledger.merkle import leaf_hash
from ledger.store.sql import SqlStore
from service.cli.demo import seed
from service.config import Settings
from service.db import open_database
from service.domain import make_domain
from service.keyring import Keyring
from service.regions import Regions
from tests.integration.databases import tamper

ORIGIN = "kakawari/ama"


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[SqlStore, str]]:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    settings = Settings(data_dir=tmp_path / "data", scrypt_n=1024, database_url=url)
    store = open_database(url)
    regions = Regions(store, Keyring(settings, b"pw"))
    regions.create("ama", "Ama")
    seed(make_domain(regions, settings), "ama", 10, 40, random.Random(5))
    yield store, url
    store.close()


def both(store: SqlStore) -> list[object]:
    """The outcome with one process and with two, small chunks to cross boundaries."""
    out = []
    for jobs in (1, 2):
        try:
            r = verify_stored_log(store, ORIGIN, chunk=7, jobs=jobs, parallel_min=0)
            out.append((r.size, r.root))
        except VerificationError as exc:
            out.append((exc.seq, exc.reason))
    return out


def test_an_intact_log_verifies_the_same(seeded: tuple[SqlStore, str]) -> None:
    store, _ = seeded
    one, two = both(store)
    assert one == two and isinstance(one, tuple) and one[0] > 40


@pytest.mark.parametrize("seq", [1, 20, 33])
def test_the_same_first_bad_entry_is_named(seeded: tuple[SqlStore, str], seq: int) -> None:
    store, url = seeded
    data = dict(store.entries(ORIGIN, seq, 1))[seq]
    forged = data.replace(b'"nonce":', b'"nonce":1', 1)
    assert forged != data
    tamper(url, "ledger_entries", "UPDATE ledger_entries SET data = :d, leaf_hash = :h "
           "WHERE seq = :s", d=forged, h=leaf_hash(forged),
           s=seq)
    one, two = both(store)
    assert one == two and one[0] == seq
