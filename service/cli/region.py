"""Creating and inspecting regions: ``init``, ``checkpoint``, ``region``, ``verify``."""

from __future__ import annotations

import json
import sys

import click

from ledger.entry import origin_for
from ledger.errors import VerificationError

from .base import EXIT_FAILED, fail, opened, region_id


@click.command()
@click.option("--region", required=True, callback=region_id, help="Region id, e.g. ama.")
@click.option("--name", required=True, help="Display name, e.g. 海士町.")
@click.option("--admin", help="Address of the first admin (0x…); default: a new local key.")
def init(region: str, name: str, admin: str | None) -> None:
    """Create a region: its log, sealed keys, and a first entry naming its admin."""
    with opened(keys=True, creating=True) as c:
        created = c.regions.create(region, name, admin)
    click.echo(f"created region {created.region} ({created.origin})")
    click.echo(f"admin:          {created.admin}")
    if created.admin_key_created:
        click.echo("                (a new key, sealed in the data directory)")
    click.echo(f"service signer: {created.service}")
    click.echo(f"checkpoint key: {created.vkey}")
    click.echo(f"witness key:    {created.witness_vkey}")


@click.command()
@click.option("--region", required=True, callback=region_id)
def checkpoint(region: str) -> None:
    """Print the region's latest signed checkpoint (a C2SP signed note)."""
    with opened(keys=False) as c:
        cp = c.regions.store.latest_checkpoint(origin_for(region))
    if cp is None:
        fail(f"region {region!r} has no checkpoint")
    else:
        click.echo(cp.note, nl=False)


@click.group()
def region() -> None:
    """Inspect regions."""


@region.command("show")
@click.argument("region_id", metavar="ID", callback=region_id)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def region_show(region_id: str, as_json: bool) -> None:
    """Print a region's metadata, including its checkpoint verifier key."""
    from ..regions import RegionError

    with opened(keys=False) as c:
        if not c.regions.exists(region_id):
            raise RegionError(f"no region {region_id!r}")
        facts = c.regions.facts(region_id)
        info = c.regions.store.log_info(origin_for(region_id))
        from ..keyring import public_path

        witness_file = public_path(c.settings, region_id, "witness.vkey")
        witness = witness_file.read_text().strip() if witness_file.exists() else None
    data = {
        "region": facts.region,
        "name": facts.name,
        "origin": info.origin,
        "chainId": facts.chain_id,
        "admin": facts.admin,
        "service": facts.service,
        "vkey": info.vkey,
        "witnessVkey": witness,
        "size": info.size,
        "root": "0x" + info.root.hex(),
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for key, value in data.items():
            click.echo(f"{key + ':':10} {value}")


@region.command("list")
def region_list() -> None:
    """List the regions in the database."""
    with opened(keys=False) as c:
        for origin in c.regions.store.logs():
            click.echo(origin.removeprefix("kakawari/"))


@click.command()
@click.option("--region", required=True, callback=region_id)
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes checking signatures (default: one per CPU, at most 8).")
def verify(region: str, jobs: int | None) -> None:
    """Recompute every hash and signature of a region's log and compare the tree with
    its latest signed checkpoint. Exit 0 when intact, 1 naming the first bad entry."""
    from ledger.integrity import verify_stored_log
    from ledger.parallel import default_jobs

    from ..regions import RegionError

    with opened(keys=False) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        origin = origin_for(region)
        total = c.regions.store.log_info(origin).size if not c.regions.store.refused() else 0
        with click.progressbar(
            length=max(total, 1), label="verifying", file=sys.stderr, show_pos=True
        ) as bar:
            last = [0]

            def progress(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            try:
                result = verify_stored_log(c.regions.store, origin, progress,
                                           jobs=jobs or default_jobs())
            except VerificationError as exc:
                where = f"entry {exc.seq}" if exc.seq is not None else "log"
                click.echo(f"\nFAILED at {where}: {exc.reason}", err=True)
                sys.exit(EXIT_FAILED)
    click.echo(f"ok: {result.size} entries of {origin} verified; root 0x{result.root.hex()}")
