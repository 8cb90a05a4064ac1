"""Canonical JSON bytes, RFC 8785 (JSON Canonicalization Scheme).

Everything the ledger hashes or signs as JSON goes through :func:`canonical_bytes`.
RFC 8785 §3.2.2.3 serialises numbers as IEEE 754 doubles, so integers are accepted
only in the exactly representable range ``-(2**53 - 1) .. 2**53 - 1``; floats are
refused outright because nothing in a ledger entry is fractional.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from .errors import CanonicalError

MAX_SAFE_INTEGER = 2**53 - 1


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(f"{path}: integer {value} is outside ±(2^53-1) (RFC 8785 §3.2.2.3)")
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floating-point numbers are not allowed in entries")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object keys must be strings")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises :class:`CanonicalError` for floats, unsafe integers, non-string keys,
    lone surrogates and anything that is not JSON.
    """
    _check(value, "$")
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeError, ValueError) as exc:
        raise CanonicalError(f"not canonicalisable: {exc}") from exc


def parse_canonical(data: bytes) -> Any:
    """Parse JSON ``data`` and check that it is already in canonical form.

    Raises :class:`CanonicalError` when the bytes are not JSON, contain duplicate
    keys, or differ from the canonical serialisation of what they encode.
    """

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in pairs:
            if key in out:
                raise CanonicalError(f"duplicate key {key!r}")
            out[key] = item
        return out

    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CanonicalError(f"not JSON: {exc}") from exc
    if canonical_bytes(value) != data:
        raise CanonicalError("bytes are not in RFC 8785 canonical form")
    return value
