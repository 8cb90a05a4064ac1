"""EIP-712 hashing and signer recovery for the ledger's message types, fast.

Every message in a log entry is an EIP-712 typed message (https://eips.ethereum.org/EIPS/eip-712)
of one of the flat struct types in :mod:`ledger.messages`. This module hashes those types
directly — per-type ``typeHash`` computed once, each field encoded by a small specialised
function — and recovers signers with libsecp256k1 (coincurve). eth-account's generic
typed-data path gives the same digests (the tests check it on random messages) but
hashes and recovers at about 1/7 of raw libsecp256k1 speed; this path runs at about
0.7-0.8 of it. Only flat struct types (no referenced struct types) are covered.

The module is pure: no environment, clock or I/O.

**JSON form (canonical form) of a message** inside a log entry — a JSON object with
exactly the fields of its type, each as:

=============  ===========================================================================
``string``     JSON string (valid Unicode: no lone surrogates)
``address``    ``"0x"`` + 40 lowercase hex digits
``bytes32``    ``"0x"`` + 64 lowercase hex digits
``uintN``      JSON integer (not a bool) in ``0 .. min(2**N - 1, 2**53 - 1)``; the 2**53
               bound is because entries are RFC 8785 JSON, whose numbers are doubles
``bool``       ``true`` / ``false``
``T[]``        JSON array of ``T`` (the types use ``address[]``)
=============  ===========================================================================

:func:`normalize_message` turns what wallets and JS clients send into that form,
:func:`check_canonical` refuses anything else, and every hashing or signing function
here takes only the canonical form (and refuses anything else with
:class:`TypedDataError`), so one message has one JSON form and one digest.

**Signatures** are 65 bytes ``r || s || v`` with ``v`` in {27, 28} (0/1 accepted on
input) and, unlike eth-account, *low-s only* (EIP-2): eth-account's
``Account.recover_message`` also accepts the malleated twin ``(r, n - s, v ^ 1)`` of every
signature, which would give one signed message two valid entry encodings. Signatures
made here (libsecp256k1, RFC 6979 nonces) are always low-s, and so are those of every
mainstream wallet.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

from coincurve import PrivateKey, PublicKey

from .errors import SignatureError, TypedDataError
from .messages import DOMAIN_NAME, DOMAIN_VERSION, MessageType

__all__ = [
    "DOMAIN_TYPE",
    "MAX_SAFE_INTEGER",
    "Domain",
    "address_of",
    "check_canonical",
    "normalize_message",
    "recover_signer",
    "sign_digest",
    "sign_message",
    "signing_digest",
    "struct_hash",
    "type_hash",
    "typed_data",
]

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer an RFC 8785 (IEEE 754 double) JSON number holds exactly."""

#: The ``EIP712Domain`` fields we use (EIP-712 "Definition of domainSeparator"): name,
#: version and chainId; no verifyingContract (nothing is verified by one contract) and
#: no salt.
DOMAIN_TYPE: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
)

