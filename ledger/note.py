"""Signed notes, C2SP ``signed-note`` with Ed25519 (signature type ``0x01``).

A signed note is a UTF-8 text ending in a newline, a blank line, and one or more
signature lines ``— <key name> <base64(key ID || signature)>`` (U+2014 EM DASH, then a
space). Checkpoints (:mod:`ledger.checkpoint`) are signed notes. Where the spec leaves
details to its reference implementation, this module follows Go's
``golang.org/x/mod/sumdb/note``:

- the whole note must be valid UTF-8 without ASCII control characters other than
  ``\\n`` (U+007F and C1 controls are allowed, as in Go);
- the text is separated from the signatures by the *last* ``\\n\\n``, so extra blank
  lines belong to the text (and then no longer match its signatures);
- key names are non-empty and contain no Unicode white space (Go's ``unicode.IsSpace``)
  and no ``+``;
- a signature decodes to at least 5 bytes (4-byte key ID and a non-empty signature);
- more than 100 signature lines make the note malformed;
- signatures whose (key name, key ID) is not among the verifiers are ignored.

Deliberately stricter than Go, each for a reason given where it is done:

- base64 must be canonical (RFC 4648 §3.5: zero pad bits, exact padding), so a note has
  exactly one spelling of each signature;
- every signature line of a known key is verified, including repeats (the spec's
  "MUST verify"; Go silently skips a second line of an already-seen key);
- names may not contain ASCII control characters either: a note could never carry them.

The module is pure: key generation takes its randomness from ``cryptography`` unless a
seed is passed in, and nothing reads a clock, the environment or files.
"""

from __future__ import annotations

import base64
import binascii
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

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Signer",
    "Verifier",
    "b64decode_strict",
    "b64encode",
    "compute_key_id",
    "format_skey",
    "format_vkey",
    "is_valid_name",
    "new_signer_keys",
    "open_note",
    "parse_skey",
    "parse_vkey",
    "sign_note",
]

ALG_ED25519 = 0x01
"""Signature type identifier byte of Ed25519 in C2SP signed-note."""

MAX_SIGNATURES = 100
"""Most signature lines a note may carry (Go's limit; the spec asks for at least 16)."""

KEY_ID_SIZE = 4
PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32
SIGNATURE_SIZE = 64

SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
_PRIVATE_PREFIX = "PRIVATE+KEY+"

# Go's unicode.IsSpace: the Unicode White_Space property.
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_NAME_CONTROL = re.compile("[\x00-\x1f]")
_HEX8 = re.compile("[0-9a-fA-F]{8}")


def _is_utf8(text: str) -> bool:
    """True unless ``text`` holds a lone surrogate (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_valid_name(name: object) -> bool:
    """Whether ``name`` is a valid key name.

    Non-empty, valid UTF-8, no Unicode white space, no ``+`` (the spec and Go), and no
    ASCII control character (they are not allowed anywhere in a note).
    """
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and _is_utf8(name)
        and _NAME_CONTROL.search(name) is None
        and not any(ch in _WHITE_SPACE for ch in name)
    )


def _check_name(name: object) -> str:
    if not is_valid_name(name):
        raise NoteError(
            f"invalid key name {name!r}: it must be non-empty, with no white space, '+' "
            "or control characters"
        )
    assert isinstance(name, str)
    return name


def compute_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte Ed25519 key ID: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``."""
    _check_name(name)
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise NoteError("an Ed25519 public key is 32 bytes")
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    ).digest()
    return digest[:KEY_ID_SIZE]


