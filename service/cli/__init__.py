"""The ``kakawari`` command line: one module per command group.

Every command reads its settings from ``KAKAWARI_*`` variables (see README), works
without a terminal (the key-encryption secret from ``KAKAWARI_PASSPHRASE`` or the
data directory's ``passphrase`` file), and prompts only when one is attached.

- :mod:`.base`: what every command shares (opened store, errors, exit codes);
- :mod:`.region`: ``init``, ``checkpoint``, ``region``, ``verify``;
- :mod:`.serve`: ``serve``;
- :mod:`.client`: the member's commands over HTTP (``key``, ``join``, ``claim``, ...);
- :mod:`.chain`: ``chain``, ``anchor``, ``anchors``;
- :mod:`.audit`: ``export``, ``audit``, ``receipt``;
- :mod:`.quests`: more ``quest`` subcommands and ``perk`` (issue 14);
- :mod:`.governance`: ``propose``, ``vote``, ``proposal``;
- :mod:`.domain`: ``rebuild``; :mod:`.demo`: ``demo``;
- :mod:`.log`: ``log publish`` (the log as static tiles);
- :mod:`.backup`: ``backup``, ``restore``.
- :mod:`.witness`: ``witness key|trust|partner|submit``;
- :mod:`.partner`: ``partner add|end|list`` (signed partnership entries).
"""

from __future__ import annotations

import importlib
import sys

import click

from .base import EXIT_ERROR, EXIT_FAILED, EXIT_USAGE, Context, fail, opened, region_id

__all__ = ["EXIT_ERROR", "EXIT_FAILED", "EXIT_USAGE", "Context", "fail", "main", "opened",
           "region_id"]

# The errors a command may end with that are the user's to fix, not a bug: one line on
# stderr and exit 3. Named by module, so that checking needs none of them imported.
_EXPECTED_ERRORS = (("ledger.errors", "LedgerError"), ("service.keyring", "KeyringError"),
                    ("service.regions", "RegionError"), ("service.domain.errors", "DomainError"))

# Commands defined in other modules, imported when run (or listed by --help), so that
# one command does not pay for importing every other's libraries (web3, FastAPI, ...).
LAZY_COMMANDS = {
    **{name: f"service.cli.region:{name}" for name in ("init", "checkpoint", "region",
                                                       "verify")},
    "serve": "service.cli.serve:serve",
    "demo": "service.cli.demo:demo",
    "rebuild": "service.cli.domain:rebuild",
    **{name: f"service.cli.client:{attr}" for name, attr in (
        ("key", "key_group"), ("join", "join"), ("claim", "claim"), ("confirm", "confirm"),
        ("review", "review"), ("endorse", "endorse"),
        ("role", "role"), ("policy", "policy"), ("revoke", "revoke"),
        ("reinstate", "reinstate"), ("invite", "invite"), ("uninvite", "uninvite"),
        ("recover", "recover"),
        ("erase", "erase"),
        ("member", "member"))},
    # the quest group lives in .client; .quests adds issue 14's subcommands to it
    "quest": "service.cli.quests:quest_group",
    "perk": "service.cli.quests:perk_group",
    "chain": "service.cli.chain:chain",
    "anchor": "service.cli.chain:anchor",
    "anchors": "service.cli.chain:anchors",
    "export": "service.cli.audit:export",
    "audit": "service.cli.audit:audit",
    "receipt": "service.cli.audit:receipt",
    "propose": "service.cli.governance:propose",
    "vote": "service.cli.governance:vote",
    "proposal": "service.cli.governance:proposal_group",
    "backup": "service.cli.backup:backup",
    "restore": "service.cli.backup:restore",
    "log": "service.cli.log:log",
    "witness": "service.cli.witness:witness",
    "partner": "service.cli.partner:partner",
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
