"""Partnership commands: ``kakawari partner add|end|list`` (issue 16).

A partnership is a ``Partnership`` entry in the region's log, signed with the admin key
``kakawari init`` created for the operator, naming the partner's origin, checkpoint key,
witness key and log URL; ``PartnershipEnd`` withdraws it. Adding one also sets up
witnessing both ways on this server: this region's witness cosigns the partner's log,
and this region's log submits its checkpoints to the partner's witness (see
docs/witnessing.md).

Exit codes: 0 done; 2 bad arguments; 3 could not (no such region, no admin key, a rule
refused the entry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .base import Context, opened, region_id

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["partner"]


@click.group()
def partner() -> None:
    """Partner regions: signed partnership entries in the log."""


def _witness_url(url: str) -> str:
    """The partner's witness submission prefix from its log URL ``…/logs/<region>``."""
    base, sep, _ = url.rstrip("/").rpartition("/logs/")
    return f"{base}/witness" if sep else url.rstrip("/") + "/witness"


@partner.command("add")
@click.option("--region", required=True, callback=region_id, help="This region, e.g. ama.")
@click.option("--partner", "other", required=True, callback=region_id,
              help="The partner region's id, e.g. tabayama.")
@click.option("--name", required=True, help="The partner's name, e.g. 丹波山村.")
@click.option("--log-key", required=True, help="Its checkpoint key (C2SP vkey).")
@click.option("--witness-key", required=True, help="Its witness key (cosigner vkey).")
@click.option("--url", required=True, help="Its log URL: https://host/logs/<partner>.")
@click.option("--witness-url", help="Its witness submission prefix (default: the log URL's "
              "host with /witness).")
def partner_add(region: str, other: str, name: str, log_key: str, witness_key: str,
                url: str, witness_url: str | None) -> None:
    """Sign and append a Partnership entry, and witness each other from now on."""
    from ledger.entry import origin_for

    from ..witness import add_partner_witness, trust_log

    with opened(keys=True) as c:
        _submit(c, region, "Partnership", {
            "partner": origin_for(other), "partnerName": name, "logKey": log_key,
            "witnessKey": witness_key, "url": url})
        engine = _engine(c)
        trust_log(engine, region, log_key, c.regions.clock())
        add_partner_witness(engine, region, witness_key, witness_url or _witness_url(url),
                            c.regions.clock())
    click.echo(f"{region} and {other} are partners: the witness of {region} cosigns "
               f"{origin_for(other)}, and the log of {region} submits to {other}'s witness")


@partner.command("end")
@click.option("--region", required=True, callback=region_id)
@click.option("--partner", "other", required=True, callback=region_id)
@click.option("--reason", required=True, help="Why, for the log's readers.")
def partner_end(region: str, other: str, reason: str) -> None:
    """Sign and append a PartnershipEnd entry."""
    from ledger.entry import origin_for

    with opened(keys=True) as c:
        _submit(c, region, "PartnershipEnd", {"partner": origin_for(other), "reason": reason})
    click.echo(f"the partnership of {region} with {other} has ended")


@partner.command("list")
@click.option("--region", required=True, callback=region_id)
def partner_list(region: str) -> None:
    """The region's partners, as its log says."""
    from ..domain import queries

    with opened(keys=False) as c, _engine(c).connect() as conn:
        for row in queries.partners(conn, region):
            state = "active" if row["active"] else f"ended (entry {row['endedSeq']})"
            click.echo(f"{row['partner']}  {row['name']}  {row['url']}  since entry "
                       f"{row['seq']}, {state}")


def _engine(c: Context) -> Engine:
    engine: Engine = c.regions.store.engine  # type: ignore[attr-defined]
    return engine


def _submit(c: Context, region: str, type_: str, fields: dict[str, Any]) -> None:
    import secrets

    from ledger import eip712
    from ledger.messages import MESSAGE_TYPES

    from ..regions import RegionError, Signed

    regions = c.regions
    if not regions.exists(region):
        raise RegionError(f"no region {region!r}")
    key = regions.admin_key(region)
    facts = regions.facts(region)
    mtype = MESSAGE_TYPES[type_]
    message = eip712.normalize_message(mtype, {
        "region": region, "admin": eip712.address_of(key), "nonce": secrets.randbits(53),
        "issuedAt": regions.clock(), **fields})
    signed = Signed(type_, message, eip712.sign_message(key, facts.domain, mtype, message))
    c.domain.submit(region, [signed])
