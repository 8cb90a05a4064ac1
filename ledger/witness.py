"""The witness's side of C2SP ``tlog-witness`` ``add-checkpoint``, as pure functions.

https://c2sp.org/tlog-witness (HEAD). The request body is::

    old <size>\\n
    <base64 consistency proof hash>\\n      (0 to 63 lines)
    \\n
    <signed checkpoint>

:func:`parse_request` reads it; :func:`check_request` decides, in the spec's order,
what the witness answers, given the logs it trusts and the latest checkpoint it
cosigned for that origin:

===  ===================================================================================
404  the checkpoint's origin is not a log this witness knows
403  no signature by a trusted key for the origin, or one by a trusted key (name and key
     ID) that does not verify
400  the body is malformed, or the old size is above the checkpoint's size
409  the old size is not the size of the latest checkpoint cosigned (body: that size)
422  a size-0 checkpoint without the empty tree's root; a proof from size 0; a proof
     that does not verify; the same size with another root (HEAD: 422; v1.0.0 said 409)
200  consistent: the caller stores the new state *atomically with the check* and returns
     the cosignature
===  ===================================================================================

The compare-and-update itself is the caller's (``service/witness.py``): it must hold
the stored state fixed between :func:`check_request` and writing the new one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import merkle
from .checkpoint import Checkpoint, parse_checkpoint
from .errors import NoteError, ProofError
from .note import Verifier, b64decode_strict, b64encode, open_note

__all__ = [
    "MAX_PROOF",
    "AddCheckpoint",
    "Refusal",
    "WitnessState",
    "check_request",
    "format_request",
    "parse_request",
]

MAX_PROOF = 63
_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")
_EMPTY_ROOT = hashlib.sha256(b"").digest()


@dataclass(frozen=True)
class Refusal(Exception):
    """What the witness answers instead of a cosignature: HTTP ``status`` and why.

    For 409, ``size`` is the size of the latest cosigned checkpoint (the body is that
    number and a newline, ``text/x.tlog.size``).
    """

    status: int
    reason: str
    size: int | None = None

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: str


@dataclass(frozen=True)
class WitnessState:
    """The latest checkpoint a witness cosigned for one origin."""

    size: int
    root: bytes


def format_request(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The body of an add-checkpoint request."""
    lines = [f"old {old_size}\n", *(b64encode(p) + "\n" for p in proof), "\n"]
    return ("".join(lines) + note).encode("utf-8")


def parse_request(body: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint body; :class:`Refusal` 400 if it is malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise Refusal(400, "no empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if match is None:
        raise Refusal(400, "the first line must be 'old <size>' in decimal, no leading zeros")
    old = int(match.group(1))
    if old > 2**64 - 1:
        raise Refusal(400, "old size above 2^64-1")
    proof: list[bytes] = []
    for line in lines[1:]:
        h = b64decode_strict(line)
        if h is None or len(h) != 32:
            raise Refusal(400, "a consistency proof line is not base64 of 32 bytes")
        proof.append(h)
    if len(proof) > MAX_PROOF:
        raise Refusal(400, f"more than {MAX_PROOF} consistency proof lines")
    return AddCheckpoint(old, tuple(proof), note)


def _checkpoint_of(note: str, trusted: Mapping[str, Sequence[Verifier]]) -> Checkpoint:
    split = note.rfind("\n\n")
    if split < 0:
        raise Refusal(400, "the checkpoint is not a signed note")
    try:
        cp = parse_checkpoint(note[: split + 1])
    except NoteError as exc:
        raise Refusal(400, f"malformed checkpoint: {exc}") from None
    keys = trusted.get(cp.origin)
    if not keys:
        raise Refusal(404, f"unknown log origin {cp.origin!r}")
    try:
        open_note(note, keys)
    except NoteError as exc:
        raise Refusal(403, f"no valid signature by a trusted key of {cp.origin}: {exc}") from None
    return cp


def check_request(req: AddCheckpoint, trusted: Mapping[str, Sequence[Verifier]],
                  state_of: Mapping[str, WitnessState]) -> Checkpoint:
    """The checkpoint to cosign, or :class:`Refusal` with the spec's status.

    ``trusted``: origin -> the log keys the witness trusts for it. ``state_of``: origin
    -> the latest checkpoint cosigned (absent: never; the old size must then be 0).
    """
    cp = _checkpoint_of(req.note, trusted)
    if req.old_size > cp.size:
        raise Refusal(400, f"old size {req.old_size} is above the checkpoint's size {cp.size}")
    state = state_of.get(cp.origin)
    known = 0 if state is None else state.size
    if req.old_size != known:
        raise Refusal(409, f"the latest checkpoint cosigned for {cp.origin} has size {known}",
                      size=known)
    if cp.size == 0 and cp.root != _EMPTY_ROOT:
        raise Refusal(422, "a checkpoint of size 0 must have the empty tree's root")
    if req.old_size == 0:
        if req.proof:
            raise Refusal(422, "a consistency proof from size 0 must be empty")
        return cp
    assert state is not None
    if req.old_size == cp.size and state.root != cp.root:
        raise Refusal(422, f"another root for the same size {cp.size}: the log forked")
    try:
        merkle.verify_consistency(req.old_size, cp.size, state.root, cp.root, list(req.proof))
    except ProofError as exc:
        raise Refusal(422, f"the consistency proof does not verify: {exc}") from None
    return cp
