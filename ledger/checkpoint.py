"""Checkpoints (signed tree heads), C2SP ``tlog-checkpoint`` signed as a C2SP note.

The body is::

    <origin>\\n
    <tree size, ASCII decimal, no leading zeros>\\n
    <base64 of the 32-byte RFC 9162 root hash>\\n
    [<extension line>\\n ...]

A region's log signs it with the region's Ed25519 key, whose key name is the origin
(``kakawari/<region-id>``); :func:`open_checkpoint` insists on that. Every malformed
input, of any type, raises :class:`NoteError` and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import NoteError
from .note import Signer, Verifier, b64decode_strict, b64encode, open_note, sign_note

__all__ = [
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "Checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

HASH_SIZE = 32
"""Size of a root hash (SHA-256)."""

MAX_TREE_SIZE = 2**64 - 1
"""Largest tree size a checkpoint may state (sizes are uint64 in every implementation)."""

_SIZE = re.compile("0|[1-9][0-9]{0,19}")
_BAD_LINE_CHAR = re.compile("[\x00-\x1f]")


def _check_line(value: object, what: str) -> str:
    """A checkpoint line: a non-empty UTF-8 string without control characters."""
    if not isinstance(value, str):
        raise NoteError(f"checkpoint {what} must be a string")
    if value == "":
        raise NoteError(f"checkpoint {what} must not be empty")
    if _BAD_LINE_CHAR.search(value) is not None:
        raise NoteError(f"checkpoint {what} must not contain newlines or control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"checkpoint {what} is not valid UTF-8") from exc
    return value


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash, optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError("checkpoint size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"checkpoint size must be in 0..2^64-1, not {self.size}")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise NoteError(f"checkpoint root must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, (tuple, list)):
            raise NoteError("checkpoint extensions must be a tuple of strings")
        for ext in self.extensions:
            _check_line(ext, "extension line")
        object.__setattr__(self, "extensions", tuple(self.extensions))

    def body(self) -> str:
        """The tlog-checkpoint note text."""
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body strictly (the note text, without signatures)."""
    if not isinstance(text, str):
        raise NoteError("a checkpoint is a string")
    if not text.endswith("\n"):
        raise NoteError("malformed checkpoint: lines must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("malformed checkpoint: origin, size and root lines are required")
    origin, size_text, root_text, *extensions = lines
    _check_line(origin, "origin")
    if _SIZE.fullmatch(size_text) is None:
        raise NoteError(
            "malformed checkpoint: size must be decimal digits without sign or leading zeros"
        )
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise NoteError("malformed checkpoint: size exceeds 2^64-1")
    root = b64decode_strict(root_text)
    if root is None or len(root) != HASH_SIZE:
        raise NoteError(f"malformed checkpoint: root must be base64 of {HASH_SIZE} bytes")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: Signer) -> str:
    """Sign ``cp`` as a note with ``signer``, whose key name must be the origin."""
    if not isinstance(cp, Checkpoint):
        raise NoteError("not a Checkpoint")
    if not isinstance(signer, Signer):
        raise NoteError("not a Signer")
    if signer.name != cp.origin:
        raise NoteError(f"key {signer.name!r} may not sign a checkpoint of origin {cp.origin!r}")
    return sign_note(cp.body(), signer)


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and return it.

    The note must carry a valid signature by ``verifier`` (other keys' signatures are
    ignored), its body must parse, and its origin must equal the verifier's key name
    and, if given, ``origin``.
    """
    if not isinstance(note, str):
        raise NoteError("a signed checkpoint is a string")
    if not isinstance(verifier, Verifier):
        raise NoteError("not a Verifier")
    if origin is not None and not isinstance(origin, str):
        raise NoteError("the expected origin must be a string")
    text, _ = open_note(note, [verifier])
    cp = parse_checkpoint(text)
    if cp.origin != verifier.name:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not the key name {verifier.name!r}")
    if origin is not None and cp.origin != origin:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not the expected {origin!r}")
    return cp
