"""The log entry, format version 1.

An entry is a JSON object in RFC 8785 canonical form with exactly these members::

    {"v": 1, "origin": "kakawari/<region>", "seq": <int>, "time": <unix seconds>,
     "type": "<EIP-712 primary type>", "signer": "0x<40 lowercase hex>",
     "message": {<the typed message, JSON form>}, "signature": "0x<130 lowercase hex>"}

The leaf hash of an entry is ``merkle.leaf_hash(entry_bytes)`` (RFC 9162 §2.1.1).
The message's JSON form is defined in :mod:`ledger.eip712` (addresses and bytes as
lowercase 0x-hex, integers as JSON numbers). Parsing is strict: unknown or missing
members, non-canonical bytes and over-long fields are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from .canonical import canonical_bytes, parse_canonical
from .errors import CanonicalError, EntryError

ENTRY_VERSION = 1
ORIGIN_PREFIX = "kakawari/"
REGION_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
ADDRESS_RE = re.compile(r"^0x[0-9a-f]{40}$")
SIGNATURE_RE = re.compile(r"^0x[0-9a-f]{128}1[bc]$")  # r, s and v = 27 or 28
TYPE_RE = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
MAX_ENTRY_BYTES = 64 * 1024
_KEYS = frozenset({"v", "origin", "seq", "time", "type", "signer", "message", "signature"})
#: (origin, type, signer) triples found well-formed already (see Entry.__post_init__)
_VALID_HEADS: set[tuple[str, str, str]] = set()


def origin_for(region: str) -> str:
    """The log origin of a region: ``kakawari/<region>``."""
    if not REGION_ID_RE.fullmatch(region):
        raise EntryError(
            f"region id {region!r} must be 1-32 characters of a-z, 0-9 and '-', "
            "not starting or ending with '-'"
        )
    return ORIGIN_PREFIX + region


# In canonical form the members are sorted, so everything after "message" is fixed:
# origin, seq, signature, signer, time, type, v — none of which can contain the text
# ',"origin":"', which therefore last occurs where the top-level member starts.
_TAIL = re.compile(
    rb',"origin":"([^"\\]{1,64})","seq":(0|[1-9][0-9]{0,15}),"signature":"[^"\\]*",'
    rb'"signer":"[^"\\]*","time":[0-9]{1,16},"type":"[^"\\]*","v":1\}'
)


def entry_position(data: bytes) -> tuple[str, int]:
    """Where entry ``data`` says it sits: its ``(origin, seq)``.

    A cheap check for the store's append path, reading only the fixed tail of a
    canonical version-1 entry. Signatures, the message and full canonical form are
    the verifier's job (:meth:`Entry.from_bytes`). Raises :class:`EntryError`.
    """
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryError(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
    start = data.rfind(b',"origin":"')
    match = _TAIL.fullmatch(data, start) if start > 0 and data[:12] == b'{"message":{' else None
    if match is None:
        raise EntryError("not a canonical version-1 entry")
    return match[1].decode("utf-8", "replace"), int(match[2])


@dataclass(frozen=True)
class Entry:
    origin: str
    seq: int
    time: int
    type: str
    signer: str
    message: dict[str, Any]
    signature: str
    digest: bytes | None = field(default=None, compare=False, repr=False)
    """The EIP-712 signing digest of ``message`` under its region's domain, once a
    verifier has computed it (:func:`ledger.verify.check_entry` sets it), so that
    whoever needs it next (a claim's id is this digest) need not hash again."""

    def __post_init__(self) -> None:
        head = (self.origin, self.type, self.signer)
        if not (type(self.origin) is str and type(self.type) is str and
                type(self.signer) is str and head in _VALID_HEADS):
            self._check_head()
            if len(_VALID_HEADS) < 4096:  # few origins and signers: most entries hit
                _VALID_HEADS.add(head)
        for name in ("seq", "time"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise EntryError(f"{name} must be a non-negative integer")
        if not isinstance(self.message, dict):
            raise EntryError("message must be a JSON object")
        if not (isinstance(self.signature, str) and SIGNATURE_RE.fullmatch(self.signature)):
            raise EntryError("signature must be 65 bytes of lowercase 0x-hex, v 27 or 28")

    def _check_head(self) -> None:
        if not (isinstance(self.origin, str) and self.origin.startswith(ORIGIN_PREFIX)):
            raise EntryError(f"origin must start with {ORIGIN_PREFIX!r}")
        origin_for(self.origin[len(ORIGIN_PREFIX) :])
        if not (isinstance(self.type, str) and TYPE_RE.fullmatch(self.type)):
            raise EntryError("type must be an EIP-712 struct name")
        if not (isinstance(self.signer, str) and ADDRESS_RE.fullmatch(self.signer)):
            raise EntryError("signer must be a lowercase 0x-hex address")

    @property
    def region(self) -> str:
        return self.origin[len(ORIGIN_PREFIX) :]

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ENTRY_VERSION,
            "origin": self.origin,
            "seq": self.seq,
            "time": self.time,
            "type": self.type,
            "signer": self.signer,
            "message": self.message,
            "signature": self.signature,
        }

    def to_bytes(self) -> bytes:
        """Canonical bytes (RFC 8785); raises :class:`EntryError` past MAX_ENTRY_BYTES."""
        try:
            data = canonical_bytes(self.to_json())
        except CanonicalError as exc:
            raise EntryError(f"entry is not canonicalisable: {exc}") from exc
        if len(data) > MAX_ENTRY_BYTES:
            raise EntryError(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
        return data

    @classmethod
    def from_checked_bytes(cls, data: bytes, digest: bytes | None = None) -> Entry:
        """Parse entry bytes that :meth:`from_bytes` (or :func:`~ledger.verify.
        check_entry_bytes`, in another process, say) has already accepted, without
        checking them again: a few times quicker, and only for such bytes.
        ``digest``: the signing digest that check computed."""
        return cls._from_json(orjson.loads(data), digest)

    @classmethod
    def _from_json(cls, obj: dict[str, Any], digest: bytes | None) -> Entry:
        """The entry whose JSON members are ``obj`` (which it takes over), unchecked.

        The parsed object, less ``v``, becomes the instance's ``__dict__``: one step
        instead of eight frozen-attribute assignments, a few µs per entry when a
        verifier reads a whole log."""
        del obj["v"]
        obj["digest"] = digest
        entry = object.__new__(cls)
        object.__setattr__(entry, "__dict__", obj)
        return entry

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Parse canonical entry bytes strictly; raises :class:`EntryError`."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise EntryError("entry must be bytes")
        data = bytes(data)
        if len(data) > MAX_ENTRY_BYTES:
            raise EntryError(f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_BYTES}")
        try:
            # every key of an entry is a fixed ASCII name: the members below, and the
            # message's field names (checked against its EIP-712 type by the verifier)
            obj = parse_canonical(data, caller_refuses_non_ascii_keys=True)
        except CanonicalError as exc:
            raise EntryError(str(exc)) from exc
        if not isinstance(obj, dict) or set(obj) != _KEYS:
            raise EntryError(f"entry must have exactly the members {sorted(_KEYS)}")
        if obj["v"] != ENTRY_VERSION or isinstance(obj["v"], bool):
            raise EntryError(f"unsupported entry version {obj['v']!r}")
        entry = cls._from_json(obj, None)
        entry.__post_init__()  # the same checks as when built from its fields
        return entry
