"""What every command shares: settings and store opened and closed, errors, exit codes.

Every command reads its settings from ``KAKAWARI_*`` variables (see README), works
without a terminal (the key-encryption secret from ``KAKAWARI_PASSPHRASE`` or the
data directory's ``passphrase`` file), and prompts only when one is attached.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from ledger.entry import origin_for
from ledger.errors import EntryError

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from ..config import Settings
    from ..domain import Domain
    from ..regions import Regions

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
        from ..domain import make_domain

        return make_domain(self.regions, self.settings)


@contextmanager
def opened(*, keys: bool, creating: bool = False) -> Iterator[Context]:
    """Settings, store and (when ``keys``) the keyring, closed afterwards."""
    from ..config import load_settings
    from ..db import open_database
    from ..keyring import Keyring, passphrase
    from ..regions import Regions

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
