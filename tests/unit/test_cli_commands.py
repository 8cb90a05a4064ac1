"""The command line loads each command's module only when that command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from service.cli import LAZY_COMMANDS, main
from service.cli import client as client_cli


def test_every_lazy_command_is_the_command_it_names() -> None:
    ctx = click.Context(main)
    for name in LAZY_COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name


def test_every_client_command_is_listed() -> None:
    assert {c.name for c in client_cli.COMMANDS} <= set(LAZY_COMMANDS)


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for name in (*LAZY_COMMANDS, "init", "serve", "verify", "region", "checkpoint"):
        assert f"\n  {name} " in out, name


def test_auditing_a_bundle_does_not_import_the_web_and_chain_libraries() -> None:
    bundle = Path(__file__).parents[1] / "vectors" / "audit" / "example.zip"
    code = ("import sys\nfrom service.cli import main\n"
            f"try:\n    main(['audit', 'verify', {str(bundle)!r}])\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "print(sorted(m for m in ('web3', 'fastapi', 'uvicorn', 'service.client') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "ok: " in out and out.strip().endswith("[]"), out


def test_every_command_lives_in_the_cli_package() -> None:
    """One room for the commands: service/cli/, one module per command group."""
    assert all(target.startswith("service.cli.") for target in LAZY_COMMANDS.values())
    top = Path(__file__).parents[2] / "service"
    assert not sorted(p.name for p in top.glob("*_cli.py")) and not (top / "demo.py").exists()