# secp256k1 group order.
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# 32-byte big-endian strings compare like the integers they encode, so the signature
# range checks below compare bytes and never build ints.
_N_BYTES = _N.to_bytes(32, "big")
_HALF_N_BYTES = (_N // 2).to_bytes(32, "big")  # n is odd: s <= n/2  <=>  s <= n // 2
_ZERO32 = bytes(32)
_ZERO12 = bytes(12)
_ONE32 = (1).to_bytes(32, "big")
_EIP191_712 = b"\x19\x01"
_KECCAK_EMPTY = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


# --- keccak256 -------------------------------------------------------------------------
#
# Measured on CPython 3.11 / x86-64, one keccak256 call on 32..400 bytes of input:
#   safe-pysha3  sha3.keccak_256(data).digest()                 0.65 - 1.3 µs
#   pycryptodome Crypto.Hash.keccak.new(data=..., 256).digest()  3.1 - 3.7 µs
#   eth_hash.auto.keccak (it picks pycryptodome first)           3.4 - 3.9 µs
# Hashing a Claim takes 7 keccak calls, so pycryptodome would add ~22 µs per message to
# a 27 µs ECDSA recovery; safe-pysha3 (a C extension, installed through
# eth-tester[py-evm] -> eth-hash[pysha3]) adds ~6 µs. eth_hash.auto is also avoided
# because it reads the ETH_HASH_BACKEND environment variable. If safe-pysha3 is missing
# (or its module answers wrongly) we fall back to pycryptodome, which eth-hash[pycryptodome]
# always brings; results are identical, only slower.


def _keccak_pysha3() -> Callable[[bytes], bytes] | None:
    try:
        sha3 = importlib.import_module("sha3")
        new = sha3.keccak_256
    except (ImportError, AttributeError):
        return None

    def keccak256(data: bytes) -> bytes:
        digest: bytes = new(data).digest()
        return digest

    try:
        ok = keccak256(b"") == _KECCAK_EMPTY
    except Exception:
        return None
    return keccak256 if ok else None


def _keccak_cryptodome() -> Callable[[bytes], bytes]:
    from Crypto.Hash import keccak

    new = keccak.new

    def keccak256(data: bytes) -> bytes:
        digest: bytes = new(data=data, digest_bits=256).digest()
        return digest

    return keccak256


_keccak: Callable[[bytes], bytes] = _keccak_pysha3() or _keccak_cryptodome()


# --- field types -----------------------------------------------------------------------

_ADDRESS_RE = re.compile(r"0x[0-9a-f]{40}")
_BYTES32_RE = re.compile(r"0x[0-9a-f]{64}")
_ANY_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_ANY_BYTES32_RE = re.compile(r"0x[0-9a-fA-F]{64}")
_DECIMAL_RE = re.compile(r"[0-9]{1,78}")  # 2**256 - 1 has 78 digits
_HEX_INT_RE = re.compile(r"0[xX][0-9a-fA-F]{1,64}")
_UINT_RE = re.compile(r"uint([0-9]{1,3})")


def _is_string(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _is_address(value: Any) -> bool:
    return type(value) is str and _ADDRESS_RE.fullmatch(value) is not None


def _is_bytes32(value: Any) -> bool:
    return type(value) is str and _BYTES32_RE.fullmatch(value) is not None


def _is_bool(value: Any) -> bool:
    return value is True or value is False


# EIP-712 "Definition of encodeData", one field type at a time. Each ``_word_*`` checks
# and encodes in one call — the 32-byte word of a canonical value, None for anything
# else — so the hot loop makes one call per field and hashes a string's UTF-8 once.
#   string   keccak256 of the UTF-8 bytes     address  20 bytes left-padded to 32
#   bytes32  the 32 bytes                      bool     uint256 0 or 1
#   uintN    32-byte big-endian                T[]      keccak256 of the elements' words

_match_address = _ADDRESS_RE.fullmatch
_match_bytes32 = _BYTES32_RE.fullmatch
_fromhex = bytes.fromhex


def _word_string(value: Any) -> bytes | None:
    if type(value) is not str:
        return None
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    return _keccak(data)


def _word_address(value: Any) -> bytes | None:
    if type(value) is str and _match_address(value):
        return _ZERO12 + _fromhex(value[2:])
    return None


def _word_bytes32(value: Any) -> bytes | None:
    if type(value) is str and _match_bytes32(value):
        return _fromhex(value[2:])
    return None


def _word_bool(value: Any) -> bytes | None:
    if value is True:
        return _ONE32
    if value is False:
        return _ZERO32
    return None


def _uint_bits(typ: str) -> int | None:
    match = _UINT_RE.fullmatch(typ)
    if match is None:
        return None
    bits = int(match.group(1))
    return bits if 8 <= bits <= 256 and bits % 8 == 0 else None


def _uint_max(bits: int) -> int:
    return min((1 << bits) - 1, MAX_SAFE_INTEGER)


@dataclass(frozen=True)
class _FieldType:
    """How one EIP-712 field type is checked, encoded and normalised."""

    expected: str  # for error messages: what the canonical form is
    check: Callable[[Any], bool]  # is the value canonical?
    word: Callable[[Any], bytes | None]  # its encodeData word if canonical, else None
    normalize: Callable[[Any], Any]  # client form -> canonical form, raises _Refused


class _Refused(Exception):
    """A value can't be normalised; the message says what was expected."""


def _norm_string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Refused("a string")
    if not _is_string(str(value)):
        raise _Refused("a valid Unicode string (no lone surrogates)")
    return str(value)


def _norm_address(value: Any) -> str:
    if not (isinstance(value, str) and _ANY_ADDRESS_RE.fullmatch(value)):
        raise _Refused('an address "0x" + 40 hex digits')
    digits = value[2:]
    lower = digits.lower()
    if digits != lower and digits != digits.upper() and digits != _checksummed(lower):
        raise _Refused("an address with a valid EIP-55 checksum (or all one case)")
    return "0x" + lower


def _checksummed(lower_hex: str) -> str:
    """EIP-55: a letter is upper-case where the keccak of the lower-case hex has a nibble >= 8."""
    nibbles = _keccak(lower_hex.encode("ascii")).hex()
    return "".join(
        c.upper() if n in "89abcdef" else c for c, n in zip(lower_hex, nibbles, strict=False)
    )


def _norm_bytes32(value: Any) -> str:
    if not (isinstance(value, str) and _ANY_BYTES32_RE.fullmatch(value)):
        raise _Refused('32 bytes as "0x" + 64 hex digits')
    return value.lower()


def _norm_bool(value: Any) -> bool:
    if value is True or value is False:
        return bool(value)
    raise _Refused("true or false")


def _uint_type(bits: int) -> _FieldType:
    top = _uint_max(bits)
    expected = f"an integer in 0..{top}"

    def check(value: Any) -> bool:
        return type(value) is int and 0 <= value <= top

    def word(value: Any) -> bytes | None:
        if type(value) is int and 0 <= value <= top:
            return value.to_bytes(32, "big")
        return None

    def normalize(value: Any) -> int:
        if isinstance(value, bool):
            raise _Refused(f"{expected}, not a bool")
        if isinstance(value, int):
            number = int(value)
        elif isinstance(value, str) and _DECIMAL_RE.fullmatch(value):
            number = int(value, 10)
        elif isinstance(value, str) and _HEX_INT_RE.fullmatch(value):
            number = int(value[2:], 16)
        else:
            raise _Refused(f'{expected} (a JSON integer, decimal string or "0x" hex string)')
        if not 0 <= number <= top:
            why = " (2^53-1 is the JSON limit of entries)" if top == MAX_SAFE_INTEGER else ""
            raise _Refused(expected + why)
        return number

    return _FieldType(expected, check, word, normalize)


def _array_type(element: _FieldType) -> _FieldType:
    check_one, word_one, normalize_one = element.check, element.word, element.normalize

    def check(value: Any) -> bool:
        return type(value) is list and all(check_one(item) for item in value)

    def word(value: Any) -> bytes | None:
        # EIP-712 "Definition of encodeData": an array is the keccak256 of the
        # concatenated encodeData of its elements.
        if type(value) is not list:
            return None
        words = []
        for item in value:
            encoded = word_one(item)
            if encoded is None:
                return None
            words.append(encoded)
        return _keccak(b"".join(words))

    def normalize(value: Any) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise _Refused(f"an array of {element.expected}")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(normalize_one(item))
            except _Refused as exc:
                raise _Refused(f"element {i}: expected {exc}") from None
        return out

    return _FieldType(f"an array of {element.expected}", check, word, normalize)


_ATOMIC: dict[str, _FieldType] = {
    "string": _FieldType("a string", _is_string, _word_string, _norm_string),
    "address": _FieldType(
        'a lowercase "0x" + 40 hex address', _is_address, _word_address, _norm_address
    ),
    "bytes32": _FieldType('lowercase "0x" + 64 hex', _is_bytes32, _word_bytes32, _norm_bytes32),
    "bool": _FieldType("true or false", _is_bool, _word_bool, _norm_bool),
}


@cache
def _field_type(typ: str) -> _FieldType:
    if typ in _ATOMIC:
        return _ATOMIC[typ]
    bits = _uint_bits(typ)
    if bits is not None:
        return _uint_type(bits)
    if typ.endswith("[]") and not typ[:-2].endswith("]"):
        return _array_type(_field_type(typ[:-2]))
    raise TypedDataError(
        f"unsupported EIP-712 field type {typ!r}: only string, address, bytes32, bool, "
        "uint8..uint256 and one-dimensional arrays of them are used"
    )


# --- per-type plans ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    mtype: MessageType
    type_hash: bytes
    names: tuple[str, ...]
    fields: tuple[tuple[str, _FieldType], ...]
    # The methods pulled out for the hot loops: (name, check) and (name, word).
    checks: tuple[tuple[str, Callable[[Any], bool]], ...]
    words: tuple[tuple[str, Callable[[Any], bytes | None]], ...]


_PLANS: dict[str, _Plan] = {}


def _plan(mtype: MessageType) -> _Plan:
    plan = _PLANS.get(mtype.name)
    if plan is not None and (plan.mtype is mtype or plan.mtype == mtype):
        return plan
    plan = _build_plan(mtype)
    _PLANS[mtype.name] = plan
    return plan


def _build_plan(mtype: MessageType) -> _Plan:
    if not isinstance(mtype, MessageType):
        raise TypedDataError(f"not a MessageType: {mtype!r}")
    names = mtype.field_names
    if len(set(names)) != len(names):
        raise TypedDataError(f"{mtype.name} declares a field twice")
    fields = tuple((name, _field_type(typ)) for name, typ in mtype.fields)
    return _Plan(
        mtype=mtype,
        type_hash=_keccak(mtype.encode_type().encode("utf-8")),
        names=names,
        fields=fields,
        checks=tuple((name, ft.check) for name, ft in fields),
        words=tuple((name, ft.word) for name, ft in fields),
    )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fields_error(mtype: MessageType, message: Mapping[str, Any]) -> TypedDataError:
    names = set(mtype.field_names)
    missing = [n for n in mtype.field_names if n not in message]
    extra = sorted(str(k) for k in message if k not in names)
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra)}")
    return TypedDataError(f"{mtype.name}: {'; '.join(parts)}")


