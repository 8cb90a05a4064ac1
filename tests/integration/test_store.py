"""The SQL log store on SQLite and PostgreSQL: appends, proofs, triggers, tamper checks.

Every test runs on both engines. PostgreSQL tests use ``KAKAWARI_TEST_PG_URL`` (default
the local server), each in a fresh schema dropped afterwards; they fail instead of
skipping when CI=true.

Run: ``.venv/bin/pytest tests/integration/test_store.py`` (``-m 'not slow'`` to leave out
the multi-process tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import multiprocessing
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ledger import merkle
from ledger.entry import Entry
from ledger.errors import IntegrityError, NoteError, StoreError
from ledger.store import LogStore, MemoryStore
from ledger.store.sql import SqlStore, open_store
from tests.integration.databases import SQL_ENGINES, database, tamper

ORIGIN = "kakawari/test-store"
VKEY = "test-key"
APPEND_ONLY = ("ledger_entries", "ledger_tree_nodes", "ledger_checkpoints")


# -- a stand-in for checkpoint signing (the store treats notes as opaque) --------------


def sign_note(origin: str, size: int, root: bytes) -> str:
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    tag = hmac.new(VKEY.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}\n— {VKEY} {tag}\n"


def verify_note(note: str, vkey: str) -> tuple[int, bytes]:
    body, _, sig = note.partition("\n\n— ")
    body += "\n"
    tag = hmac.new(vkey.encode(), body.encode(), hashlib.sha256).hexdigest()
    if sig != f"{vkey} {tag}\n":
        raise NoteError("bad test signature")
    _origin, size, root, _ = body.split("\n")
    return int(size), base64.b64decode(root)


def signer(origin: str = ORIGIN) -> Callable[[int, bytes], str]:
    return partial(sign_note, origin)


def entry(seq: int, origin: str = ORIGIN, **message: int) -> bytes:
    return Entry(
        origin=origin,
        seq=seq,
        time=1_700_000_000 + seq,
        type="Join",
        signer="0x" + "11" * 20,
        message={"n": seq, **message},
        signature="0x" + "22" * 64 + "1c",
    ).to_bytes()


# -- fixtures ---------------------------------------------------------------------------




@pytest.fixture(params=SQL_ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    s = open_store(db_url, verify_note)
    s.create_log(ORIGIN, VKEY)
    yield s
    s.close()


@pytest.fixture(params=["memory", *SQL_ENGINES])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogStore]:
    """Each store implementation, for tests that use only the LogStore interface."""
    if request.param == "memory":
        s: LogStore = MemoryStore(verify_note)
        s.create_log(ORIGIN, VKEY)
        yield s
        return
    with database(request.param, tmp_path) as url:
        s = open_store(url, verify_note)
        s.create_log(ORIGIN, VKEY)
        yield s
        s.close()


def fill(store: LogStore, batches: list[int], origin: str = ORIGIN) -> list[bytes]:
    """Append batches of entries; returns every leaf hash."""
    for n in batches:
        with store.appending(origin, signer(origin)) as tx:
            for _ in range(n):
                tx.append(entry(tx.size, origin))
    return [merkle.leaf_hash(data) for _, data in store.iter_entries(origin)]


def raw(url: str) -> Connection:
    """A plain connection, without the store's code in the way."""
    return create_engine(url).connect()


# -- appending and reading -------------------------------------------------------------


def test_append_read_and_checkpoints(any_store: LogStore) -> None:
    store = any_store
    leaves = fill(store, [1, 3, 5])
    info = store.log_info(ORIGIN)
    assert (info.size, info.root, info.vkey) == (9, merkle.root_hash(leaves), VKEY)
    assert store.logs() == [ORIGIN]
    assert store.entries(ORIGIN, 2, 3) == [(s, entry(s)) for s in (2, 3, 4)]
    assert list(store.iter_entries(ORIGIN, chunk=2)) == [(s, entry(s)) for s in range(9)]
    assert store.leaf_hash(ORIGIN, 7) == leaves[7]
    assert [leaf for _, _, leaf in store.iter_entry_rows(ORIGIN, 1, 8, chunk=3)] == leaves[1:8]
    for size in (1, 4, 9):
        cp = store.checkpoint_at(ORIGIN, size)
        assert cp is not None and verify_note(cp.note, VKEY) == (size, cp.root)
        assert cp.root == merkle.root_hash(leaves[:size])
    assert store.checkpoint_at(ORIGIN, 2) is None
    assert store.latest_checkpoint(ORIGIN) == info.checkpoint


