"""Member and admin commands that sign locally and talk to a server: ``kakawari key
new|import|show``, ``join``, ``claim``, ``confirm``, ``review``, ``endorse``, ``quest``,
``role``, ``policy``, ``revoke``, ``reinstate``, ``invite``, ``erase``, ``member``.

The server is ``--server`` (or ``KAKAWARI_SERVER``, default http://127.0.0.1:8000), the
region ``--region`` (or ``KAKAWARI_REGION``), the key file ``--key`` (or
``KAKAWARI_KEY``, default ``~/.config/kakawari/key.json``) and its passphrase
``KAKAWARI_KEY_PASSPHRASE`` or a prompt.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click

from ..client import Client, ClientError, default_key_path, load_key, save_key

ZERO32 = "0x" + "00" * 32


def _passphrase(confirm: bool = False) -> str:
    value = os.environ.get("KAKAWARI_KEY_PASSPHRASE")
    if value:
        return value
    if not sys.stdin.isatty():
        raise click.ClickException("set KAKAWARI_KEY_PASSPHRASE or run on a terminal")
    text: str = click.prompt("Passphrase of your key", hide_input=True,
                             confirmation_prompt=confirm)
    return text


def _when(value: str | None) -> int:
    """A date/time (ISO 8601, e.g. 2026-08-15 or 2026-08-15T10:00+09:00) or Unix seconds."""
    if value is None:
        return int(time.time())
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-08-15") from None
    return int(parsed.timestamp())


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def client_options(needs_key: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @click.option("--server", envvar="KAKAWARI_SERVER", default="http://127.0.0.1:8000",
                      show_default=True, help="The Kakawari server.")
        @click.option("--region", envvar="KAKAWARI_REGION", required=True, help="Region id.")
        @click.option("--key", "key_path", envvar="KAKAWARI_KEY", type=click.Path(path_type=Path),
                      default=None, help="Keystore file (default ~/.config/kakawari/key.json).")
        @wraps(fn)
        def wrapper(server: str, region: str, key_path: Path | None, **kwargs: Any) -> None:
            key = load_key(key_path or default_key_path(), _passphrase()) if needs_key else None
            client = Client(server, region, key)
            try:
                fn(client, **kwargs)
            except ClientError as exc:
                click.echo(f"kakawari: {exc}", err=True)
                sys.exit(1)
        return wrapper
    return decorate


# -- keys ---------------------------------------------------------------------------------


@click.group("key")
def key_group() -> None:
    """Your signing key (a keystore v3 file any Ethereum wallet can import)."""


@key_group.command("new")
@click.option("--key", "key_path", envvar="KAKAWARI_KEY", type=click.Path(path_type=Path))
def key_new(key_path: Path | None) -> None:
    """Create a new key, encrypted with a passphrase."""
    path = key_path or default_key_path()
    if path.exists():
        raise click.ClickException(f"{path} exists; choose another --key")
    address = save_key(path, secrets.token_bytes(32), _passphrase(confirm=True))
    click.echo(f"{address}  (saved in {path})")


@key_group.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_path", envvar="KAKAWARI_KEY", type=click.Path(path_type=Path))
def key_import(source: Path, key_path: Path | None) -> None:
    """Import a key: a keystore v3 JSON (e.g. exported from the service), or a file
    holding a 0x-hex private key."""
    text = source.read_text().strip()
    passphrase = _passphrase()
    if text.startswith("{"):
        from eth_account import Account

        try:
            key = bytes(Account.decrypt(json.loads(text), passphrase))
        except ValueError:
            raise click.ClickException("wrong passphrase or not a keystore file") from None
    else:
        try:
            key = bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise click.ClickException("the file holds no hex private key") from None
        if len(key) != 32:
            raise click.ClickException("a private key is 32 bytes")
    path = key_path or default_key_path()
    if path.exists():
        raise click.ClickException(f"{path} exists; choose another --key")
    click.echo(f"{save_key(path, key, passphrase)}  (saved in {path})")


@key_group.command("from-region")
@click.option("--region", required=True, help="Region whose operator admin key to export.")
@click.option("--key", "key_path", envvar="KAKAWARI_KEY", type=click.Path(path_type=Path))
def key_from_region(region: str, key_path: Path | None) -> None:
    """On the server: write the admin key that ``kakawari init`` created for the
    operator as a keystore file, so the client commands can act as admin."""
    from .base import opened

    with opened(keys=True) as c:
        secret = c.regions.admin_key(region)
    path = key_path or default_key_path()
    if path.exists():
        raise click.ClickException(f"{path} exists; choose another --key")
    click.echo(f"{save_key(path, secret, _passphrase(confirm=True))}  (saved in {path})")


@key_group.command("show")
@click.option("--key", "key_path", envvar="KAKAWARI_KEY", type=click.Path(path_type=Path))
def key_show(key_path: Path | None) -> None:
    """Print your address."""
    path = key_path or default_key_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        raise click.ClickException(f"no keystore at {path}") from None
    click.echo("0x" + str(data.get("address", "")).removeprefix("0x").lower())


# -- actions ------------------------------------------------------------------------------


def _receipt(out: dict[str, Any]) -> None:
    if out.get("id"):
        click.echo(out["id"])
    for e in out.get("entries", []):
        click.echo(f"  entry {e['seq']}: {e['type']}", err=True)


@click.command()
@click.option("--name", required=True, help="Your display name.")
@client_options()
def join(c: Client, name: str) -> None:
    """Join the region."""
    _receipt(c.submit("/members", "Join", {"member": c.address, "displayName": name}))


@click.command()
@click.option("--category", required=True)
@click.option("--title", required=True)
@click.option("--minutes", required=True, type=click.IntRange(1, 10_080))
@click.option("--when", "occurred", help="When it happened (2026-08-15, ISO time or Unix s).")
@click.option("--quest", default=None, help="Id of the quest it answers.")
@click.option("--with", "others", multiple=True, help="A co-contributor's address (repeat).")
@click.option("--details", default=None, help="Private notes (kept off the log).")
@click.option("--photo", "photos", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="A private photo (repeat).")
@client_options()
def claim(c: Client, category: str, title: str, minutes: int, occurred: str | None,
          quest: str | None, others: tuple[str, ...], details: str | None,
          photos: tuple[Path, ...]) -> None:
    """Claim a contribution; prints its id."""
    digest = ZERO32
    if details or photos:
        from ..domain.details import details_hash

        body: dict[str, Any] = {"text": details or "", "files": [
            {"name": p.name, "type": mimetypes.guess_type(p.name)[0] or "application/octet-stream",
             "data": base64.b64encode(p.read_bytes()).decode()} for p in photos]}
        salt = secrets.token_bytes(16)
        digest = details_hash(salt, body)
        c.sign_in()
        c.request("PUT", f"/v1/regions/{c.region}/details/{digest}",
                  json={"salt": "0x" + salt.hex(), "details": body})
    _receipt(c.submit("/claims", "Claim", {
        "contributor": c.address, "category": category, "title": title, "minutes": minutes,
        "occurredAt": _when(occurred), "quest": quest or ZERO32, "coContributors": list(others),
        "detailsHash": digest}))


@click.command()
@click.argument("claim_id")
@client_options()
def confirm(c: Client, claim_id: str) -> None:
    """Confirm your part in a claim that names you."""
    _receipt(c.submit(f"/claims/{claim_id}/confirmations", "Confirmation",
                      {"coContributor": c.address, "claim": claim_id}))


@click.command()
@click.argument("claim_id")
@click.option("--approve/--reject", required=True)
@click.option("--reason", default="", help="Required to reject.")
@client_options()
def review(c: Client, claim_id: str, approve: bool, reason: str) -> None:
    """Approve or reject a claim (verifiers)."""
    _receipt(c.submit(f"/claims/{claim_id}/reviews", "Review",
                      {"reviewer": c.address, "claim": claim_id, "approve": approve,
                       "reason": reason}))


@click.command()
@click.argument("claim_id")
@click.option("--amount", required=True, type=click.IntRange(1, 10_000))
@click.option("--note", default="")
@client_options()
def endorse(c: Client, claim_id: str, amount: int, note: str) -> None:
    """Endorse someone's contribution from your budget."""
    _receipt(c.submit(f"/claims/{claim_id}/endorsements", "Endorsement",
                      {"endorser": c.address, "claim": claim_id, "amount": amount,
                       "note": note}))


