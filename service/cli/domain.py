"""Operator commands of the recognition domain: ``kakawari rebuild``."""

from __future__ import annotations

import hashlib
import json
import sys

import click

from ..domain import snapshot


@click.command()
@click.option("--region", required=True, help="Region id, e.g. ama.")
@click.option("--check", is_flag=True,
              help="Also compare with the projections before the rebuild; exit 1 if they differ.")
def rebuild(region: str, check: bool) -> None:
    """Recompute every projection of a region (members, claims, points, levels...) from
    its log entries alone, under the region's append lock."""
    from ..regions import RegionError
    from .base import EXIT_FAILED, opened

    with opened(keys=True) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        engine = c.regions.store.engine  # type: ignore[attr-defined]
        before = None
        if check:
            # Entries appended without the domain (``init``, a CLI anchor) are applied
            # when the service next opens the region; the comparison is with that.
            c.domain.catch_up(region)
            with engine.connect() as conn:
                before = snapshot(conn, region)
        count = c.domain.rebuild(region)
        with engine.connect() as conn:
            after = snapshot(conn, region)
    digest = hashlib.sha256(json.dumps(after, default=str, sort_keys=True).encode()).hexdigest()
    rows = sum(len(v) for v in after.values())
    click.echo(f"rebuilt {region}: {count} entries applied, {rows} projection rows, "
               f"digest {digest[:16]}")
    if before is not None:
        changed = [name for name in after if after[name] != before.get(name)]
        if changed:
            click.echo(f"the rebuilt projections differ in: {', '.join(changed)}", err=True)
            sys.exit(EXIT_FAILED)
        click.echo("identical to the live projections")
