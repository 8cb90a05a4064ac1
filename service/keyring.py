"""Region keys on disk, sealed with the key-encryption passphrase.

Layout under the data directory::

    passphrase                      optional key-encryption secret (mode 0600)
    regions/<region>/checkpoint.key Ed25519 checkpoint signing key (C2SP skey), sealed
    regions/<region>/service.key    secp256k1 key for service-written entries, sealed
    regions/<region>/admin.key      operator's admin key when `init` made one, sealed
    regions/<region>/witness.key    Ed25519 witness cosigning key (seed), sealed
    public/<region>/witness.vkey    its public verifier key (C2SP vkey, type 0x04)

The passphrase comes from ``KAKAWARI_PASSPHRASE``, else from the ``passphrase`` file
(which must be readable only by its owner), else from a prompt when stdin is a
terminal. When a region is created non-interactively and none of these exists, a
random passphrase file is created with mode 0600. Keys are never printed.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import stat
import sys
from pathlib import Path

from ledger import keystore
from ledger.errors import KeyStoreError

from .config import Settings

PASSPHRASE_FILE = "passphrase"


def public_path(settings: Settings, region: str, name: str) -> Path:
    """Where a region's public key file ``name`` is kept (not sealed: it is public)."""
    return settings.data_dir / "public" / region / name


class KeyringError(Exception):
    """The operator has to do something (set a passphrase, fix a file mode)."""


def _read_private_file(path: Path) -> bytes:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(f"{path} is readable by other users; run: chmod 600 {path}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise KeyringError(f"{path} belongs to another user")
    return path.read_bytes().strip()


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600; refuses to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def passphrase(settings: Settings, *, creating: bool = False) -> bytes:
    if settings.passphrase is not None:
        value = settings.passphrase.get_secret_value().encode()
        if not value:
            raise KeyringError("KAKAWARI_PASSPHRASE is set but empty")
        return value
    path = settings.data_dir / PASSPHRASE_FILE
    if path.exists():
        return _read_private_file(path)
    if sys.stdin.isatty():
        value = getpass.getpass("Key-encryption passphrase: ").encode()
        if creating and getpass.getpass("Repeat passphrase: ").encode() != value:
            raise KeyringError("the passphrases differ")
        if not value:
            raise KeyringError("the passphrase is empty")
        return value
    if creating:
        value = secrets.token_urlsafe(32).encode()
        write_private_file(path, value + b"\n")
        print(f"kakawari: created key-encryption secret {path} (mode 0600); back it up",
              file=sys.stderr)
        return value
    raise KeyringError(
        f"no key-encryption secret: set KAKAWARI_PASSPHRASE or create {path} (mode 0600)"
    )


class Keyring:
    """Sealed keys of the regions in one data directory."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self._secret = secret

    def _path(self, region: str, name: str) -> Path:
        return self.settings.regions_dir / region / f"{name}.key"

    def has(self, region: str, name: str) -> bool:
        return self._path(region, name).exists()

    def store(self, region: str, name: str, secret: bytes) -> None:
        sealed = keystore.seal(
            secret, self._secret, f"kakawari/{region} {name}", n=self.settings.scrypt_n
        )
        write_private_file(self._path(region, name), json.dumps(sealed, indent=1).encode())

    def write_public(self, region: str, name: str, text: str) -> None:
        """Write a public file (a verifier key) under ``public/<region>/``."""
        path = public_path(self.settings, region, name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists() or path.read_text() != text + "\n":
            path.write_text(text + "\n")

    def load(self, region: str, name: str) -> bytes:
        path = self._path(region, name)
        try:
            sealed = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise KeyringError(f"no {name} key for region {region!r} in {path.parent}") from None
        except ValueError:
            raise KeyringError(f"{path} is damaged (not JSON)") from None
        try:
            return keystore.unseal(sealed, self._secret, f"kakawari/{region} {name}")
        except KeyStoreError as exc:
            raise KeyringError(f"{path}: {exc}") from None