def _value_error(mtype: MessageType, plan: _Plan, name: str, value: Any) -> TypedDataError:
    expected = dict(plan.fields)[name].expected
    return TypedDataError(f"{mtype.name}.{name}: expected {expected}, got {_show(value)}")


def type_hash(mtype: MessageType) -> bytes:
    """``typeHash = keccak256(encodeType(mtype))`` (EIP-712 "Definition of hashStruct").

    Computed once per type and cached. Raises :class:`TypedDataError` if the type uses a
    field type this module does not encode (anything but string, address, bytes32,
    bool, uintN and arrays of them).
    """
    return _plan(mtype).type_hash


def check_canonical(mtype: MessageType, message: Any) -> None:
    """Raise :class:`TypedDataError` unless ``message`` is a ``dict`` in canonical form.

    Canonical form is the table in the module docstring: exactly the type's fields,
    each as its one JSON form. Cheap (no hashing); used on every entry parsed from a log.
    """
    plan = _plan(mtype)
    if type(message) is not dict:
        raise TypedDataError(f"{mtype.name}: message must be a JSON object")
    if len(message) != len(plan.names):
        raise _fields_error(mtype, message)
    for name, check in plan.checks:
        try:
            value = message[name]
        except KeyError:
            raise _fields_error(mtype, message) from None
        if not check(value):
            raise _value_error(mtype, plan, name, value)