def b64decode_strict(text: str) -> bytes | None:
    """Decode standard base64 (RFC 4648 §4), or ``None`` unless ``text`` is canonical.

    Canonical: padded, only alphabet characters, zero pad bits (RFC 4648 §3.5), so each
    byte string has exactly one accepted spelling.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None  # excess padding or non-zero pad bits
    return raw


def b64encode(raw: bytes) -> str:
    """Standard padded base64 (RFC 4648 §4) as text."""
    return base64.b64encode(raw).decode("ascii")


def _public_key_object(public_key: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise NoteError(f"not an Ed25519 public key: {exc}") from exc


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier: key name, 4-byte key ID and 32-byte public key.

    The key ID must be the one computed from name and key; construction raises
    :class:`NoteError` otherwise.
    """

    name: str
    key_id: bytes
    public_key: bytes
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise NoteError("an Ed25519 public key is 32 bytes")
        if not isinstance(self.key_id, bytes) or len(self.key_id) != KEY_ID_SIZE:
            raise NoteError("a key ID is 4 bytes")
        expected = compute_key_id(self.name, self.public_key)
        if self.key_id != expected:
            raise NoteError(
                f"key ID {self.key_id.hex()} does not match key {self.name!r} "
                f"(expected {expected.hex()})"
            )
        object.__setattr__(self, "_key", _public_key_object(self.public_key))

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """The verifier of ``public_key`` under ``name``, with its computed key ID."""
        return cls(name, compute_key_id(name, public_key), public_key)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Whether ``sig`` is a valid Ed25519 signature of ``msg`` by this key."""
        if not (isinstance(msg, bytes) and isinstance(sig, bytes) and len(sig) == SIGNATURE_SIZE):
            return False
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True


class Signer:
    """An Ed25519 note signer: key name and private key (32-byte seed or key object)."""

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    def __init__(self, name: str, private_key: bytes | Ed25519PrivateKey) -> None:
        self._name = _check_name(name)
        if isinstance(private_key, Ed25519PrivateKey):
            self._key = private_key
        elif isinstance(private_key, bytes) and len(private_key) == SEED_SIZE:
            self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        else:
            raise NoteError("an Ed25519 private key is a 32-byte seed")
        self._public_key = self._key.public_key().public_bytes_raw()
        self._key_id = compute_key_id(name, self._public_key)

    @property
    def name(self) -> str:
        """The key name (for a log: its origin)."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._public_key

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id.hex()})"

    @property
    def seed(self) -> bytes:
        """The 32-byte private seed. Secret."""
        return self._key.private_bytes_raw()

    def verifier(self) -> Verifier:
        """The verifier of this signer's key."""
        return Verifier(self.name, self.key_id, self.public_key)

    def signature(self, msg: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature of ``msg`` (deterministic, RFC 8032)."""
        return self._key.sign(msg)

    def sign(self, text: str) -> str:
        """The signed note of ``text`` with this key alone."""
        return sign_note(text, self)


# --- key encodings ---------------------------------------------------------------------


def _chop(text: str, sep: str) -> tuple[str, str]:
    before, _, after = text.partition(sep)
    return before, after


def _parse_key_fields(name: str, hex_id: str, key64: str, what: str) -> tuple[bytes, bytes]:
    """Check the shared ``<name>+<hex key ID>+<base64(alg || key)>`` fields."""
    if not is_valid_name(name):
        raise NoteError(f"malformed {what}: invalid key name")
    if _HEX8.fullmatch(hex_id) is None:
        raise NoteError(f"malformed {what}: key ID must be 8 hex digits")
    raw = b64decode_strict(key64)
    if not raw:
        raise NoteError(f"malformed {what}: key is not base64")
    if raw[0] != ALG_ED25519:
        raise NoteError(f"malformed {what}: unknown signature type 0x{raw[0]:02x}")
    if len(raw) != 1 + 32:
        raise NoteError(f"malformed {what}: an Ed25519 key is 32 bytes")
    return bytes.fromhex(hex_id), raw[1:]


def parse_vkey(vkey: str) -> Verifier:
    """Parse a verifier key ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    if not isinstance(vkey, str):
        raise NoteError("a verifier key is a string")
    name, rest = _chop(vkey, "+")
    hex_id, key64 = _chop(rest, "+")
    key_id, public_key = _parse_key_fields(name, hex_id, key64, "verifier key")
    return Verifier(name, key_id, public_key)


def format_vkey(verifier: Verifier) -> str:
    """The verifier key text of ``verifier``."""
    if not isinstance(verifier, Verifier):
        raise NoteError("not a Verifier")
    key64 = b64encode(bytes([ALG_ED25519]) + verifier.public_key)
    return f"{verifier.name}+{verifier.key_id.hex()}+{key64}"


def parse_skey(skey: str) -> Signer:
    """Parse a signer key ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``.

    The key ID is checked against the public key derived from the seed.
    """
    if not isinstance(skey, str) or not skey.startswith(_PRIVATE_PREFIX):
        raise NoteError("malformed signer key: it must start with PRIVATE+KEY+")
    name, rest = _chop(skey[len(_PRIVATE_PREFIX) :], "+")
    hex_id, key64 = _chop(rest, "+")
    key_id, seed = _parse_key_fields(name, hex_id, key64, "signer key")
    signer = Signer(name, seed)
    if signer.key_id != key_id:
        raise NoteError(
            f"signer key ID {key_id.hex()} does not match its key (expected {signer.key_id.hex()})"
        )
    return signer


def format_skey(signer: Signer) -> str:
    """The signer key text of ``signer``. Secret."""
    if not isinstance(signer, Signer):
        raise NoteError("not a Signer")
    key64 = b64encode(bytes([ALG_ED25519]) + signer.seed)
    return f"{_PRIVATE_PREFIX}{signer.name}+{signer.key_id.hex()}+{key64}"


def new_signer_keys(name: str, seed: bytes | None = None) -> tuple[str, str]:
    """A new Ed25519 key pair for ``name`` as ``(signer key, verifier key)`` texts.

    ``seed`` (32 bytes) makes the pair deterministic; by default it is random.
    """
    key = Ed25519PrivateKey.generate() if seed is None else seed
    signer = Signer(name, key)
    return format_skey(signer), format_vkey(signer.verifier())


# --- notes -----------------------------------------------------------------------------


def _check_text(text: object) -> bytes:
    if not isinstance(text, str):
        raise NoteError("note text must be a string")
    if text == "" or not text.endswith("\n"):
        raise NoteError("note text must be non-empty and end with a newline")
    if _CONTROL.search(text) is not None:
        raise NoteError("note text must not contain control characters other than newline")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError("note text is not valid UTF-8") from exc


def sign_note(text: str, *signers: Signer) -> str:
    """Sign ``text`` with each signer, in order, and return the signed note.

    The text must be one :func:`open_note` would accept: non-empty, ending in ``\\n``,
    valid UTF-8 without control characters other than ``\\n``. At least one and at most
    :data:`MAX_SIGNATURES` signers, no two with the same key name and ID.
    """
    msg = _check_text(text)
    if not signers:
        raise NoteError("a note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    seen: set[tuple[str, bytes]] = set()
    lines = []
    for signer in signers:
        if not isinstance(signer, Signer):
            raise NoteError("not a Signer")
        ident = (signer.name, signer.key_id)
        if ident in seen:
            raise NoteError(f"key {signer.name}+{signer.key_id.hex()} signs twice")
        seen.add(ident)
        sig64 = b64encode(signer.key_id + signer.signature(msg))
        lines.append(f"{SIG_PREFIX}{signer.name} {sig64}\n")
    return text + "\n" + "".join(lines)


def _note_text(note: object) -> str:
    if isinstance(note, bytes):
        try:
            return note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("malformed note: not valid UTF-8") from exc
    if isinstance(note, str):
        if not _is_utf8(note):
            raise NoteError("malformed note: not valid UTF-8")
        return note
    raise NoteError("a note is a string or bytes")


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """Check a signed note and return ``(text, verifiers whose signature verified)``.

    Signatures by keys (name and key ID) not among ``verifiers`` are ignored. Raises
    :class:`NoteError` if the note is malformed, if a signature by a known key does not
    verify, or if no known key signed it. The verifiers come back once each, in the
    order of their first signature.
    """
    msg = _note_text(note)
    if _CONTROL.search(msg) is not None:
        raise NoteError("malformed note: control character")
    split = msg.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, sigs = msg[: split + 1], msg[split + 2 :]
    if sigs == "" or not sigs.endswith("\n"):
        raise NoteError("malformed note: signatures must end with a newline")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")

    try:
        candidates_list = list(verifiers)
    except TypeError as exc:
        raise NoteError("verifiers must be an iterable of Verifier") from exc
    known: dict[tuple[str, bytes], list[Verifier]] = {}
    for v in candidates_list:
        if not isinstance(v, Verifier):
            raise NoteError("not a Verifier")
        same = known.setdefault((v.name, v.key_id), [])
        if v not in same:
            same.append(v)

    text_bytes = text.encode("utf-8")
    verified: list[Verifier] = []
    checked: set[str] = set()
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise NoteError("malformed note: signature line must start with '— '")
        name, _, sig64 = line[len(SIG_PREFIX) :].partition(" ")
        if not is_valid_name(name) or sig64 == "":
            raise NoteError("malformed note: bad signature line")
        raw = b64decode_strict(sig64)
        if raw is None or len(raw) <= KEY_ID_SIZE:
            raise NoteError("malformed note: bad signature encoding")
        key_id, sig = raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:]
        candidates = known.get((name, key_id))
        if not candidates:
            continue  # unknown key: ignored
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {name}+{key_id.hex()}")
        if line in checked:
            continue  # an identical line already verified
        checked.add(line)
        v = candidates[0]
        if not v.verify(text_bytes, sig):
            raise NoteError(f"invalid signature for key {name}+{key_id.hex()}")
        if v not in verified:
            verified.append(v)
    if not verified:
        raise NoteError("note has no verifiable signatures")
    return text, verified
