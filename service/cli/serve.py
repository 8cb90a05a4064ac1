"""``kakawari serve``: the HTTP service."""

from __future__ import annotations

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

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    click.echo(f"kakawari: data directory {settings.data_dir}", err=True)
    click.echo(f"kakawari: database {settings.db_url.split('@')[-1]}", err=True)
    click.echo(f"kakawari: serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run("service.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info")