def struct_hash(mtype: MessageType, message: Mapping[str, Any]) -> bytes:
    """``hashStruct(message) = keccak256(typeHash || encodeData(message))`` (EIP-712
    "Definition of hashStruct" and "Definition of encodeData").

    ``message`` must be in canonical form: the same checks as :func:`check_canonical`
    are made while encoding, and any failure raises :class:`TypedDataError`, so a value
    is never hashed in a form the log would not accept. (A ``Mapping`` other than
    ``dict`` is accepted here.)
    """
    plan = _plan(mtype)
    if type(message) is not dict and not isinstance(message, Mapping):
        raise TypedDataError(f"{mtype.name}: message must be a JSON object")
    if len(message) != len(plan.names):
        raise _fields_error(mtype, message)
    words = [plan.type_hash]
    append = words.append
    for name, word in plan.words:
        try:
            value = message[name]
        except KeyError:
            raise _fields_error(mtype, message) from None
        encoded = word(value)
        if encoded is None:
            raise _value_error(mtype, plan, name, value)
        append(encoded)
    return _keccak(b"".join(words))


@lru_cache(maxsize=64)
def _domain_separator(name: str, version: str, chain_id: int) -> bytes:
    domain_type = MessageType("EIP712Domain", DOMAIN_TYPE, "name")
    return struct_hash(domain_type, {"name": name, "version": version, "chainId": chain_id})