def test_empty_transaction_signs_nothing(any_store: LogStore) -> None:
    store = any_store
    with store.appending(ORIGIN, signer()) as tx:
        assert tx.size == 0
    assert tx.checkpoint is None and store.latest_checkpoint(ORIGIN) is None
    assert store.root(ORIGIN) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (entry(1), "next is 0"),
        (entry(0, "kakawari/other"), "origin"),
        (b'{"not": "an entry"}', "refused entry 0"),
    ],
)
def test_append_refuses_misplaced_entries(any_store: LogStore, data: bytes, match: str) -> None:
    store = any_store
    with pytest.raises(StoreError, match=match), store.appending(ORIGIN, signer()) as tx:
        tx.append(data)
    assert store.log_info(ORIGIN).size == 0


def test_unknown_and_duplicate_logs(any_store: LogStore) -> None:
    store = any_store
    with pytest.raises(StoreError, match="already exists"):
        store.create_log(ORIGIN, VKEY)
    with pytest.raises(StoreError, match="no log"):
        store.root("kakawari/nowhere")
    with pytest.raises(StoreError):
        store.create_log("not-an-origin", VKEY)
    fill(store, [3])
    with pytest.raises(StoreError, match="has 3 entries"):
        store.inclusion_proof(ORIGIN, 0, 4)
    with pytest.raises(StoreError):
        store.consistency_proof(ORIGIN, 3, 2)
    with pytest.raises(StoreError, match="has 3 entries"):
        store.consistency_proof(ORIGIN, 4, 4)


def test_rollback_on_exception_leaves_nothing(store: SqlStore) -> None:
    fill(store, [2])
    with raw(store.engine.url.render_as_string(hide_password=False)) as conn:
        conn.execute(text("CREATE TABLE projection_probe (seq BIGINT)"))
        conn.commit()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.appending(ORIGIN, signer()) as tx:
        for _ in range(5):
            seq, _leaf = tx.append(entry(tx.size))
            tx.connection.execute(text("INSERT INTO projection_probe VALUES (:s)"), {"s": seq})
        raise Boom

    def failing_signer(size: int, root: bytes) -> str:
        raise Boom

    with pytest.raises(Boom), store.appending(ORIGIN, failing_signer) as tx:
        tx.append(entry(tx.size))

    with raw(store.engine.url.render_as_string(hide_password=False)) as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in (
                "ledger_entries",
                "ledger_tree_nodes",
                "ledger_checkpoints",
                "projection_probe",
            )
        ]
        size = conn.execute(text("SELECT size FROM ledger_logs")).scalar_one()
    assert counts == [2, 1, 1, 0] and size == 2
    assert fill(store, [1]) and store.log_info(ORIGIN).size == 3


def test_stores_taking_turns_keep_one_tree(store: SqlStore, db_url: str) -> None:
    # Each store keeps the tree's right edge it committed for its next append; another
    # writer in between (another process) must make it read the edge again.
    other = open_store(db_url, verify_note)
    try:
        for i, n in enumerate([3, 1, 4, 1, 5, 9, 2, 6]):
            fill(store if i % 3 else other, [n])
        leaves = [merkle.leaf_hash(data) for _, data in store.iter_entries(ORIGIN)]
        for s in (store, other):
            assert s.root(ORIGIN) == merkle.root_hash(leaves)
            assert s.log_info(ORIGIN).root == merkle.root_hash(leaves)
            s.check_log(ORIGIN)
    finally:
        other.close()


def test_a_write_refused_at_commit_leaves_every_connection_usable(store: SqlStore) -> None:
    # The entries go out with the COMMIT in one pipeline (PostgreSQL): a refusal there is
    # a StoreError, and the connection goes back to the pool rolled back.
    fill(store, [2])
    with pytest.raises(StoreError), store.appending(ORIGIN, signer()) as tx:
        tx.append(entry(tx.size))  # the checkpoint of size 3, the last write, will clash
        tx.connection.execute(text(
            "INSERT INTO ledger_checkpoints (log_id, size, root, note) "
            "SELECT id, 3, :r, 'x' FROM ledger_logs"), {"r": BAD})
    assert store.log_info(ORIGIN).size == 2
    for _ in range(8):  # more than the pool holds: every connection is used again
        fill(store, [1])
    assert store.log_info(ORIGIN).size == 10
    store.check_log(ORIGIN)


def test_a_checkpoint_for_another_tree_is_refused(any_store: LogStore) -> None:
    store = any_store

    def lying_signer(size: int, root: bytes) -> str:
        return sign_note(ORIGIN, size + 1, root)

    with (
        pytest.raises(StoreError, match="another tree"),
        store.appending(ORIGIN, lying_signer) as tx,
    ):
        tx.append(entry(0))
    assert store.log_info(ORIGIN).size == 0