@click.group("quest")
def quest_group() -> None:
    """Quests (かかわりしろ): opportunities a region posts."""


@quest_group.command("new")
@click.option("--title", required=True)
@click.option("--category", required=True)
@click.option("--points", required=True, type=click.IntRange(0, 10_000))
@click.option("--opens", default=None, help="Opening date (default now).")
@click.option("--closes", required=True, help="Closing date.")
@client_options()
def quest_new(c: Client, title: str, category: str, points: int, opens: str | None,
              closes: str) -> None:
    """Post a quest (admins); prints its id."""
    _receipt(c.submit("/quests", "Quest", {
        "admin": c.address, "title": title, "category": category, "points": points,
        "opensAt": _when(opens), "closesAt": _when(closes), "detailsHash": ZERO32}))


@quest_group.command("list")
@click.option("--open", "open_now", is_flag=True, help="Only quests open now.")
@client_options(needs_key=False)
def quest_list(c: Client, open_now: bool) -> None:
    """List quests."""
    _emit(c.request("GET", f"/v1/regions/{c.region}/quests",
                    params={"open": "true" if open_now else "false"}))


@click.command()
@click.argument("action", type=click.Choice(["grant", "revoke"]))
@click.argument("address")
@click.argument("role", type=click.Choice(["admin", "verifier", "auditor"]))
@client_options()
def role(c: Client, action: str, address: str, role: str) -> None:
    """Grant or withdraw a member's role (admins)."""
    _receipt(c.submit("/roles", "Role", {"admin": c.address, "member": address, "role": role,
                                         "granted": action == "grant"}))