@dataclass(frozen=True)
class Domain:
    """The EIP-712 signing domain (EIP-712 "Definition of domainSeparator").

    Fields ``name``, ``version`` and ``chainId`` — in that order, with no
    ``verifyingContract`` and no ``salt``. ``chain_id`` is the EIP-155 chain id recorded
    in the region's first entry; it must be an integer in ``1 .. 2**53 - 1`` (it is a
    ``uint64`` JSON number there). Raises :class:`TypedDataError` otherwise.
    """

    chain_id: int
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION

    def __post_init__(self) -> None:
        if not (type(self.chain_id) is int and 1 <= self.chain_id <= MAX_SAFE_INTEGER):
            raise TypedDataError(f"chain id must be an integer in 1..{MAX_SAFE_INTEGER}")
        if not (_is_string(self.name) and _is_string(self.version)):
            raise TypedDataError("domain name and version must be valid Unicode strings")

    @cached_property
    def separator(self) -> bytes:
        """``domainSeparator = hashStruct(eip712Domain)``, 32 bytes (computed once)."""
        return _domain_separator(self.name, self.version, self.chain_id)

    def as_json(self) -> dict[str, Any]:
        """The ``domain`` object of ``eth_signTypedData_v4`` (chainId as a JSON number)."""
        return {"name": self.name, "version": self.version, "chainId": self.chain_id}


def signing_digest(domain: Domain, mtype: MessageType, message: Mapping[str, Any]) -> bytes:
    """The 32 bytes a wallet signs: ``keccak256(0x19 0x01 || domainSeparator ||
    hashStruct(message))`` (EIP-712 "Specification", the ``encode(domainSeparator,
    message)`` rule, which is EIP-191 version 0x01).

    ``message`` must be in canonical form; raises :class:`TypedDataError` otherwise.
    """
    return _keccak(_EIP191_712 + domain.separator + struct_hash(mtype, message))


def digest_of(domain: Domain, struct: bytes) -> bytes:
    """:func:`signing_digest` from an already computed ``hashStruct`` (32 bytes)."""
    return _keccak(_EIP191_712 + domain.separator + struct)


def typed_data(domain: Domain, mtype: MessageType, message: Mapping[str, Any]) -> dict[str, Any]:
    """The full EIP-712 JSON object — ``types`` (with ``EIP712Domain``), ``primaryType``,
    ``domain``, ``message`` — as ``eth_signTypedData_v4`` and eth-account's
    ``encode_typed_data(full_message=...)`` take it (EIP-712 "Specification of the
    eth_signTypedData JSON RPC"). Integers are JSON numbers.

    ``message`` must be in canonical form (raises :class:`TypedDataError`); the result
    holds a copy of it, so signing the result signs exactly :func:`signing_digest`.
    """
    struct_hash(mtype, message)  # validates
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in DOMAIN_TYPE],
            mtype.name: [{"name": n, "type": t} for n, t in mtype.fields],
        },
        "primaryType": mtype.name,
        "domain": domain.as_json(),
        "message": {n: list(v) if type(v) is list else v for n, v in message.items()},
    }