# -- proofs ----------------------------------------------------------------------------


def test_proofs_equal_merkle(any_store: LogStore) -> None:
    store = any_store
    leaves = fill(store, [1, 2, 3, 5, 8, 13, 21, 17])
    n_max = len(leaves)
    assert n_max == 70
    for n in range(n_max + 1):
        assert store.root(ORIGIN, n) == merkle.root_hash(leaves[:n])
        for i in range(n):
            assert store.inclusion_proof(ORIGIN, i, n) == merkle.inclusion_proof(i, leaves[:n])
        for m in range(n + 1):
            assert store.consistency_proof(ORIGIN, m, n) == merkle.consistency_proof(m, leaves[:n])


def test_each_proof_is_one_query(store: SqlStore) -> None:
    fill(store, [70])
    store.root(ORIGIN)  # the first use of a log checks it; later uses don't
    statements: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def count(conn: object, cursor: object, stmt: str, *args: object) -> None:
        if not stmt.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            statements.append(stmt)

    for call in (
        lambda: store.inclusion_proof(ORIGIN, 37, 69),
        lambda: store.consistency_proof(ORIGIN, 13, 70),
        lambda: store.root(ORIGIN, 66),
        lambda: store.leaf_hash(ORIGIN, 5),
    ):
        statements.clear()
        call()
        assert len(statements) == 1, statements


# -- the database refuses changes ------------------------------------------------------


@pytest.mark.parametrize("table", APPEND_ONLY)
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE", "TRUNCATE"])
def test_database_refuses_changes(store: SqlStore, db_url: str, table: str, verb: str) -> None:
    fill(store, [4])
    column = {"ledger_entries": "data", "ledger_tree_nodes": "hash"}.get(table, "root")
    sql = {
        "UPDATE": f"UPDATE {table} SET {column} = {column}",
        "DELETE": f"DELETE FROM {table}",
        "TRUNCATE": f"TRUNCATE {table}",
    }[verb]
    with raw(db_url) as conn:
        if verb == "TRUNCATE" and conn.dialect.name == "sqlite":
            sql = f"DELETE FROM {table}"  # SQLite's TRUNCATE is an unqualified DELETE
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(sql))
    assert fill(store, []) and store.log_info(ORIGIN).size == 4
    assert not list(store.iter_leaf_mismatches(ORIGIN))
    assert not list(store.iter_node_mismatches(ORIGIN))


@pytest.mark.parametrize(
    ("sql", "match"),
    [
        ("DELETE FROM ledger_logs", "permanent"),
        ("UPDATE ledger_logs SET size = 1", "only grow"),
        ("UPDATE ledger_logs SET size = 9", "beyond stored entries"),
        ("UPDATE ledger_logs SET vkey = 'other'", "may change"),
        (
            "INSERT INTO ledger_entries (log_id, seq, leaf_hash, data) "
            "SELECT log_id, 7, leaf_hash, data FROM ledger_entries WHERE seq = 0",
            "gapless",
        ),
    ],
)
def test_database_guards_log_heads(store: SqlStore, db_url: str, sql: str, match: str) -> None:
    fill(store, [4])
    with raw(db_url) as conn, pytest.raises(DBAPIError, match=match):
        conn.execute(text(sql))
    assert store.log_info(ORIGIN).size == 4


def test_refusal_inside_a_transaction_is_a_store_error(store: SqlStore) -> None:
    fill(store, [2])
    with pytest.raises(StoreError, match="append-only"), store.appending(ORIGIN, signer()) as tx:
        tx.append(entry(tx.size))
        tx.connection.execute(text("DELETE FROM ledger_entries"))
    assert store.log_info(ORIGIN).size == 2


# -- tampering behind the triggers' back -----------------------------------------------


BAD = b"\xab" * 32
TAMPER_ON_OPEN = {
    # 70 = 64 + 4 + 2: the root is read from nodes (6, 0), (2, 16) and (1, 34).
    "tree node": (
        "ledger_tree_nodes",
        "UPDATE ledger_tree_nodes SET hash = :h WHERE level = 6 AND idx = 0",
    ),
    "checkpoint root": (
        "ledger_checkpoints",
        "UPDATE ledger_checkpoints SET root = :h WHERE size = 70",
    ),
    "checkpoint note": (
        "ledger_checkpoints",
        "UPDATE ledger_checkpoints SET note = "
        "replace(note, 'test-key ', 'test-key 0') WHERE size = 70",
    ),
    "missing entry": ("ledger_entries", "DELETE FROM ledger_entries WHERE seq = 69"),
}


