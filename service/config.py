"""Settings, from ``KAKAWARI_*`` environment variables (pydantic-settings).

Built on demand by :func:`load_settings` — never at import time — so tests and
commands can point one process at several data directories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kakawari"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAKAWARI_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    """Keys, private files and (by default) the SQLite database live here."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/kakawari.db``."""
    passphrase: SecretStr | None = None
    """Key-encryption passphrase; else the ``passphrase`` file in the data directory."""
    chain_id: int = Field(default=31337, ge=1, le=2**53 - 1)
    """EIP-712 chain id recorded in each new region (fixed per region once created)."""
    scrypt_n: int = 2**15
    """scrypt cost for sealing keys (tests lower it)."""

    message_window: int = Field(default=900, ge=10, le=86_400)
    """A signed message's ``issuedAt`` must be within this many seconds of server time."""
    session_ttl: int = Field(default=86_400, ge=60, le=30 * 86_400)
    """Lifetime of a sign-in (bearer token), seconds."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    """Largest request body the API reads (private details with photos included)."""
    witness_interval: float = Field(default=1.0, ge=0, le=3600)
    """Seconds between rounds sending new checkpoints to partner witnesses (0: off)."""
    public_origins: list[str] = Field(default_factory=list)
    """Where people reach the service, e.g. ``["https://kakawari.example.jp"]``: sign-in
    messages (SIWE) must name one of these. Unset: local addresses only (development)."""

    details_member_bytes: int = Field(default=50 * 1_048_576, ge=0)
    """Private details one member may keep in a region, bytes."""
    details_unreferenced: int = Field(default=5, ge=0)
    """Stored private details that no claim names yet, per member."""
    details_unreferenced_ttl: int = Field(default=86_400, ge=60)
    """Seconds after which private details that no claim or quest names are removed."""

    chain_rpc_url: str | None = None
    """JSON-RPC endpoint of the EVM chain checkpoints are anchored on (optional: without
    one, everything but anchoring works). ``--rpc`` overrides it."""
    chain_private_key: SecretStr | None = None
    """Hex key of the account that sends anchoring transactions (pays their gas)."""
    chain_keystore: Path | None = None
    """Instead of ``chain_private_key``: an Ethereum keystore v3 JSON file, unlocked with
    the key-encryption passphrase."""

    anchor_interval: int = Field(default=3600, ge=0, le=30 * 86_400)
    """With a chain configured, ``kakawari serve`` anchors every region this often
    (seconds; 0: only ``kakawari anchor`` does). One worker of all servers sharing the
    database runs it at a time (a database lock)."""
    anchor_min_entries: int = Field(default=1, ge=1, le=10**9)
    """A scheduled run anchors a region only once this many entries were written since
    its last anchor (the ``Anchor`` entries themselves not counted)."""
    log_format: str = Field(default="json", pattern="^(json|text)$")
    """``kakawari serve``'s log lines: one JSON object per line, or plain text."""
    smtp_host: str | None = None
    """SMTP server that members' notices are e-mailed through (none: no e-mail)."""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    """``starttls`` (port 587), ``ssl`` (SMTPS, port 465) or ``none`` (a local relay)."""
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "kakawari@localhost"
    """The From: address of notice e-mails."""

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'kakawari.db'}"

    @property
    def regions_dir(self) -> Path:
        return self.data_dir / "regions"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
