"""Witness commands: a region's witness key, the partner logs it cosigns, and the
partner witnesses its own log submits checkpoints to (C2SP tlog-witness; see
docs/witnessing.md).

Exit codes: 0 done; 1 a submission round failed for some witness; 2 bad arguments;
3 could not run (no such region, keys unavailable, malformed key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .base import Context, fail, opened, region_id

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["witness"]


@click.group()
def witness() -> None:
    """Witnessing between partner regions (C2SP tlog-witness, tlog-cosignature)."""


def _existing(c: Context, region: str) -> None:
    from ..regions import RegionError

    if not c.regions.exists(region):
        raise RegionError(f"no region {region!r}")


def _engine(c: Context) -> Engine:
    engine: Engine = c.regions.store.engine  # type: ignore[attr-defined]
    return engine


@witness.command("key")
@click.option("--region", required=True, callback=region_id, help="Region id, e.g. ama.")
def witness_key(region: str) -> None:
    """Print the region's witness verifier key (C2SP vkey, cosignature/v1); a region
    created before witnessing gets its key now."""
    from ledger.cosignature import format_cosigner_vkey

    with opened(keys=True) as c:
        _existing(c, region)
        click.echo(format_cosigner_vkey(c.regions.witness_cosigner(region).verifier))


@witness.command("trust")
@click.option("--region", required=True, callback=region_id,
              help="The local region whose witness will cosign the log.")
@click.option("--vkey", required=True, help="The partner log's checkpoint key (C2SP vkey); "
              "its key name is the log's origin.")
def witness_trust(region: str, vkey: str) -> None:
    """Let the region's witness cosign a partner's log (POST /witness/add-checkpoint)."""
    from ..witness import trust_log

    with opened(keys=False) as c:
        _existing(c, region)
        origin = trust_log(_engine(c), region, vkey, c.regions.clock())
    click.echo(f"the witness of {region} now cosigns {origin}")


@witness.command("partner")
@click.option("--region", required=True, callback=region_id,
              help="The local region whose log submits its checkpoints.")
@click.option("--vkey", required=True, help="The partner witness's key (cosigner vkey).")
@click.option("--url", required=True, help="Its submission prefix, e.g. "
              "https://tabayama.example/witness")
def witness_partner(region: str, vkey: str, url: str) -> None:
    """Have the region's log send each new checkpoint to a partner witness (`kakawari
    serve` does it in the background; `kakawari witness submit` once)."""
    from ..witness import add_partner_witness

    with opened(keys=False) as c:
        _existing(c, region)
        name = add_partner_witness(_engine(c), region, vkey, url,
                                   c.regions.clock())
    click.echo(f"the log of {region} now submits its checkpoints to {name} at {url}")


@witness.command("submit")
def witness_submit() -> None:
    """One round: send every local log's latest checkpoint to its partner witnesses."""
    from ..witness import Submitter

    with opened(keys=False) as c:
        submitter = Submitter(c.regions, _engine(c), attempts=3)
        try:
            stored = submitter.run_once()
        finally:
            submitter.stop()
    click.echo(f"{stored} new cosignatures stored")
    for (region, name), error in sorted(submitter.errors.items()):
        click.echo(f"kakawari: {region} -> {name}: {error}", err=True)
    if submitter.errors:
        fail("some witnesses did not cosign", code=1)