@pytest.mark.parametrize("case", sorted(TAMPER_ON_OPEN))
def test_tampering_is_detected_on_open(store: SqlStore, db_url: str, case: str) -> None:
    fill(store, [30, 40])
    store.close()
    table, sql = TAMPER_ON_OPEN[case]
    tamper(db_url, table, sql, h=BAD)
    reopened = open_store(db_url, verify_note)
    try:
        assert ORIGIN in reopened.refused()
        with pytest.raises(IntegrityError, match=ORIGIN):
            reopened.root(ORIGIN)
        with pytest.raises(IntegrityError), reopened.appending(ORIGIN, signer()):
            pass
        with pytest.raises(IntegrityError):
            reopened.check_log(ORIGIN)
    finally:
        reopened.close()


def test_a_log_is_served_again_once_fixed(store: SqlStore, db_url: str) -> None:
    fill(store, [70])
    good = store.root(ORIGIN)
    table, sql = TAMPER_ON_OPEN["checkpoint root"]
    tamper(db_url, table, sql, h=BAD)
    with pytest.raises(IntegrityError):
        store.check_log(ORIGIN)
    with pytest.raises(IntegrityError):
        store.entries(ORIGIN, 0, 1)
    tamper(db_url, table, sql, h=good)
    store.check_log(ORIGIN)
    assert store.root(ORIGIN) == good


def test_changed_entry_and_inner_node_are_found_by_full_checks(
    store: SqlStore, db_url: str
) -> None:
    fill(store, [70])
    assert not list(store.iter_leaf_mismatches(ORIGIN))
    data = dict(store.entries(ORIGIN, 5, 1))[5].replace(b'"n":5}', b'"n":6}')
    tamper(db_url, "ledger_entries", "UPDATE ledger_entries SET data = :d WHERE seq = 5", d=data)
    sql = "UPDATE ledger_tree_nodes SET hash = :h WHERE level = 2 AND idx = 3"
    tamper(db_url, "ledger_tree_nodes", sql, h=BAD)
    store.close()
    reopened = open_store(db_url, verify_note)  # O(log n): neither is on the root's path
    try:
        assert reopened.refused() == {}
        leaf = list(reopened.iter_leaf_mismatches(ORIGIN, chunk=16))
        assert [e.seq for e in leaf] == [5] and "entry 5" in str(leaf[0])
        nodes = [(str(e), e.seq) for e in reopened.iter_node_mismatches(ORIGIN, chunk=4)]
        assert nodes == [
            (f"log {ORIGIN}: tree node (level 2, index 3; entries 12-15) does not match "
             "its children", 12),
            (f"log {ORIGIN}: tree node (level 3, index 1; entries 8-15) does not match "
             "its children", 8),
        ]
    finally:
        reopened.close()


# -- several processes -----------------------------------------------------------------


def _writer(url: str, writer: int, batches: list[int], start: object) -> None:
    store = open_store(url, verify_note)
    start.wait()  # type: ignore[attr-defined]
    for size in batches:
        with store.appending(ORIGIN, signer()) as tx:
            for _ in range(size):
                tx.append(entry(tx.size, w=writer))
    store.close()


@pytest.mark.slow
def test_concurrent_processes_append_a_gapless_consistent_log(store: SqlStore, db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    batches = [[1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 5] for _ in range(4)]
    assert all(sum(b) == 50 for b in batches)
    procs = [ctx.Process(target=_writer, args=(db_url, w, b, start)) for w, b in enumerate(batches)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]

    rows = list(store.iter_entries(ORIGIN, chunk=37))
    assert [seq for seq, _ in rows] == list(range(200))
    writers = [Entry.from_bytes(data).message["w"] for _, data in rows]
    assert sorted(writers.count(w) for w in range(4)) == [50, 50, 50, 50]
    leaves = [merkle.leaf_hash(data) for _, data in rows]
    info = store.log_info(ORIGIN)
    assert info.size == 200 and info.root == merkle.root_hash(leaves)
    assert not list(store.iter_node_mismatches(ORIGIN))

    with raw(db_url) as conn:
        sizes = [
            r[0] for r in conn.execute(text("SELECT size FROM ledger_checkpoints ORDER BY size"))
        ]
    assert len(sizes) == 4 * 16 and sizes[-1] == 200
    previous = (0, merkle.root_hash([]))
    for size in sizes:
        cp = store.checkpoint_at(ORIGIN, size)
        assert cp is not None and verify_note(cp.note, VKEY) == (size, cp.root)
        assert cp.root == merkle.root_hash(leaves[:size])
        proof = store.consistency_proof(ORIGIN, previous[0], size)
        merkle.verify_consistency(previous[0], size, previous[1], cp.root, proof)
        previous = (size, cp.root)
