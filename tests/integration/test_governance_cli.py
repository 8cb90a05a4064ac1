"""``kakawari propose``, ``vote``, ``proposal show --json``, ``proposal list`` and
``proposal receipt`` against a running server, on SQLite and on PostgreSQL: an admin
proposes, members vote (and change their mind), everyone reads the provisional count
with its instant-runoff rounds, a voter checks her receipt; a member below the level is
refused in plain words."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from tests.integration.databases import SQL_ENGINES, database
from tests.integration.test_client_cli import _serve, run


@pytest.fixture(params=SQL_ENGINES)
def server(request: pytest.FixtureRequest, tmp_path: Path,
           ) -> Iterator[tuple[str, dict[str, str]]]:
    with database(request.param, tmp_path) as url:
        extra = {"KAKAWARI_SCRYPT_N": "1024"}
        if request.param != "sqlite":
            extra["KAKAWARI_DATABASE_URL"] = url
        yield from _serve(tmp_path, extra)
    # the server wrote where it was told to
    assert (tmp_path / "data" / "kakawari.db").exists() == (request.param == "sqlite")


def test_propose_vote_and_read_from_the_command_line(
        server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _, env = server
    admin, alice, bob = (tmp_path / f"{n}.json" for n in ("admin", "alice", "bob"))
    run(env, admin, "key", "from-region", "--region", "ama")
    addresses = []
    for key, name in ((alice, "Alice"), (bob, "Bob")):
        addresses.append(run(env, key, "key", "new").split()[0])
        run(env, key, "join", "--name", name)
    closes = str(int(time.time()) + 3 * 86400)
    refused = CliRunner().invoke(main, [
        "propose", "--title", "t", "--text", "x", "--closes", closes],
        env={**env, "KAKAWARI_KEY": str(alice)})
    assert refused.exit_code == 1 and "level 2" in refused.output
    proposal = run(env, admin, "propose", "--title", "祭りの日程", "--text", "いつにしますか",
                   "--method", "ranked", "--choice", "7月", "--choice", "8月",
                   "--choice", "9月", "--closes", closes)
    run(env, alice, "vote", proposal, "3", "1")
    run(env, bob, "vote", proposal, "2")
    run(env, bob, "vote", proposal, "1", "2")  # the last vote counts
    shown = json.loads(run(env, alice, "proposal", "show", proposal, "--json"))
    assert shown["status"] == "open" and shown["provisional"]
    assert shown["participation"] == {"voters": 2, "power": 2, "votes": 3}
    assert shown["eligible"] == {"voters": 2, "power": 2}  # the admin never joined
    assert shown["result"]["rounds"][0]["counts"] == [1, 0, 1]
    assert shown["result"]["winners"] == [0]
    text = run(env, alice, "proposal", "show", proposal)
    assert "祭りの日程" in text and "round 1" in text and "provisional" in text
    # her receipt, from the server, checked offline: both of Bob's votes are in the log
    mine = tmp_path / "receipt.json"
    run(env, bob, "proposal", "receipt", proposal, "--voter", addresses[1], "--out", str(mine))
    checked = run(env, bob, "audit", "verify-receipt", str(mine))
    assert checked.count("vote by") == 2 and "(7月 > 8月) is the one that counts" in checked
    assert "not decided yet" in checked
    listed = run(env, alice, "proposal", "list")
    assert proposal in listed and "ranked" in listed
    assert json.loads(run(env, alice, "proposal", "list", "--status", "closed", "--json")
                      )["total"] == 0
    budget = run(env, admin, "propose", "--title", "予算", "--text", "配分", "--method",
                 "budget", "--choice", "道=50", "--choice", "港=40", "--budget", "60",
                 "--closes", closes)
    over = CliRunner().invoke(main, ["vote", budget, "1", "2"],
                              env={**env, "KAKAWARI_KEY": str(alice)})
    assert over.exit_code == 1 and "more than the budget" in over.output
