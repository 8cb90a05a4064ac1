"""``kakawari serve``: the HTTP service."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (use PostgreSQL for more than one).")
def serve(host: str, port: int, workers: int) -> None:
    """Start the HTTP service (embedded defaults: SQLite in the data directory)."""
    import uvicorn

    from ..config import load_settings
    from ..logs import log_config

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if workers > 1:
        _metrics_dir(settings.data_dir)
    click.echo(f"kakawari: data directory {settings.data_dir}", err=True)
    click.echo(f"kakawari: database {settings.db_url.split('@')[-1]}", err=True)
    click.echo(f"kakawari: serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    if settings.chain_rpc_url and settings.anchor_interval:
        click.echo(f"kakawari: anchoring every {settings.anchor_interval} s when at least "
                   f"{settings.anchor_min_entries} entries are new", err=True)
    uvicorn.run("service.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", log_config=log_config(settings.log_format))


def _metrics_dir(data_dir: Path) -> None:
    """Workers share their metrics through files (prometheus-client's multiprocess
    mode): a fresh directory for this server, named in PROMETHEUS_MULTIPROC_DIR unless
    the operator named one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    where = data_dir / "metrics"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(where)