def normalize_message(mtype: MessageType, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the canonical form of a message as a wallet or JS client sends it.

    Accepted beyond the canonical form: addresses in any case — all lower, all upper,
    or mixed case with a valid EIP-55 checksum; ``bytes32`` hex in any case; integers as
    JSON numbers, decimal strings or ``"0x"`` hex strings (how BigInt-using clients send
    them). Raises :class:`TypedDataError` naming the field and what is expected for a
    missing or extra field, a wrong type (e.g. a bool for an integer, a number for a
    string), an integer out of range for its ``uintN`` or above 2**53 - 1, a bad
    checksum, or a string with lone surrogates.
    """
    plan = _plan(mtype)
    if not isinstance(raw, Mapping):
        raise TypedDataError(f"{mtype.name}: message must be a JSON object")
    if len(raw) != len(plan.names) or any(name not in raw for name in plan.names):
        raise _fields_error(mtype, raw)
    out: dict[str, Any] = {}
    for name, ft in plan.fields:
        value = raw[name]
        try:
            out[name] = ft.normalize(value)
        except _Refused as exc:
            raise TypedDataError(
                f"{mtype.name}.{name}: expected {exc}, got {_show(value)}"
            ) from None
    return out


# --- signatures -------------------------------------------------------------------------


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, str):
        if len(signature) != 132 or signature[:2] not in ("0x", "0X"):
            raise SignatureError('signature must be "0x" + 130 hex digits (65 bytes)')
        try:
            raw = bytes.fromhex(signature[2:])
        except ValueError:
            raise SignatureError("signature is not hex") from None
        if len(raw) != 65:  # bytes.fromhex skips whitespace
            raise SignatureError("signature is not hex")
        return raw
    if isinstance(signature, (bytes, bytearray, memoryview)):
        raw = bytes(signature)
        if len(raw) != 65:
            raise SignatureError(f"signature must be 65 bytes, not {len(raw)}")
        return raw
    raise SignatureError("signature must be bytes or a 0x-hex string")


def normalize_signature(signature: object) -> str:
    """The form a log entry holds (docs/log-format.md): ``"0x"`` + 130 lowercase hex
    digits with ``v`` 27 or 28. Wallets that give ``v`` as 0 or 1 (the recovery id) get
    27 or 28 for it: the same signature, written one way only. Raises
    :class:`SignatureError` when ``signature`` is not 65 bytes of hex or ``v`` is
    neither."""
    if not isinstance(signature, str):
        raise SignatureError('signature must be "0x" + 130 hex digits (65 bytes)')
    raw = _signature_bytes(signature)
    if raw[64] in (0, 1):
        raw = raw[:64] + bytes([raw[64] + 27])
    elif raw[64] not in (27, 28):
        raise SignatureError("signature v must be 27 or 28 (or 0 or 1)")
    return "0x" + raw.hex()


def recover_signer(digest: bytes, signature: bytes | str) -> str:
    """The lowercase 0x address whose key made ``signature`` over the 32-byte ``digest``.

    ``signature`` is 65 bytes ``r || s || v`` (or ``"0x"`` + 130 hex digits, any case)
    with ``v`` in {27, 28} or {0, 1}. Raises :class:`SignatureError` for a wrong length
    or non-hex, another ``v``, ``r`` or ``s`` zero or ``>= n``, a **high-s** signature
    (``s > n/2``, refused since EIP-2 for transactions; eth-account's recovery accepts
    it, we do not, so that a log entry's signature can't be swapped for its malleated
    twin), or a signature from which no key can be recovered. It never raises for a
    well-formed signature by another key: compare the result with the expected signer.
    """
    raw = _signature_bytes(signature)
    if type(digest) is not bytes or len(digest) != 32:
        raise SignatureError("digest must be 32 bytes")
    r, s, v = raw[:32], raw[32:64], raw[64]
    if r == _ZERO32 or r >= _N_BYTES:
        raise SignatureError("signature r is out of range")
    if s == _ZERO32:
        raise SignatureError("signature s is out of range")
    if s > _HALF_N_BYTES:
        raise SignatureError("signature s is in the upper half of the curve order (EIP-2 high-s)")
    if v >= 27:
        v -= 27
    if v > 1:
        raise SignatureError("signature v must be 27 or 28 (or 0 or 1)")
    public = _recover_public(raw[:64], v, digest)
    if public is None:
        raise SignatureError("no public key can be recovered from this signature")
    return "0x" + _keccak(public)[12:].hex()


# --- public key recovery ------------------------------------------------------------------
#
# coincurve's PublicKey.from_signature_and_message(...).format(compressed=False) makes
# five cffi allocations and three Python objects around the two libsecp256k1 calls, ~10
# µs of a ~60 µs recovery. The verifiers recover one key per log entry, so here the same
# libsecp256k1 functions (coincurve's own compiled module and context) are called with
# buffers allocated once per thread (cffi releases the GIL during the calls, so threads
# must not share them). tests/unit/test_eip712.py checks it against coincurve's API.


def _coincurve_recover(rs: bytes, recid: int, digest: bytes) -> bytes | None:
    try:
        public = PublicKey.from_signature_and_message(rs + bytes((recid,)), digest, hasher=None)
    except ValueError:
        return None
    return public.format(compressed=False)[1:]


def _libsecp256k1_recover() -> Callable[[bytes, int, bytes], bytes | None] | None:
    try:
        from coincurve._libsecp256k1 import ffi, lib
        from coincurve.context import GLOBAL_CONTEXT

        ctx, uncompressed = GLOBAL_CONTEXT.ctx, lib.SECP256K1_EC_UNCOMPRESSED
        parse = lib.secp256k1_ecdsa_recoverable_signature_parse_compact
        recover, serialize = lib.secp256k1_ecdsa_recover, lib.secp256k1_ec_pubkey_serialize
    except (ImportError, AttributeError):  # another coincurve layout: its public API
        return None
    local = threading.local()

    def buffers() -> Any:
        out = ffi.new("unsigned char[65]")
        local.buffers = (ffi.new("secp256k1_ecdsa_recoverable_signature *"),
                         ffi.new("secp256k1_pubkey *"), out, ffi.new("size_t *"),
                         ffi.buffer(out))
        return local.buffers

    def recover_public(rs: bytes, recid: int, digest: bytes) -> bytes | None:
        """The 64-byte public key (x || y) that made the compact signature ``rs`` with
        recovery id ``recid`` over ``digest``, or None."""
        try:
            sig, pub, out, size, view = local.buffers
        except AttributeError:
            sig, pub, out, size, view = buffers()
        if not (parse(ctx, sig, rs, recid) and recover(ctx, pub, sig, digest)):
            return None
        size[0] = 65
        serialize(ctx, out, size, pub, uncompressed)
        public: bytes = view[1:65]
        return public

    signed = PrivateKey(_ONE32).sign_recoverable(_ONE32, hasher=None)  # a self-check
    probe = (signed[:64], signed[64], _ONE32)
    ok = recover_public(*probe) == _coincurve_recover(*probe) is not None
    return recover_public if ok else None


_recover_public: Callable[[bytes, int, bytes], bytes | None] = (
    _libsecp256k1_recover() or _coincurve_recover)


def _private_key(private_key: bytes) -> PrivateKey:
    if not isinstance(private_key, (bytes, bytearray)) or len(private_key) != 32:
        raise SignatureError("private key must be 32 bytes")
    if not 0 < int.from_bytes(private_key, "big") < _N:
        raise SignatureError("private key must be in 1..n-1 of secp256k1")
    return PrivateKey(bytes(private_key))


def address_of(private_key: bytes) -> str:
    """The lowercase 0x Ethereum address of a 32-byte secp256k1 private key.

    Raises :class:`SignatureError` if it is not 32 bytes in ``1 .. n-1``.
    """
    public = _private_key(private_key).public_key.format(compressed=False)
    return "0x" + _keccak(public[1:])[12:].hex()


def sign_digest(private_key: bytes, digest: bytes) -> str:
    """Sign a 32-byte digest: ``"0x"`` + 130 lowercase hex of ``r || s || v``, v 27/28.

    Deterministic (RFC 6979) and always low-s, so :func:`recover_signer` accepts it.
    Raises :class:`SignatureError` for a bad key or a digest that is not 32 bytes.
    """
    if type(digest) is not bytes or len(digest) != 32:
        raise SignatureError("digest must be 32 bytes")
    raw = _private_key(private_key).sign_recoverable(digest, hasher=None)
    recid = raw[64]
    if recid > 1:  # r >= n: probability ~2^-127, but never emit an unrecoverable v
        raise SignatureError("signature has recovery id above 1; sign again with another nonce")
    return "0x" + raw[:64].hex() + ("1b" if recid == 0 else "1c")


def sign_message(
    private_key: bytes, domain: Domain, mtype: MessageType, message: Mapping[str, Any]
) -> str:
    """:func:`sign_digest` of :func:`signing_digest`; what a wallet's
    ``eth_signTypedData_v4`` of :func:`typed_data` returns for the same key.

    Raises :class:`TypedDataError` for a non-canonical message, :class:`SignatureError`
    for a bad key.
    """
    return sign_digest(private_key, signing_digest(domain, mtype, message))
