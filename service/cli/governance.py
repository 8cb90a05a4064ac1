"""Proposals and votes from the command line, over HTTP like the other member commands:
``kakawari propose``, ``kakawari vote PROPOSAL``, ``kakawari proposal show PROPOSAL
[--json]``, ``kakawari proposal list``, ``kakawari proposal withdraw|cancel``,
``kakawari proposal receipt PROPOSAL --voter`` (check it with ``kakawari audit
verify-receipt``).

``propose`` and ``vote`` sign with your key (``--key``); ``show``, ``list`` and
``receipt`` need no key. Choices are numbered from 1 on the command line, as on the screen.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..client import Client
from .client import _emit, _receipt, _when, client_options

METHODS = ("for-against", "single", "approval", "ranked", "budget")
_FOR_AGAINST = {"for": 0, "against": 1, "abstain": 2, "賛成": 0, "反対": 1, "棄権": 2}


@click.command()
@click.option("--title", required=True)
@click.option("--text", "text", default=None, help="The full text voters see.")
@click.option("--text-file", type=click.File(encoding="utf-8"), default=None,
              help="Read the full text from a file ('-': standard input).")
@click.option("--method", type=click.Choice(METHODS), default="for-against", show_default=True)
@click.option("--choice", "choices", multiple=True,
              help="A choice (repeat; budget: 'name=cost'). for-against has none.")
@click.option("--budget", type=click.IntRange(0), default=0, help="budget: the total budget.")
@click.option("--opens", default=None, help="When voting opens (default now).")
@click.option("--closes", required=True, help="When voting closes (2026-08-15, ISO or Unix s).")
@click.option("--hide-totals", is_flag=True, help="Show no running totals until closing.")
@client_options()
def propose(c: Client, title: str, text: str | None, text_file: Any, method: str,
            choices: tuple[str, ...], budget: int, opens: str | None, closes: str,
            hide_totals: bool) -> None:
    """Make a proposal; prints its id."""
    body = text_file.read() if text_file is not None else text
    if not body:
        raise click.UsageError("give the full text with --text or --text-file")
    names, costs = list(choices), list[int]()
    if method == "budget":
        names = []
        for choice in choices:
            name, _, cost = choice.rpartition("=")
            if not name or not cost.isdigit():
                raise click.BadParameter(f"{choice!r}: a budget choice is 'name=cost'",
                                         param_hint="--choice")
            names.append(name)
            costs.append(int(cost))
    opens_at = _when(opens)
    _receipt(c.submit("/proposals", "Proposal", {
        "proposer": c.address, "title": title, "text": body, "method": method,
        "choices": names, "costs": costs, "budget": budget, "opensAt": opens_at,
        "closesAt": _when(closes), "hideTotals": hide_totals}))


def _ballot(method: str, picks: tuple[str, ...]) -> list[int]:
    out = []
    for pick in picks:
        if method == "for-against" and pick.lower() in _FOR_AGAINST:
            out.append(_FOR_AGAINST[pick.lower()])
        elif pick.isdigit() and int(pick) >= 1:
            out.append(int(pick) - 1)
        else:
            raise click.BadParameter(f"{pick!r}: give choice numbers from 1 (for / against / "
                                     "abstain for a yes-no proposal)")
    return sorted(out) if method in ("approval", "budget") else out


@click.command()
@click.argument("proposal")
@click.argument("choices", nargs=-1)
@client_options()
def vote(c: Client, proposal: str, choices: tuple[str, ...]) -> None:
    """Vote on PROPOSAL: CHOICES are choice numbers from 1 (ranked: in order of
    preference; approval and budget: every one you support; none: an empty ballot) or
    for / against / abstain. Voting again replaces your vote until closing."""
    shown = c.request("GET", f"/v1/regions/{c.region}/proposals/{proposal}")
    _receipt(c.submit(f"/proposals/{proposal}/votes", "Vote", {
        "voter": c.address, "proposal": proposal, "ballot": _ballot(shown["method"], choices)}))


@click.group("proposal")
def proposal_group() -> None:
    """Read, withdraw or cancel proposals."""


def _bar(part: int, whole: int, width: int = 20) -> str:
    filled = round(width * part / whole) if whole else 0
    return "█" * filled + "·" * (width - filled)


def _print(p: dict[str, Any]) -> None:
    click.echo(f"{p['title']}  [{p['status']}]  {p['method']}")
    click.echo(f"  id {p['id']}")
    part = p["participation"]
    click.echo(f"  voted: {part['voters']} of {p['eligible']['voters']} "
               f"(power {part['power']} of {p['eligible']['power']}; {part['votes']} votes)")
    result = p.get("result")
    if result is None:
        click.echo("  totals are hidden until voting closes")
        return
    total = sum(result["totals"]) or 1
    for i, (name, value) in enumerate(zip(result["choices"], result["totals"], strict=True), 1):
        mark = "✓" if i - 1 in result["winners"] else " "
        click.echo(f"  {mark} {i}. {name:<20} {_bar(value, total)} {value}")
    for n, r in enumerate(result.get("rounds") or [], 1):
        counts = ", ".join(f"{i + 1}:{v}" for i, v in enumerate(r["counts"]) if v is not None)
        out = f" -> {r['eliminated'] + 1} out" if r["eliminated"] is not None else ""
        click.echo(f"    round {n}: {counts} (exhausted {r['exhausted']}){out}")
    if result["method"] == "budget":
        click.echo(f"  funded (equal shares): {[i + 1 for i in result['winners']]}, spent "
                   f"{result['spent']} of {result['budget']}; greedy by votes: "
                   f"{[i + 1 for i in result['greedy']]}")
    verdict = "passed" if result["passed"] else "not passed"
    quorum = "reached" if result["quorum"]["reached"] else "not reached"
    click.echo(f"  {'provisional: ' if p['provisional'] else ''}{verdict} (quorum {quorum})")


@proposal_group.command("show")
@click.argument("proposal")
@click.option("--json", "as_json", is_flag=True, help="Everything, as JSON.")
@client_options(needs_key=False)
def proposal_show(c: Client, proposal: str, as_json: bool) -> None:
    """A proposal: status, eligible power, participation, result and rounds."""
    p = c.request("GET", f"/v1/regions/{c.region}/proposals/{proposal}")
    _emit(p) if as_json else _print(p)


@proposal_group.command("list")
@click.option("--status", type=click.Choice(["open", "closed"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@client_options(needs_key=False)
def proposal_list(c: Client, status: str | None, as_json: bool) -> None:
    """Proposals, newest first."""
    query = f"?status={status}" if status else ""
    out = c.request("GET", f"/v1/regions/{c.region}/proposals{query}")
    if as_json:
        _emit(out)
        return
    for p in out["items"]:
        click.echo(f"{p['id']}  {p['status']:<9} {p['method']:<11} {p['votes']:>4} votes  "
                   f"{p['title']}")


@proposal_group.command("withdraw")
@click.argument("proposal")
@click.option("--reason", default="", help="Why (optional).")
@client_options()
def proposal_withdraw(c: Client, proposal: str, reason: str) -> None:
    """Withdraw your proposal (only before anyone voted)."""
    _receipt(c.submit(f"/proposals/{proposal}/withdrawals", "Withdrawal", {
        "proposer": c.address, "proposal": proposal, "reason": reason}))


@proposal_group.command("cancel")
@click.argument("proposal")
@click.option("--reason", required=True, help="Why (shown to members).")
@client_options()
def proposal_cancel(c: Client, proposal: str, reason: str) -> None:
    """Cancel a proposal (admin)."""
    _receipt(c.submit(f"/proposals/{proposal}/cancellations", "Cancellation", {
        "admin": c.address, "proposal": proposal, "reason": reason}))


@proposal_group.command("receipt")
@click.argument("proposal")
@click.option("--voter", required=True, help="Your address (0x…): the voter of the receipt.")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-",
              help="Write the receipt here (default: standard output).")
@client_options(needs_key=False)
def proposal_receipt(c: Client, proposal: str, voter: str, out: Any) -> None:
    """A voter's receipt from the server: the proposal, your votes on it and, once
    decided, its decision, each proven in the region's signed log. Check it yourself,
    offline, with `kakawari audit verify-receipt FILE`: your votes are in the log and
    the decision counts your last one."""
    data = c.request("GET", f"/v1/regions/{c.region}/proposals/{proposal}/receipt"
                     f"?voter={voter}")
    out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
