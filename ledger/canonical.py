"""Canonical JSON bytes, RFC 8785 (JSON Canonicalization Scheme).

Everything the ledger hashes or signs as JSON goes through :func:`canonical_bytes`.

Ledger values are restricted to strings, booleans, null, arrays, objects and integers
in ``-(2**53 - 1) .. 2**53 - 1`` (RFC 8785 §3.2.2.3 serialises numbers as IEEE 754
doubles, so larger integers would not survive; nothing in an entry is fractional, so
floats are refused), nested at most ``MAX_DEPTH`` (64) arrays and objects deep (RFC
8259 §9 lets a parser limit nesting; a fixed limit keeps what is accepted independent
of Python's recursion limit, which some libraries raise; entries nest three deep).
Over that domain RFC 8785 coincides with ``orjson``'s compact output with sorted keys
(and with Python's ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``) except for the order of object keys outside ASCII (§3.2.3 sorts
by UTF-16 code units, orjson by code points). The fast path uses ``orjson``; it falls
back to the ``rfc8785`` package whenever a key is not ASCII, and to Python's ``json``
for keys of a ``str`` subclass (which orjson refuses). ``tests/unit/test_canonical.py``
checks the three agree, and that the fast parser accepts and refuses exactly what a
strict ``json``-based one does.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

from .errors import CanonicalError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64
"""The deepest nesting of arrays and objects accepted (a top-level object is depth 1)."""

_orjson_dumps = orjson.dumps
_orjson_loads = orjson.loads
_SORTED = orjson.OPT_SORT_KEYS


def _check(value: Any, path: str, depth: int = 0) -> bool:
    """Validate the value domain; return True when every object key is ASCII."""
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(
                f"{path}: integer {value} is outside ±(2^53-1) (RFC 8785 §3.2.2.3)"
            )
        return True
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floating-point numbers are not allowed in entries")
    if isinstance(value, (dict, list, tuple)) and depth == MAX_DEPTH:
        raise CanonicalError(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        ascii_keys = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object keys must be strings")
            ascii_keys = (_check(item, f"{path}.{key}", depth + 1) and ascii_keys
                          and key.isascii())
        return ascii_keys
    if isinstance(value, (list, tuple)):
        ascii_keys = True
        for i, item in enumerate(value):
            ascii_keys = _check(item, f"{path}[{i}]", depth + 1) and ascii_keys
        return ascii_keys
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


def _ascii_keys(value: Any) -> bool:
    """Whether every object key in a (parsed, in-domain) value is ASCII."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if not all(key.isascii() for key in item):
                return False
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return True


# Python's json gives the same bytes as orjson over the ledger's domain (the tests check
# it); it is used for keys of a str subclass, which orjson refuses.
_json_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def _encode(value: Any, ascii_keys: bool) -> bytes:
    """The canonical bytes of a value already in the ledger's domain."""
    try:
        if not ascii_keys:
            return bytes(rfc8785.dumps(value))
        try:
            return _orjson_dumps(value, option=_SORTED)
        except orjson.JSONEncodeError:
            return _json_dumps(value).encode("utf-8")
    except (rfc8785.CanonicalizationError, UnicodeError, ValueError, RecursionError) as exc:
        raise CanonicalError(f"not canonicalisable: {exc}") from exc


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises :class:`CanonicalError` for floats, unsafe integers, non-string keys,
    lone surrogates and anything that is not JSON.
    """
    return _encode(value, _check(value, "$"))


# -- parsing ----------------------------------------------------------------------------


def _in_domain(value: Any) -> bool:
    """Whether a parsed value holds no float, no integer beyond ±(2^53-1) and nothing
    nested deeper than MAX_DEPTH."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return kind is not float and (kind is not int or
                                      -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        container, depth = pop()
        for item in container.values() if type(container) is dict else container:
            kind = type(item)
            if kind is int:
                if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    return False
            elif kind is dict or kind is list:
                if depth == MAX_DEPTH:
                    return False
                push((item, depth + 1))
            elif kind is float:
                return False
    return True


def _parse_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise CanonicalError(f"integer {text} is outside ±(2^53-1) (RFC 8785 §3.2.2.3)")
    return value


def _refuse_float(text: str) -> Any:
    raise CanonicalError(f"number {text} is not an integer")


_strict_decoder = json.JSONDecoder(
    parse_int=_parse_int, parse_float=_refuse_float, parse_constant=_refuse_float
)


def parse_strict(data: bytes) -> Any:
    """Parse JSON ``data`` into the ledger's value domain with Python's ``json`` module,
    refusing floats and unsafe integers as they are read: slower than the ``orjson``
    path of :func:`parse_canonical`, whose refusals it explains (and whose reference
    it is in the tests). Raises :class:`CanonicalError`."""
    try:
        value = _strict_decoder.decode(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError,
        # and int()'s refusal of numbers over 4,300 digits are ValueErrors
        raise CanonicalError(f"not JSON: {exc}") from exc
    if not _in_domain(value):  # numbers were refused as they were read: the depth
        raise CanonicalError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def parse_canonical(data: bytes, *, caller_refuses_non_ascii_keys: bool = False) -> Any:
    """Parse JSON ``data`` and check that it is exactly its own canonical form.

    Raises :class:`CanonicalError` when the bytes are not UTF-8 JSON in the ledger's
    value domain or differ in any byte from the canonical serialisation of what they
    encode (which also rules out duplicate keys, whitespace and escapes RFC 8785
    does not use).

    ``caller_refuses_non_ascii_keys``: skip looking for object keys outside ASCII
    (whose RFC 8785 order the fast comparison can't judge), for a caller that refuses
    every value with such a key anyway — as the entry parser does, whose keys are
    all fixed ASCII names.
    """
    try:
        value = _orjson_loads(data)
    except orjson.JSONDecodeError:
        value = parse_strict(bytes(data))  # raises, saying why
    if not _in_domain(value):
        parse_strict(bytes(data))  # raises, naming the number (or the depth)
        raise CanonicalError("a value is outside the ledger's domain")  # pragma: no cover
    ascii_keys = caller_refuses_non_ascii_keys or data.isascii() or _ascii_keys(value)
    if _encode(value, ascii_keys) != data:
        raise CanonicalError("bytes are not in RFC 8785 canonical form")
    return value
