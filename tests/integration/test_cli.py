"""The issue's commands end to end, on SQLite and PostgreSQL: init, demo seed, verify,
checkpoint, region show — and verify naming the entry a tamperer changed."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.checkpoint import open_checkpoint
from ledger.note import parse_vkey
from service.cli import main
from tests.integration.databases import SQL_ENGINES, database, tamper


@pytest.fixture(params=SQL_ENGINES)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    with database(request.param, tmp_path) as url:
        yield {
            "KAKAWARI_DATA_DIR": str(tmp_path / "data"),
            "KAKAWARI_DATABASE_URL": url,
            "KAKAWARI_PASSPHRASE": "correct horse battery staple",
            "KAKAWARI_SCRYPT_N": "1024",
        }


def run(env: dict[str, str], *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def test_init_seed_verify_checkpoint_show(env: dict[str, str]) -> None:
    out = run(env, "init", "--region", "ama", "--name", "海士町").stdout
    assert "admin:" in out and "(a new key" in out
    ids = run(env, "demo", "seed", "--region", "ama", "--members", "8", "--claims", "12")
    claims = ids.stdout.split()
    assert len(claims) == 12 and all(len(c) == 66 and c.startswith("0x") for c in claims)
    assert "ok:" in run(env, "verify", "--region", "ama").stdout

    show = json.loads(run(env, "region", "show", "ama", "--json").stdout)
    note = run(env, "checkpoint", "--region", "ama").stdout
    cp = open_checkpoint(note, parse_vkey(show["vkey"]), "kakawari/ama")
    assert cp.size == show["size"] > 12
    assert "0x" + cp.root.hex() == show["root"]
    assert show["name"] == "海士町" and show["chainId"] == 31337

    # keys are sealed at rest and never printed
    keys = Path(env["KAKAWARI_DATA_DIR"], "regions", "ama")
    for path in keys.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert json.loads(path.read_text())["kakawari-sealed"] == 1


def test_verify_names_the_entry_changed_behind_the_triggers(env: dict[str, str]) -> None:
    run(env, "init", "--region", "ama", "--name", "Ama")
    run(env, "demo", "seed", "--region", "ama", "--members", "6", "--claims", "6")
    url = env["KAKAWARI_DATABASE_URL"]
    tamper(url, "ledger_entries",
           "UPDATE ledger_entries SET data = :d WHERE seq = 5",
           d=b'{"v":1}')
    result = run(env, "verify", "--region", "ama", code=1)
    assert "FAILED at entry 5" in result.stderr


def test_verify_names_a_changed_tree_node(env: dict[str, str]) -> None:
    run(env, "init", "--region", "ama", "--name", "Ama")
    run(env, "demo", "seed", "--region", "ama", "--members", "6", "--claims", "10")
    # level-1 node 2 covers entries 4 and 5; it is inside the tree, not on the path the
    # open-time O(log n) check reads, so only the full verify can find it
    tamper(env["KAKAWARI_DATABASE_URL"], "ledger_tree_nodes",
           "UPDATE ledger_tree_nodes SET hash = :h WHERE level = 1 AND idx = 2",
           h=b"\x00" * 32)
    result = run(env, "verify", "--region", "ama", code=1)
    assert "FAILED at entry 4" in result.stderr


def test_wrong_passphrase_and_missing_region(env: dict[str, str]) -> None:
    run(env, "init", "--region", "ama", "--name", "Ama")
    bad = {**env, "KAKAWARI_PASSPHRASE": "wrong"}
    assert "wrong passphrase" in run(bad, "demo", "seed", "--region", "ama", code=3).stderr
    assert "no region" in run(env, "verify", "--region", "nope", code=3).stderr
    assert "already exists" in run(env, "init", "--region", "ama", "--name", "X", code=3).stderr
    assert run(env, "init", "--region", "Bad_Id", "--name", "X", code=2).exit_code == 2


def test_non_interactive_passphrase_file(tmp_path: Path) -> None:
    env = {"KAKAWARI_DATA_DIR": str(tmp_path / "d"), "KAKAWARI_SCRYPT_N": "1024"}
    os.environ.pop("KAKAWARI_PASSPHRASE", None)
    out = run(env, "init", "--region", "ama", "--name", "Ama")
    secret_file = tmp_path / "d" / "passphrase"
    assert "created key-encryption secret" in out.stderr
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert secret not in out.output
    run(env, "demo", "seed", "--region", "ama", "--claims", "1")
    secret_file.chmod(0o644)
    assert "chmod 600" in run(env, "demo", "seed", "--region", "ama", code=3).stderr


def test_two_demo_seeds_at_the_same_time_both_succeed(env: dict[str, str]) -> None:
    """Issue 12 §7: each seed had the operator's admin join, and the slower one failed
    with "has already joined region"."""
    import subprocess
    import sys

    run(env, "init", "--region", "ama", "--name", "海士町")
    full = {**os.environ, **env}
    kakawari = str(Path(sys.executable).with_name("kakawari"))
    seeds = [subprocess.Popen([kakawari, "demo", "seed", "--region",
                               "ama", "--members", "4", "--claims", "3"], env=full,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outcomes = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
                for p in seeds]
    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert all(len(out.split()) == 3 for _, out, _ in outcomes)
    from sqlalchemy import create_engine, text

    engine = create_engine(env["KAKAWARI_DATABASE_URL"])
    with engine.connect() as conn:
        joined = conn.execute(text("SELECT count(*) FROM svc_members WHERE region = 'ama'"))
        assert joined.scalar_one() == 2 * 4 + 1  # the admin joined once
    engine.dispose()
    assert "ok:" in run(env, "verify", "--region", "ama").stdout


def test_rebuild_check_right_after_init_finds_the_projections_identical(
        env: dict[str, str]) -> None:
    """``init`` appends without the domain; the check compares with what the service
    would show (it catches up first), not with projections never applied."""
    run(env, "init", "--region", "ama", "--name", "海士町")
    assert "identical" in run(env, "rebuild", "--region", "ama", "--check").stdout
