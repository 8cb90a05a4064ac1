"""Private details of claims and quests, kept off the log.

A claim's ``detailsHash`` is ``SHA-256(salt || JCS(details))``: ``salt`` 16-64 random
bytes chosen by the client, ``details`` a JSON object (``{"text": ..., "files":
[{"name", "type", "data" (base64)}]}``) canonicalised with RFC 8785. The log holds only
the hash; the salt keeps it from being guessed from a short text. The details sit in
``<data dir>/details/<region>/<hash>.json`` (mode 0600); erasing removes the file, the
``Erasure`` entry records that it happened, and the log still verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ledger.canonical import canonical_bytes
from ledger.errors import CanonicalError

from .errors import DomainError

MIN_SALT, MAX_SALT = 16, 64


def details_hash(salt: bytes, details: dict[str, Any], canonical: bytes | None = None) -> str:
    """``0x`` + hex of ``SHA-256(salt || JCS(details))``; DomainError for bad input.
    ``canonical``: ``JCS(details)`` when the caller has it already."""
    if not MIN_SALT <= len(salt) <= MAX_SALT:
        raise DomainError("out-of-range", field="salt",
                          expected=f"{MIN_SALT}-{MAX_SALT} bytes", got=len(salt))
    if canonical is not None:
        return "0x" + hashlib.sha256(salt + canonical).hexdigest()
    try:
        data = canonical_bytes(details)
    except CanonicalError as exc:
        raise DomainError("bad-message", reason=f"The details are not valid JSON: {exc}") from None
    return "0x" + hashlib.sha256(salt + data).hexdigest()


class DetailsStore:
    """Files of private details under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, region: str, digest: str) -> Path:
        if len(digest) != 66 or not all(ch in "0123456789abcdef" for ch in digest[2:]):
            raise DomainError("unknown-details", details_hash=digest)
        return self.root / region / f"{digest[2:]}.json"

    def put(self, region: str, digest: str, salt: bytes, details: dict[str, Any]) -> None:
        """Store ``details`` if their salted hash is ``digest``; DomainError otherwise."""
        got = details_hash(salt, details)
        if got != digest:
            raise DomainError("details-mismatch", got=got, details_hash=digest)
        path = self._path(region, digest)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"salt": salt.hex(), "details": details}, f, ensure_ascii=False)
        os.replace(tmp, path)

    def get(self, region: str, digest: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self._path(region, digest).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return data

    def erase(self, region: str, digest: str) -> bool:
        try:
            self._path(region, digest).unlink()
        except FileNotFoundError:
            return False
        return True
