"""Quests people join, check-in and perks from the command line (issue 14): more
``kakawari quest`` subcommands (``post``, ``decide``, ``edit``, ``close``, ``signup``,
``cancel``, ``signups``, ``checkin``) and the ``kakawari perk`` group (``new``,
``list``, ``redeem``, ``hand-over``, ``cancel``, ``balance``). They sign locally with
the key file and talk to ``--server`` like the other member commands
(:mod:`.client`). Points are never transferred or cashed out: there is no command for
either because there is no entry for either.
"""

from __future__ import annotations

from typing import Any

import click

from ..client import Client
from .client import ZERO32, _emit, _receipt, _when, client_options, quest_group

__all__ = ["perk_group", "quest_group"]

ZERO_ADDRESS = "0x" + "00" * 20


def _quest_options(fn: Any) -> Any:
    for option in reversed([
        click.option("--title", required=True),
        click.option("--category", required=True),
        click.option("--starts", required=True, help="Start (ISO 8601 date/time)."),
        click.option("--ends", required=True, help="End, or last day of a period."),
        click.option("--description", default=""),
        click.option("--place", default="", help="Place name."),
        click.option("--geo", default="", help='"latitude,longitude" (optional).'),
        click.option("--online", is_flag=True, help="Online rather than on site."),
        click.option("--capacity", default=0, type=click.IntRange(0, 100_000),
                     help="Most sign-ups (0: no limit)."),
        click.option("--contact", default=None, help="Contact member (default: you)."),
        click.option("--tags", default="", help="Comma-separated tags."),
        click.option("--points", default=0, type=click.IntRange(0, 10_000),
                     help="Bonus points (admins)."),
    ]):
        fn = option(fn)
    return fn


def _public(c: Client, title: str, category: str, starts: str, ends: str, description: str,
            place: str, geo: str, online: bool, capacity: int, contact: str | None,
            tags: str, points: int) -> dict[str, Any]:
    return {"title": title, "category": category, "points": points,
            "opensAt": _when(starts), "closesAt": _when(ends), "description": description,
            "place": place, "geo": geo, "online": online, "capacity": capacity,
            "contact": contact or c.address, "tags": tags}


@quest_group.command("post")
@_quest_options
@client_options()
def quest_post(c: Client, **fields: Any) -> None:
    """Post a quest people sign up for (admins), or propose one (members at the
    policy's level); prints its id."""
    _receipt(c.submit("/quest-posts", "QuestPost", {
        "author": c.address, **_public(c, **fields), "detailsHash": ZERO32}))


@quest_group.command("edit")
@click.argument("quest_id")
@_quest_options
@client_options()
def quest_edit(c: Client, quest_id: str, **fields: Any) -> None:
    """Replace a quest's public fields (admins)."""
    _receipt(c.submit(f"/quests/{quest_id}/edits", "QuestEdit", {
        "admin": c.address, "quest": quest_id, **_public(c, **fields)}))


@quest_group.command("decide")
@click.argument("quest_id")
@click.option("--publish/--decline", required=True)
@click.option("--reason", default="", help="Needed to decline.")
@client_options()
def quest_decide(c: Client, quest_id: str, publish: bool, reason: str) -> None:
    """Publish or decline a proposed quest (admins and verifiers)."""
    _receipt(c.submit(f"/quests/{quest_id}/decisions", "QuestDecision", {
        "reviewer": c.address, "quest": quest_id, "publish": publish, "reason": reason}))


@quest_group.command("close")
@click.argument("quest_id")
@click.option("--reason", default="")
@client_options()
def quest_close(c: Client, quest_id: str, reason: str) -> None:
    """Close a quest: no more sign-ups or answers (admins)."""
    _receipt(c.submit(f"/quests/{quest_id}/closure", "QuestClosure", {
        "admin": c.address, "quest": quest_id, "reason": reason}))


def _sign_up(c: Client, quest_id: str, joined: bool) -> None:
    _receipt(c.submit(f"/quests/{quest_id}/signups", "SignUp", {
        "member": c.address, "quest": quest_id, "joined": joined}))


