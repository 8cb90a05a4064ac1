"""The SQLAlchemy log store: SQLite (embedded default) or PostgreSQL.

:func:`open_store` builds the engine, migrates the schema to head with Alembic (the
only way tables and triggers are created) and checks every log against its last signed
checkpoint (:meth:`LogStore.check_log`, O(log n) per log); a log that fails is refused
for every read and append until a later check passes.

Appends are serialised per log, also across processes:

- PostgreSQL: the append transaction first takes ``SELECT ... FOR UPDATE`` on the
  log's head row in ``ledger_logs``; a second writer of the same log waits there and
  then reads the committed size (READ COMMITTED re-reads the locked row). Writers of
  other logs do not wait. Durability: the server's (``synchronous_commit=on`` by
  default, i.e. the commit is flushed to the WAL before it returns).
- SQLite: a write transaction starts with ``BEGIN IMMEDIATE`` (the pysqlite driver's own
  BEGIN is switched off, as in SQLAlchemy's "Enabling Non-Legacy SQLite Transactional
  Modes" recipe), which takes the database's single write lock, so one writer at a
  time in the whole file; others wait up to ``busy_timeout``. Durability is
  :data:`SQLITE_PRAGMAS`: WAL with ``synchronous=FULL``, so a committed append (and the
  checkpoint signed for it) survives power loss, not only a process crash. A signed
  checkpoint must never outlive its entries: after that the region would sign an
  inconsistent tree.

Every root and proof reads its O(log n) nodes in ONE statement: the leaf hashes it
needs from ``ledger_entries`` (``seq IN (...)``) ``UNION ALL`` the inner nodes from
``ledger_tree_nodes`` (``(level, idx) IN (...)``), both by primary key.

Round trips of an append (PostgreSQL): the head row's lock, then — only when another
writer moved the log since this store's last commit — the right edge of the tree (its
nodes never change, so the edge this store committed is kept for the next append), and
at the end every write and the COMMIT in one pipeline (:func:`pipelined`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .. import subtree
from ..errors import StoreError, StoreUnavailableError
from ..subtree import Node
from .base import (
    CheckpointSigner,
    LogRef,
    LogStore,
    NoteVerifier,
    StoredCheckpoint,
    TreeWriter,
    check_origin,
)
from .schema import checkpoints, entries, logs, tree_nodes

BUSY_TIMEOUT = 60.0
"""Seconds a writer waits for another's lock by default (the service passes less)."""

SQLITE_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("busy_timeout", "60000"),
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
)
"""PRAGMAs set on every SQLite connection; a benchmark reuses them for a fair baseline."""

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_MIGRATION_LOCK = 0x6B616B61  # pg_advisory_xact_lock key ("kaka"), one migrator at a time
_BEGIN = "ledger_sqlite_begin"


