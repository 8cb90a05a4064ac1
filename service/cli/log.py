"""Log commands: ``kakawari log publish`` (the log as static C2SP tlog-tiles files).

Exit codes: 0 published; 3 could not (no such region, the directory holds another log
or a newer tree, a file could not be written).
"""

from __future__ import annotations

from pathlib import Path

import click

from .base import fail, region_id

__all__ = ["log"]


@click.group()
def log() -> None:
    """The region's log as static files (C2SP tlog-tiles; see docs/tiles.md)."""


@log.command("publish")
@click.option("--region", required=True, callback=region_id, help="Region id, e.g. ama.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write: checkpoint, tile/... (created if missing).")
def publish(region: str, out: Path) -> None:
    """Write the log's checkpoint, tiles and entry bundles under --out, as the server
    serves them at /logs/<region>/; only what is new since the last publication."""
    from ledger.entry import origin_for

    from ..regions import RegionError
    from ..tiles import PublishError, served_checkpoint
    from ..tiles import publish as publish_tiles
    from .base import opened

    with opened(keys=False) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        origin = origin_for(region)
        note = served_checkpoint(c.regions.store, origin)
        if note is None:
            fail(f"the log of {region} has no checkpoint yet")
            return
        try:
            done = publish_tiles(c.regions.store, origin, out, note)
        except (PublishError, OSError) as exc:
            fail(str(exc))
            return
    click.echo(f"published {origin} at size {done.size} to {out} (was {done.old_size}; "
               f"{done.written} tiles and entry bundles written)")