@click.command()
@click.argument("policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@client_options()
def policy(c: Client, policy_file: Path) -> None:
    """Publish a points policy from a JSON file as the next version (admins)."""
    text = json.dumps(json.loads(policy_file.read_text()), ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True)
    current = c.request("GET", f"/v1/regions/{c.region}/policy")["version"]
    _receipt(c.submit("/policy", "Policy", {"admin": c.address, "version": current + 1,
                                            "policy": text}))


@click.command()
@click.argument("claim_id")
@click.option("--reason", required=True)
@client_options()
def revoke(c: Client, claim_id: str, reason: str) -> None:
    """Revoke a claim; its points stop counting (admins)."""
    _receipt(c.submit("/revocations", "Revocation",
                      {"admin": c.address, "claim": claim_id, "reason": reason}))


@click.command()
@click.argument("claim_id")
@click.option("--reason", required=True)
@client_options()
def reinstate(c: Client, claim_id: str, reason: str) -> None:
    """Reinstate a revoked claim (admins)."""
    _receipt(c.submit("/reinstatements", "Reinstatement",
                      {"admin": c.address, "claim": claim_id, "reason": reason}))


@click.command()
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 90))
@click.option("--label", default="", help="Who it is for (kept by the service, off the log).")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False),
              help="Also write the link that carries the code as a QR code (.svg or .png).")
@client_options()
def invite(c: Client, days: int, label: str, qr_file: str | None) -> None:
    """Issue an invitation code for a person without a wallet (admins); prints the code
    (K7QM-3WXP-9RTD: any case, with or without hyphens, full-width too) and the link
    that carries it."""
    from ..cards import card_link
    from ..codes import code_hash, new_code

    code = new_code()
    digest = code_hash(code)
    c.submit("/invitations", "Invitation", {"admin": c.address, "codeHash": digest,
                                            "expiresAt": int(time.time()) + days * 86400})
    if label.strip():
        c.sign_in()
        c.request("PUT", f"/v1/regions/{c.region}/invitations/{digest}/label",
                  json={"label": label})
    link = card_link(c.server, "invitation", c.region, code)
    if qr_file:
        import segno

        segno.make(link, error="m").save(qr_file, scale=8, border=4)
    click.echo(code)
    click.echo(link)


