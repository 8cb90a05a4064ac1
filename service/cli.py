"""The ``kakawari`` command line.

Every command reads its settings from ``KAKAWARI_*`` variables (see README), works
without a terminal (the key-encryption secret from ``KAKAWARI_PASSPHRASE`` or the
data directory's ``passphrase`` file), and prompts only when one is attached.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from ledger.entry import origin_for
from ledger.errors import EntryError, VerificationError

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from .config import Settings
    from .domain import Domain
    from .regions import Regions

EXIT_FAILED = 1  # the check ran and found a fault
EXIT_USAGE = 2  # bad arguments (click's own code)
EXIT_ERROR = 3  # could not run: missing region, keys, database


@dataclass
class Context:
    settings: Settings
    regions: Regions

    @property
    def domain(self) -> Domain:
        """The recognition rules over these regions (service/domain)."""
        from .domain import make_domain

        return make_domain(self.regions, self.settings)


@contextmanager
def opened(*, keys: bool, creating: bool = False) -> Iterator[Context]:
    """Settings, store and (when ``keys``) the keyring, closed afterwards."""
    from .config import load_settings
    from .db import open_database
    from .keyring import Keyring, passphrase
    from .regions import Regions

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = open_database(settings.db_url)
    try:
        keyring = Keyring(settings, passphrase(settings, creating=creating)) if keys else None
        yield Context(settings, Regions(store, keyring))
    finally:
        store.close()


def fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"kakawari: {message}", err=True)
    sys.exit(code)


def region_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        origin_for(value)
    except EntryError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


# The errors a command may end with that are the user's to fix, not a bug: one line on
# stderr and exit 3. Named by module, so that checking needs none of them imported.
_EXPECTED_ERRORS = (("ledger.errors", "LedgerError"), ("service.keyring", "KeyringError"),
                    ("service.regions", "RegionError"), ("service.domain.errors", "DomainError"))

# Commands defined in other modules, imported when run (or listed by --help), so that
# one command does not pay for importing every other's libraries (web3, FastAPI, ...).
LAZY_COMMANDS = {
    "demo": "service.demo:demo",
    "rebuild": "service.domain_cli:rebuild",
    **{name: f"service.client_cli:{attr}" for name, attr in (
        ("key", "key_group"), ("join", "join"), ("claim", "claim"), ("confirm", "confirm"),
        ("review", "review"), ("endorse", "endorse"), ("quest", "quest_group"),
        ("role", "role"), ("policy", "policy"), ("revoke", "revoke"),
        ("reinstate", "reinstate"), ("invite", "invite"), ("erase", "erase"),
        ("member", "member"))},
    "chain": "service.chain_cli:chain",
    "anchor": "service.chain_cli:anchor",
    "anchors": "service.chain_cli:anchors",
    "export": "service.audit_cli:export",
    "audit": "service.audit_cli:audit",
    "receipt": "service.audit_cli:receipt",
}


class Group(click.Group):
    """Turns expected failures into one line on stderr and a documented exit code, and
    loads the commands of :data:`LAZY_COMMANDS` when they are asked for."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not any(isinstance(exc, getattr(sys.modules[module], name))
                       for module, name in _EXPECTED_ERRORS if module in sys.modules):
                raise
            fail(str(exc))
        return None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise RuntimeError(f"{LAZY_COMMANDS[cmd_name]} is not the {cmd_name} command")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kakawari")
def main() -> None:
    """Kakawari: contribution ledger and recognition service for regional communities.

    Exit codes: 0 success; 1 a check found a fault; 2 bad arguments; 3 could not run.
    """


@main.command()
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


@main.command()
@click.option("--region", required=True, callback=region_id)
def checkpoint(region: str) -> None:
    """Print the region's latest signed checkpoint (a C2SP signed note)."""
    with opened(keys=False) as c:
        cp = c.regions.store.latest_checkpoint(origin_for(region))
    if cp is None:
        fail(f"region {region!r} has no checkpoint")
    else:
        click.echo(cp.note, nl=False)


@main.group()
def region() -> None:
    """Inspect regions."""


@region.command("show")
@click.argument("region_id", metavar="ID", callback=region_id)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def region_show(region_id: str, as_json: bool) -> None:
    """Print a region's metadata, including its checkpoint verifier key."""
    from .regions import RegionError

    with opened(keys=False) as c:
        if not c.regions.exists(region_id):
            raise RegionError(f"no region {region_id!r}")
        facts = c.regions.facts(region_id)
        info = c.regions.store.log_info(origin_for(region_id))
    data = {
        "region": facts.region,
        "name": facts.name,
        "origin": info.origin,
        "chainId": facts.chain_id,
        "admin": facts.admin,
        "service": facts.service,
        "vkey": info.vkey,
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


@main.command()
@click.option("--region", required=True, callback=region_id)
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes checking signatures (default: one per CPU, at most 8).")
def verify(region: str, jobs: int | None) -> None:
    """Recompute every hash and signature of a region's log and compare the tree with
    its latest signed checkpoint. Exit 0 when intact, 1 naming the first bad entry."""
    from ledger.integrity import verify_stored_log
    from ledger.parallel import default_jobs

    from .regions import RegionError

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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (use PostgreSQL for more than one).")
def serve(host: str, port: int, workers: int) -> None:
    """Start the HTTP service (embedded defaults: SQLite in the data directory)."""
    import uvicorn

    from .config import load_settings

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    click.echo(f"kakawari: data directory {settings.data_dir}", err=True)
    click.echo(f"kakawari: database {settings.db_url.split('@')[-1]}", err=True)
    click.echo(f"kakawari: serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run("service.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info")
