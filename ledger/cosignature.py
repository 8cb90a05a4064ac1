"""Witness cosignatures, C2SP ``tlog-cosignature`` (https://c2sp.org/tlog-cosignature),
Ed25519 type (``cosignature/v1``).

A cosignature is a signed-note signature line on a checkpoint::

    — <cosigner name> base64(key ID || timestamp || Ed25519 signature)

- key ID: ``SHA-256(<name> || "\\n" || 0x04 || 32-byte public key)[:4]``;
- timestamp: big-endian uint64 POSIX seconds, at most ``2**63 - 1``; a witness never
  sends 0 (tlog-witness);
- the signed message: ``cosignature/v1\\n``, ``time <timestamp>\\n``, then the whole
  checkpoint body (its extension lines included, signature lines not).

Verifier keys are C2SP vkeys with signature type ``0x04``:
``<name>+<hex key ID>+base64(0x04 || public key)``. The spec's HEAD recommends the
ML-DSA-44 type for new deployments (a SHOULD); this module implements the Ed25519 type,
which every version of the spec defines and the issue asks for.

Pure: no clock (the timestamp is passed in), no I/O. Malformed input raises
:class:`~ledger.errors.NoteError`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import NoteError
from .note import SIG_PREFIX, b64decode_strict, b64encode, is_valid_name

__all__ = [
    "ALG_COSIGNATURE_V1",
    "MAX_TIMESTAMP",
    "Cosigner",
    "CosignerVerifier",
    "cosigned_by",
    "cosigned_message",
    "cosigner_key_id",
    "format_cosigner_vkey",
    "parse_cosigner_vkey",
    "signature_lines",
    "split_note",
]

ALG_COSIGNATURE_V1 = 0x04
"""Signature type byte of Ed25519 ``cosignature/v1`` keys."""

MAX_TIMESTAMP = 2**63 - 1
_SIG_SIZE = 4 + 8 + 64


def _check_name(name: object) -> str:
    if not is_valid_name(name):
        raise NoteError(f"invalid cosigner name {name!r}")
    assert isinstance(name, str)
    return name


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || 0x04 || public key)[:4]``."""
    _check_name(name)
    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise NoteError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(
        name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header, time line, then the checkpoint body."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("a checkpoint body ends with a newline")
    _check_timestamp(timestamp)
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def _check_timestamp(timestamp: object) -> int:
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"a cosignature timestamp is an integer in 0..2^63-1, not {timestamp!r}")
    return timestamp


@dataclass(frozen=True)
class CosignerVerifier:
    """A cosigner's name and Ed25519 public key (key ID computed)."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", cosigner_key_id(self.name, self.public_key))
        try:
            key = Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise NoteError(f"not an Ed25519 public key: {exc}") from None
        object.__setattr__(self, "_key", key)

    def timestamp(self, body: str, line: str) -> int | None:
        """The timestamp of ``line`` if it is this cosigner's valid cosignature on
        ``body``; None if the line is another key's. NoteError if the line names this
        key (name and key ID) but its signature does not verify."""
        raw = _line_signature(line, self.name)
        if raw is None or raw[:4] != self.key_id:
            return None
        if len(raw) != _SIG_SIZE:
            raise NoteError(f"cosignature of {self.name} is not {_SIG_SIZE} bytes")
        ts = int.from_bytes(raw[4:12], "big")
        if ts > MAX_TIMESTAMP:
            raise NoteError(f"cosignature of {self.name} has a timestamp above 2^63-1")
        try:
            self._key.verify(raw[12:], cosigned_message(body, ts))
        except InvalidSignature:
            raise NoteError(f"cosignature of {self.name} does not verify") from None
        return ts


class Cosigner:
    """An Ed25519 v1 cosigner: name and 32-byte seed."""

    def __init__(self, name: str, seed: bytes) -> None:
        self.name = _check_name(name)
        if not isinstance(seed, bytes) or len(seed) != 32:
            raise NoteError("an Ed25519 private key is a 32-byte seed")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.verifier = CosignerVerifier(name, self._key.public_key().public_bytes_raw())

    def cosign(self, body: str, timestamp: int) -> str:
        """The cosignature line (ending in ``\\n``) on checkpoint ``body`` at ``timestamp``."""
        sig = self._key.sign(cosigned_message(body, timestamp))
        raw = self.verifier.key_id + timestamp.to_bytes(8, "big") + sig
        return f"{SIG_PREFIX}{self.name} {b64encode(raw)}\n"


def format_cosigner_vkey(verifier: CosignerVerifier) -> str:
    """``<name>+<hex key ID>+base64(0x04 || public key)``."""
    key64 = b64encode(bytes([ALG_COSIGNATURE_V1]) + verifier.public_key)
    return f"{verifier.name}+{verifier.key_id.hex()}+{key64}"


def parse_cosigner_vkey(vkey: str) -> CosignerVerifier:
    """Parse a cosigner vkey of signature type 0x04 (NoteError otherwise)."""
    if not isinstance(vkey, str) or vkey.count("+") < 2:
        raise NoteError("malformed cosigner key: <name>+<key ID>+<key> expected")
    name, hex_id, key64 = vkey.split("+", 2)
    _check_name(name)
    raw = b64decode_strict(key64)
    if raw is None or len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
        raise NoteError("malformed cosigner key: base64 of 0x04 and a 32-byte Ed25519 key "
                        "expected")
    verifier = CosignerVerifier(name, raw[1:])
    if re.fullmatch("[0-9a-f]{8}", hex_id) is None or bytes.fromhex(hex_id) != verifier.key_id:
        raise NoteError(f"cosigner key ID {hex_id} does not match its key")
    return verifier


def split_note(note: str) -> tuple[str, list[str]]:
    """``(body, signature lines)`` of a signed note (NoteError if it has no blank line)."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("malformed note: no blank line before the signatures")
    return note[: split + 1], note[split + 2 :].splitlines(keepends=True)


def signature_lines(text: str) -> list[str]:
    """The lines of ``text`` (a witness's response body), each a note signature line."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("signature lines end with a newline")
    lines = text.splitlines(keepends=True)
    for line in lines:
        if not line.startswith(SIG_PREFIX) or not line.endswith("\n"):
            raise NoteError("not a note signature line")
    return lines


def _line_signature(line: str, name: str) -> bytes | None:
    if not line.startswith(SIG_PREFIX):
        return None
    who, _, sig64 = line[len(SIG_PREFIX) :].rstrip("\n").partition(" ")
    if who != name:
        return None
    raw = b64decode_strict(sig64)
    if raw is None or len(raw) < 5:
        raise NoteError(f"malformed signature line of {name}")
    return raw


def cosigned_by(note: str, verifiers: Iterable[CosignerVerifier]
                ) -> dict[CosignerVerifier, int]:
    """``{verifier: timestamp}`` of the verifiers with a valid cosignature on
    ``note``'s body. Lines of other keys are ignored; a line of a known key that does
    not verify raises NoteError."""
    body, lines = split_note(note)
    found: dict[CosignerVerifier, int] = {}
    for verifier in verifiers:
        for line in lines:
            ts = verifier.timestamp(body, line)
            if ts is not None:
                found[verifier] = ts
    return found