@click.command("uninvite")
@click.argument("code")
@click.option("--reason", default="", help="Why (written to the log).")
@client_options()
def uninvite(c: Client, code: str, reason: str) -> None:
    """Withdraw an invitation nobody has used yet (admins): an InvitationRevocation entry."""
    from ..codes import code_hash

    _receipt(c.submit("/invitation-revocations", "InvitationRevocation",
                      {"admin": c.address, "codeHash": code_hash(code), "reason": reason}))


@click.command()
@click.argument("member_id", metavar="MEMBER")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 30),
              help="How long the code works.")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False),
              help="Also write the link that carries the code as a QR code (.svg or .png).")
@client_options()
def recover(c: Client, member_id: str, days: int, qr_file: str | None) -> None:
    """Issue a recovery code for a member without a wallet who lost her passphrase
    (admins): MEMBER is her member number (AMA-0042) or address. The same signed
    Recovery entry as the web app's admin page: her old passphrase stops working and her
    sign-ins end; with the code she chooses a new one (same key, same history). Prints
    the code and the link that carries it."""
    from ..cards import card_link
    from ..codes import code_hash, new_code

    address = _member_address(c, member_id)
    code = new_code()
    _receipt(c.submit("/recoveries", "Recovery", {
        "admin": c.address, "member": address, "codeHash": code_hash(code),
        "expiresAt": int(time.time()) + days * 86400}))
    link = card_link(c.server, "recovery", c.region, code)
    if qr_file:
        import segno

        segno.make(link, error="m").save(qr_file, scale=8, border=4)
    click.echo(code)
    click.echo(link)


def _member_address(c: Client, text: str) -> str:
    """The address a member number (``AMA-0042``, any case, full-width too) or an
    address names in the client's region."""
    from ..domain.numbers import member_number, parse_member_number

    if re.fullmatch(r"0x[0-9a-fA-F]{40}", text.strip()):
        return text.strip().lower()
    number = parse_member_number(c.region, text)
    if number is None:
        raise click.UsageError(f"{text!r} is neither a member number (like "
                               f"{member_number(c.region, 42)}) nor an address")
    wanted = member_number(c.region, number)
    offset = 0
    while True:
        page = c.request("GET", f"/v1/regions/{c.region}/members",
                         params={"offset": offset, "limit": 500})
        for m in page["items"]:
            if m["number"] == wanted:
                return str(m["address"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            from .base import fail

            fail(f"no member {wanted} in region {c.region}")
            raise AssertionError  # fail() exits


@click.command()
@click.argument("details_hash")
@click.option("--reason", required=True)
@client_options()
def erase(c: Client, details_hash: str, reason: str) -> None:
    """Have private details erased (their contributor or an admin)."""
    _receipt(c.submit("/erasures", "Erasure", {"requester": c.address,
                                               "detailsHash": details_hash, "reason": reason}))


@click.command()
@click.argument("address", required=False)
@click.option("--points", "explain", is_flag=True, help="List every point and its entry.")
@client_options(needs_key=False)
def member(c: Client, address: str | None, explain: bool) -> None:
    """Show a member (default: you): points, level, badges; --points explains them."""
    if address is None:
        path = Path(os.environ.get("KAKAWARI_KEY") or default_key_path())
        try:
            address = "0x" + str(json.loads(path.read_text())["address"]).removeprefix("0x")
        except (OSError, ValueError, KeyError):
            raise click.ClickException("give an address, or a --key to show yourself") from None
    suffix = "/points" if explain else ""
    _emit(c.request("GET", f"/v1/regions/{c.region}/members/{address.lower()}{suffix}"))


COMMANDS = [key_group, join, claim, confirm, review, endorse, quest_group, role, policy,
            revoke, reinstate, invite, uninvite, erase, member]
