"""Issue 14 from the command line against a running ``kakawari serve``: an admin posts
a quest people sign up for, a member signs up and cancels, another finds it full, the
admin edits and closes it and opens its check-in; perks are listed, redeemed from the
spendable balance and handed over."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main
from tests.integration.test_client_cli import run, server  # noqa: F401 (fixture)


def refused(env: dict[str, str], key: Path, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={**env, "KAKAWARI_KEY": str(key)},
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.output


def test_quests_sign_ups_check_in_and_perks_from_the_command_line(
        server: tuple[str, dict[str, str]], tmp_path: Path) -> None:  # noqa: F811
    _, env = server
    admin, alice, bob = (tmp_path / f"{n}.json" for n in ("admin", "alice", "bob"))
    run(env, admin, "key", "from-region", "--region", "ama")
    run(env, alice, "key", "new")
    bob_address = run(env, bob, "key", "new").split()[0]
    for key, name in ((admin, "役場"), (alice, "Alice"), (bob, "Bob")):
        run(env, key, "join", "--name", name)
    run(env, admin, "role", "grant", bob_address, "verifier")
    quest = run(env, admin, "quest", "post", "--title", "浜の清掃", "--category", "cleanup",
                "--starts", "2020-01-01", "--ends", "2099-01-01", "--place", "菱浦港",
                "--capacity", "1", "--tags", "海,清掃", "--points", "10")
    run(env, alice, "quest", "signup", quest)
    assert "full" in refused(env, bob, "quest", "signup", quest)
    signups = json.loads(run(env, admin, "quest", "signups", quest))
    assert signups["full"] and [s["displayName"] for s in signups["items"]] == ["Alice"]
    run(env, alice, "quest", "cancel", quest)
    run(env, bob, "quest", "signup", quest)
    run(env, admin, "quest", "edit", quest, "--title", "浜の清掃（日曜）", "--category",
        "cleanup", "--starts", "2020-01-01", "--ends", "2099-01-01", "--capacity", "3",
        "--points", "10")
    run(env, admin, "quest", "checkin", quest, "--hours", "2")
    shown = json.loads(run(env, admin, "quest", "list"))["items"][0]
    assert (shown["title"], shown["capacity"], shown["signups"]) == ("浜の清掃（日曜）", 3, 1)
    # points to spend: an approved claim answering the quest (5 + 10 + 10 points)
    claim = run(env, alice, "claim", "--category", "cleanup", "--title", "Beach",
                "--minutes", "60", "--quest", quest)
    run(env, bob, "review", claim, "--approve", "--reason", "seen it")
    perk = run(env, admin, "perk", "new", "--title", "温泉券", "--cost", "20", "--stock", "1",
               "--until", "2099-01-01", "--place", "役場")
    redemption = run(env, alice, "perk", "redeem", perk)
    assert json.loads(run(env, alice, "perk", "balance")) == {
        "lifetimePoints": 25, "redeemedPoints": 20, "spendablePoints": 5}
    assert "out of stock" in refused(env, bob, "perk", "redeem", perk)
    run(env, admin, "perk", "hand-over", redemption)
    assert "settled" in refused(env, alice, "perk", "cancel", redemption)
    assert json.loads(run(env, alice, "perk", "list"))["items"][0]["left"] == 0
    run(env, admin, "quest", "close", quest, "--reason", "終了")
    assert "not taking part" in refused(env, alice, "quest", "signup", quest)
