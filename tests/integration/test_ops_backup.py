"""Backups (issue 13): ``kakawari backup --out`` copies the live SQLite database and
checks the copy; ``kakawari restore`` puts a backup back and the log verifies, but
refuses (changing nothing) a backup whose log does not verify or that is older than
the last anchored checkpoint. On PostgreSQL, ``backup --check URL`` checks a database
restored from ``pg_dump``, and ``backup --out`` says how to use pg_dump."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.chain import anchor_region
from service.cli import main
from tests.integration.chain_fixtures import make_env
from tests.integration.databases import PG_URL, database, tamper
from tests.integration.ops_fixtures import service_env
from tests.integration.service_fixtures import ZERO32, Person, World, world

ORIGIN = "kakawari/ama"


def cli(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def claims(w: World, n: int) -> None:
    who = Person(w.region)
    w.domain.submit(w.region, [who.sign("Join", displayName="Hana")])
    for i in range(n):
        w.domain.submit(w.region, [who.sign(
            "Claim", category="cleanup", title=f"Work {i}", minutes=30,
            occurredAt=int(time.time()) - 60, quest=ZERO32, coContributors=[],
            detailsHash=ZERO32)])


def size(w: World) -> int:
    return w.regions.store.log_info(ORIGIN).size


@pytest.mark.chain
def test_backup_restore_and_what_restore_refuses(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        env = service_env(w.settings.data_dir, url)
        claims(w, 2)
        early = tmp_path / "early.db"
        made = cli(env, "backup", "--out", str(early))
        assert made.exit_code == 0, made.output
        assert f"ama: {size(w)} entries" in made.output and "1 logs verified" in made.output
        early_size = size(w)
        claims(w, 1)

        chain = make_env("pyevm")  # an anchor after the early backup
        anchor_region(w.regions, w.domain, chain.client(0), w.region)
        anchored = size(w) - 1
        late = tmp_path / "late.db"
        assert cli(env, "backup", "--out", str(late)).exit_code == 0
        late_size = size(w)
        claims(w, 1)  # written after the last backup, not anchored
        extra = size(w) - late_size

        refused = cli(env, "restore", str(early))
        assert refused.exit_code == 1, refused.output
        assert f"holds {early_size} entries" in refused.output
        assert f"anchors {anchored}: it is older than the last anchored checkpoint" \
            in refused.output
        assert size(w) == late_size + extra  # nothing changed

        broken = tmp_path / "broken.db"
        shutil.copy(late, broken)
        tamper(f"sqlite:///{broken}", "ledger_entries",
               "UPDATE ledger_entries SET data = CAST(replace(CAST(data AS TEXT), 'Work 0', "
               "'Work 9') AS BLOB) WHERE seq = :seq", seq=2)
        refused = cli(env, "restore", str(broken))
        assert refused.exit_code == 1 and "REFUSED" in refused.output, refused.output

        w.regions.store.close()  # the service is stopped for a restore
        restored = cli(env, "restore", str(late))
        assert restored.exit_code == 0, restored.output
        assert f"{extra} entries more" in restored.output  # what the restore gives up, said
        assert list(tmp_path.glob("ledger.db.replaced-*"))  # the replaced one is kept
        verified = cli(env, "verify", "--region", "ama")
        assert verified.exit_code == 0, verified.output
        assert f"ok: {late_size} entries" in verified.output


@pytest.mark.postgres
def test_postgres_backup_is_pg_dump_then_a_check(tmp_path: Path) -> None:
    with database("postgres", tmp_path) as url, world(tmp_path, url) as w:
        env = service_env(w.settings.data_dir, url)
        claims(w, 2)
        told = cli(env, "backup", "--out", str(tmp_path / "x.db"))
        assert told.exit_code == 3 and "pg_dump" in told.output
        schema = make_url(url).query["options"].removeprefix("-csearch_path=")
        dump = tmp_path / "kakawari.dump"
        pg = make_url(PG_URL).set(drivername="postgresql").render_as_string(
            hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", "--schema", schema, "--file", str(dump),
                        pg], check=True, timeout=60)
        scratch = "r_" + uuid.uuid4().hex[:12]  # restore into a new database, as documented
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {scratch}"))
            into = make_url(pg).set(database=scratch)
            subprocess.run(["pg_restore", "--no-owner", "--dbname",
                            into.render_as_string(hide_password=False), str(dump)],
                           check=True, capture_output=True, timeout=60)
            restored = make_url(PG_URL).set(database=scratch).update_query_dict(
                {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
            checked = cli(env, "backup", "--check", restored)
            assert checked.exit_code == 0, checked.output
            assert f"ama: {size(w)} entries" in checked.output
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
            admin.dispose()
