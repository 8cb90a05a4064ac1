"""Empty databases for integration tests: a SQLite file, or a fresh PostgreSQL schema.

PostgreSQL comes from ``KAKAWARI_TEST_PG_URL`` (default: the local server of this
machine kind); when it can't be reached the test skips locally and FAILS when CI=true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import skip_or_fail

PG_URL = os.environ.get(
    "KAKAWARI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SQL_ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``kind`` (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    admin = create_engine(PG_URL)
    schema = "t_" + uuid.uuid4().hex[:12]
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


def tamper(url: str, table: str, sql: str, **params: object) -> None:
    """Run ``sql`` on ``table`` behind its triggers' back, then restore them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                with conn.begin():
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                    conn.execute(text(sql), params)
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
                return
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
            triggers = conn.execute(text(query), {"t": table}).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            conn.execute(text(sql), params)
            for _, ddl in triggers:
                conn.execute(text(ddl))
            conn.commit()
    finally:
        engine.dispose()