def make_engine(url: str, busy_timeout: float | None = None) -> Engine:
    """An engine for ``url`` with the ledger's SQLite transaction handling and PRAGMAs.
    ``busy_timeout``: seconds to wait for a lock another writer holds before failing
    with :class:`StoreUnavailableError` ``busy`` (SQLite's ``busy_timeout``, PostgreSQL's
    ``lock_timeout``); default :data:`BUSY_TIMEOUT`. PostgreSQL connections are checked
    before use (``pool_pre_ping``), so the first request after a lost connection gets a
    fresh one instead of an error."""
    wait_ms = int(1000 * (BUSY_TIMEOUT if busy_timeout is None else busy_timeout))
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            _record.info["busy_ms"] = wait_ms
            cursor = dbapi_conn.cursor()
            for name, value in SQLITE_PRAGMAS:
                if name == "busy_timeout":
                    value = str(wait_ms)
                cursor.execute(f"PRAGMA {name} = {value}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(_BEGIN, 'DEFERRED')}")

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _pg_connect(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {wait_ms}")
            dbapi_conn.commit()

    else:
        raise StoreError(f"the ledger stores logs in SQLite or PostgreSQL, not {url!r:.60}")
    return engine


def unavailable(exc: BaseException) -> str | None:
    """Why ``exc`` (a SQLAlchemy or driver error) is the database's fault and not the
    request's — ``busy``, ``full``, ``read-only``, ``connection-lost``, ``unavailable``
    — or None when it is not such a fault."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    state = str(getattr(orig, "sqlstate", None) or "")
    kinds = {c.__name__ for c in type(orig).__mro__}
    if "locked" in text or "busy" in text or state in ("55P03", "40P01"):
        return "busy"
    if "full" in text or state.startswith("53"):
        return "full"
    if "readonly" in text or "read-only" in text or state == "25006":
        return "read-only"
    if getattr(exc, "connection_invalidated", False) or state.startswith(("08", "57P")) \
            or "connection" in text or "terminat" in text:
        return "connection-lost"
    if "OperationalError" in kinds or "disk i/o" in text:
        return "unavailable"
    return None


def store_error(message: str, exc: BaseException) -> StoreError:
    """:class:`StoreUnavailableError` when :func:`unavailable` says so, else StoreError."""
    reason = unavailable(exc)
    if reason is not None:
        return StoreUnavailableError(message, reason)
    return StoreError(message)


@contextmanager
def _writing(engine: Engine, patient: bool = False) -> Iterator[Connection]:
    """A connection in a write transaction (SQLite: BEGIN IMMEDIATE); commits on exit.
    ``patient``: wait :data:`BUSY_TIMEOUT` for other writers (SQLite) or without limit
    (PostgreSQL), whatever the engine's own timeout — for migrations, which several
    workers starting together wait for in turn."""
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if patient and sqlite:
            raw.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        try:
            conn.execution_options(**{_BEGIN: "IMMEDIATE"})
            with conn.begin():
                if patient and not sqlite:
                    conn.execute(text("SET LOCAL lock_timeout = 0"))
                yield conn
        finally:
            if patient and sqlite:
                raw.execute(f"PRAGMA busy_timeout = {conn.connection.info.get('busy_ms', 60000)}")


write_transaction = _writing
"""For the service's own writes: the same BEGIN IMMEDIATE and timeouts as the log's."""


def upgrade_schema(engine: Engine, script_location: Path, lock_key: int, what: str) -> None:
    """Upgrade the Alembic history at ``script_location`` to head in one transaction,
    one migrator at a time (PostgreSQL: advisory lock ``lock_key``; SQLite: the write
    lock of BEGIN IMMEDIATE). Its ``env.py`` takes the open connection from
    ``config.attributes["connection"]``. Raises :class:`StoreError`."""
    from alembic import command  # only opening a database migrates: readers need none
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    with _db(f"migrate the {what} schema"), _writing(engine, patient=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def migrate(engine: Engine) -> None:
    """Upgrade the ledger schema to head (see :func:`upgrade_schema`)."""
    upgrade_schema(engine, MIGRATIONS, _MIGRATION_LOCK, "ledger")


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Statements executed in the block go to PostgreSQL without waiting for each reply
    (psycopg pipeline mode): one round trip at the end of the block, or at a COMMIT in
    it. For writes only: a read's result is not available inside. Anything else than
    PostgreSQL with psycopg runs the block as usual.

    A failure surfaces at the end (as :class:`StoreError` when the block itself raised
    nothing) and leaves the transaction rolled back on the driver, so the connection
    goes back to the pool clean."""
    driver: Any = conn.connection.driver_connection
    pipeline = getattr(driver, "pipeline", None)
    if conn.dialect.name != "postgresql" or pipeline is None:
        yield
        return
    failed = True
    try:
        with pipeline():
            yield
            failed = False
    except conn.dialect.loaded_dbapi.Error as exc:  # raised at the sync, outside SQLAlchemy
        raise store_error(f"the database refused a write: {exc}", exc) from exc
    finally:
        if failed and driver.info.transaction_status == _IN_ERROR:
            driver.rollback()  # SQLAlchemy saw the COMMIT fail and will not roll back


_IN_ERROR = 3  # libpq PQTRANS_INERROR: a statement failed, the transaction is aborted


@contextmanager
def _db(what: str) -> Iterator[None]:
    """Turn database failures (a trigger refusing, a lost connection) into StoreError."""
    try:
        yield
    except DBAPIError as exc:
        raise store_error(f"the database refused to {what}: {exc.orig}", exc) from exc
    except SQLAlchemyError as exc:
        raise store_error(f"could not {what}: {exc}", exc) from exc


class SqlAppendTx:
    """An append transaction of :class:`SqlStore`; see :meth:`LogStore.appending`.

    ``connection`` is the transaction's connection: rows the caller writes through it
    (projections) commit or roll back with the entries.
    """

    def __init__(self, conn: Connection, ref: LogRef, writer: TreeWriter) -> None:
        self.origin = ref.origin
        self.connection = conn
        self.checkpoint: StoredCheckpoint | None = None
        self._ref, self._writer = ref, writer
        self._rows: list[tuple[int, int, bytes, bytes]] = []

    @property
    def size(self) -> int:
        return self._writer.size

    def append(self, data: bytes) -> tuple[int, bytes]:
        seq, leaf = self._writer.add(data)
        self._rows.append((self._ref.key, seq, leaf, bytes(data)))
        return seq, leaf

    def flush(self) -> None:
        """Write the entries appended so far (one multi-row INSERT); done on exit too."""
        if self._rows:
            rows, self._rows = self._rows, []
            with _db(f"append entries {rows[0][1]}-{rows[-1][1]} to {self.origin}"):
                _insert_many(self.connection, "ledger_entries (log_id, seq, leaf_hash, data)", rows)


class SqlStore(LogStore):
    """Logs in a SQL database; build it with :func:`open_store`."""

    def __init__(self, engine: Engine, verify_note: NoteVerifier) -> None:
        super().__init__(verify_note)
        self.engine = engine
        self._pinned = threading.local()  # this thread's snapshot connection, if any
        # log key -> (size, right edge) as this store last committed it: tree nodes
        # never change, so while the log still has that size the edge is the same.
        self._edges: dict[int, tuple[int, list[tuple[Node, bytes]]]] = {}

    def close(self) -> None:
        super().close()
        self.engine.dispose()

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads in this thread see one snapshot (PostgreSQL: REPEATABLE READ; SQLite: one
        read transaction, which WAL keeps stable)."""
        with _db("read a snapshot"), self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                self._pinned.conn = conn
                try:
                    yield
                finally:
                    self._pinned.conn = None

    @contextmanager
    def _conn(self, what: str) -> Iterator[Connection]:
        pinned: Connection | None = getattr(self._pinned, "conn", None)
        with _db(what):
            if pinned is not None:
                yield pinned
                return
            with self.engine.connect() as conn:
                yield conn

    def _read(self, stmt: Any, what: str) -> list[Any]:
        with self._conn(what) as conn:
            return list(conn.execute(stmt).all())

    def create_log(self, origin: str, vkey: str) -> None:
        check_origin(origin)
        if not isinstance(vkey, str) or not vkey:
            raise StoreError("a log needs a checkpoint verification key")
        with _db(f"create log {origin}"), _writing(self.engine) as conn:
            if conn.execute(select(logs.c.id).where(logs.c.origin == origin)).first():
                raise StoreError(f"log {origin!r} already exists")
            conn.execute(insert(logs).values(origin=origin, vkey=vkey, size=0))

    def logs(self) -> list[str]:
        return [r[0] for r in self._read(select(logs.c.origin).order_by(logs.c.origin), "list")]

    @contextmanager
    def appending(self, origin: str, sign: CheckpointSigner) -> Iterator[SqlAppendTx]:
        ref = self._ref(origin)
        with _db(f"append to {origin}"), _writing(self.engine) as conn:
            locked = select(logs.c.size).where(logs.c.id == ref.key).with_for_update()
            size = conn.execute(locked).scalar_one()
            writer = TreeWriter(origin, size, self._edge(conn, ref, size))
            tx = SqlAppendTx(conn, ref, writer)
            yield tx
            if writer.size == size:
                return
            cp = writer.sign(sign, self._verify_note, ref.vkey)
            rows = [(ref.key, level, idx, value) for (level, idx), value in writer.nodes]
            with pipelined(conn):
                tx.flush()
                if rows:
                    _insert_many(conn, "ledger_tree_nodes (log_id, level, idx, hash)", rows)
                conn.execute(update(logs).where(logs.c.id == ref.key).values(size=writer.size))
                conn.execute(insert(checkpoints).values(
                    log_id=ref.key, size=cp.size, root=cp.root, note=cp.note))
                conn.commit()
        with self._guard:  # committed: the edge is that of the log's new size
            self._edges[ref.key] = (writer.size, list(writer.edge))
        tx.checkpoint = cp

    def _edge(self, conn: Connection, ref: LogRef, size: int) -> list[tuple[Node, bytes]]:
        """The right edge of the tree of ``size`` entries (the nodes of its root)."""
        with self._guard:
            known = self._edges.get(ref.key)
        if known is not None and known[0] == size:
            return list(known[1])
        planned = subtree.root_nodes(size)
        hashes = _fetch(conn, ref, planned)
        if len(hashes) != len(planned):
            raise StoreError(f"log {ref.origin}: tree nodes at size {size} are missing")
        return [(n, hashes[n]) for n in planned]

    # -- primitives ---------------------------------------------------------------------

    def _lookup(self, origin: str) -> LogRef | None:
        stmt = select(logs.c.id, logs.c.vkey).where(logs.c.origin == origin)
        rows = self._read(stmt, f"read log {origin}")
        return LogRef(rows[0][0], origin, rows[0][1]) if rows else None

    def _size(self, ref: LogRef) -> int:
        rows = self._read(select(logs.c.size).where(logs.c.id == ref.key), "read a log head")
        return int(rows[0][0])

    def _extent(self, ref: LogRef) -> int:
        stmt = select(func.max(entries.c.seq)).where(entries.c.log_id == ref.key)
        top = self._read(stmt, f"read the end of {ref.origin}")[0][0]
        return 0 if top is None else int(top) + 1

    def _fetch_nodes(self, ref: LogRef, nodes: list[subtree.Node]) -> dict[subtree.Node, bytes]:
        with self._conn(f"read the tree of {ref.origin}") as conn:
            return _fetch(conn, ref, nodes)

    def _entry_rows(self, ref: LogRef, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        stmt = (
            select(entries.c.seq, entries.c.data, entries.c.leaf_hash)
            .where(entries.c.log_id == ref.key, entries.c.seq >= start, entries.c.seq < end)
            .order_by(entries.c.seq)
        )
        rows = self._read(stmt, f"read entries of {ref.origin}")
        return [(int(seq), _bytes(data), _bytes(leaf)) for seq, data, leaf in rows]

    def _level_rows(self, ref: LogRef, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        t = tree_nodes.c
        stmt = (
            select(t.idx, t.hash)
            .where(t.log_id == ref.key, t.level == level, t.idx >= start, t.idx < end)
            .order_by(t.idx)
        )
        return [(int(i), _bytes(h)) for i, h in self._read(stmt, f"read the tree of {ref.origin}")]

    def _checkpoint(self, ref: LogRef, size: int | None) -> StoredCheckpoint | None:
        c = checkpoints.c
        stmt = select(c.size, c.root, c.note).where(c.log_id == ref.key)
        stmt = stmt.order_by(c.size.desc()).limit(1) if size is None else stmt.where(c.size == size)
        rows = self._read(stmt, f"read checkpoints of {ref.origin}")
        return StoredCheckpoint(int(rows[0][0]), _bytes(rows[0][1]), rows[0][2]) if rows else None

    def _checkpoint_sizes(self, ref: LogRef, start: int, end: int) -> list[int]:
        c = checkpoints.c
        stmt = (select(c.size).where(c.log_id == ref.key, c.size >= start, c.size < end)
                .order_by(c.size))
        return [int(row[0]) for row in self._read(stmt, f"read checkpoints of {ref.origin}")]


def _insert_many(conn: Connection, target: str, rows: list[tuple[Any, ...]]) -> None:
    """Rows straight to the driver's executemany: the append path's hot loop, where
    SQLAlchemy's per-row parameter processing cost as much as the hashing."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(rows[0]))
    conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", rows)


def _bytes(value: Any) -> bytes:
    """A BLOB as bytes; SQLite's weak typing can hand back TEXT for a row edited by hand."""
    return value.encode() if isinstance(value, str) else bytes(value)


def _fetch(conn: Connection, ref: LogRef, nodes: list[subtree.Node]) -> dict[subtree.Node, bytes]:
    """The stored hashes of ``nodes`` in one statement (leaves UNION ALL inner nodes)."""
    leaves = [idx for level, idx in nodes if level == 0]
    inner = [node for node in nodes if node[0] > 0]
    parts = []
    if leaves:
        e = entries.c
        parts.append(
            select(literal_column("0").label("level"), e.seq.label("idx"), e.leaf_hash).where(
                e.log_id == ref.key, e.seq.in_(leaves)
            )
        )
    if inner:
        # One primary-key lookup per level, UNION ALL-ed: SQLite plans a row-value
        # ``(level, idx) IN (VALUES ...)`` (and an OR of levels) as a scan of every node
        # of the log, which made proofs O(n).
        t = tree_nodes.c
        by_level: dict[int, list[int]] = {}
        for level, idx in inner:
            by_level.setdefault(level, []).append(idx)
        parts.extend(
            select(t.level, t.idx, t.hash).where(
                t.log_id == ref.key, t.level == lv, t.idx.in_(ix)
            )
            for lv, ix in by_level.items()
        )
    if not parts:
        return {}
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    return {(int(lv), int(i)): _bytes(h) for lv, i, h in conn.execute(stmt).all()}


def open_store(url: str, verify_note: NoteVerifier, *, migrate_schema: bool = True,
               busy_timeout: float | None = None) -> SqlStore:
    """Open the store at ``url``: migrate to head, then check every log (O(log n) each).

    Logs that fail their check are listed by :meth:`LogStore.refused` and raise their
    :class:`~ledger.errors.IntegrityError` on every use; the others are served.
    Raises :class:`StoreError` if the database can't be reached or migrated.
    ``busy_timeout``: see :func:`make_engine`.
    """
    engine = make_engine(url, busy_timeout)
    if migrate_schema:
        migrate(engine)
    store = SqlStore(engine, verify_note)
    for origin in store.logs():
        try:
            store.check_log(origin)
        except StoreError:
            continue
    return store