@quest_group.command("signup")
@click.argument("quest_id")
@client_options()
def quest_signup(c: Client, quest_id: str) -> None:
    """Sign up for a quest."""
    _sign_up(c, quest_id, True)


@quest_group.command("cancel")
@click.argument("quest_id")
@client_options()
def quest_cancel(c: Client, quest_id: str) -> None:
    """Cancel your sign-up."""
    _sign_up(c, quest_id, False)


@quest_group.command("signups")
@click.argument("quest_id")
@client_options(needs_key=False)
def quest_signups(c: Client, quest_id: str) -> None:
    """Who signed up for a quest."""
    _emit(c.request("GET", f"/v1/regions/{c.region}/quests/{quest_id}/signups"))


@quest_group.command("checkin")
@click.argument("quest_id")
@click.option("--hours", default=3, type=click.IntRange(1, 24), help="How long it stays open.")
@client_options()
def quest_checkin(c: Client, quest_id: str, hours: int) -> None:
    """Open a quest's check-in from now (its organiser); the web app shows the QR code."""
    now = _when(None)
    _receipt(c.submit(f"/quests/{quest_id}/checkin-windows", "CheckInWindow", {
        "organiser": c.address, "quest": quest_id, "opensAt": now,
        "closesAt": now + hours * 3600}))


@click.group("perk")
def perk_group() -> None:
    """Perks (特典) members redeem with spendable points (earned − redeemed)."""


@perk_group.command("new")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--cost", required=True, type=click.IntRange(1, 1_000_000), help="Points.")
@click.option("--stock", required=True, type=click.IntRange(0, 100_000), help="How many.")
@click.option("--until", "valid_until", required=True, help="Redeemable until (date).")
@click.option("--place", default="", help="Where to collect it.")
@click.option("--perk", "perk_id", default=None, help="Change this perk instead of listing one.")
@client_options()
def perk_new(c: Client, title: str, description: str, cost: int, stock: int, valid_until: str,
             place: str, perk_id: str | None) -> None:
    """List a perk, or change one with --perk (admins); prints its id."""
    _receipt(c.submit("/perks", "Perk", {
        "admin": c.address, "perk": perk_id or ZERO32, "title": title,
        "description": description, "cost": cost, "stock": stock,
        "validUntil": _when(valid_until), "place": place}))


@perk_group.command("list")
@click.option("--valid", is_flag=True, help="Only those redeemable now.")
@client_options(needs_key=False)
def perk_list(c: Client, valid: bool) -> None:
    """List perks with their cost and stock left."""
    _emit(c.request("GET", f"/v1/regions/{c.region}/perks",
                    params={"valid": "true" if valid else "false"}))


@perk_group.command("redeem")
@click.argument("perk_id")
@client_options()
def perk_redeem(c: Client, perk_id: str) -> None:
    """Redeem a perk for its cost in spendable points; prints the redemption id."""
    perk = c.request("GET", f"/v1/regions/{c.region}/perks/{perk_id}")
    _receipt(c.submit(f"/perks/{perk_id}/redemptions", "Redemption", {
        "member": c.address, "perk": perk_id, "cost": perk["cost"]}))


def _status(c: Client, redemption: str, status: str, reason: str) -> None:
    _receipt(c.submit(f"/redemptions/{redemption}/status", "RedemptionStatus", {
        "actor": c.address, "redemption": redemption, "status": status, "reason": reason}))


@perk_group.command("hand-over")
@click.argument("redemption_id")
@client_options()
def perk_hand_over(c: Client, redemption_id: str) -> None:
    """Mark a redemption handed over (admins: the office)."""
    _status(c, redemption_id, "handed-over", "")


@perk_group.command("cancel")
@click.argument("redemption_id")
@click.option("--reason", default="")
@client_options()
def perk_cancel(c: Client, redemption_id: str, reason: str) -> None:
    """Cancel a redemption not handed over yet (yours, or any as an admin): the points
    return."""
    _status(c, redemption_id, "cancelled", reason)


@perk_group.command("balance")
@client_options()
def perk_balance(c: Client) -> None:
    """Your lifetime, redeemed and spendable points."""
    who = c.address
    _emit(c.request("GET", f"/v1/regions/{c.region}/members/{who.lower()}/balance"))
