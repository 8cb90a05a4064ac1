"""The orjson-based fast path of ledger.canonical agrees with the rfc8785 package, and its
parser accepts and refuses exactly what a strict json-based reference does."""

from __future__ import annotations

import json
import sys

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    _json_dumps,
    canonical_bytes,
    parse_canonical,
    parse_strict,
)
from ledger.errors import CanonicalError

# Keys and strings drawn from the whole of Unicode (surrogates excluded: they are not
# encodable), so non-ASCII keys reach the rfc8785 fallback and the UTF-16 ordering.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_fast_path_equals_rfc8785(value: object) -> None:
    expected = bytes(rfc8785.dumps(value))
    assert canonical_bytes(value) == expected
    assert parse_canonical(expected) == value
    if expected.isascii() or _all_keys_ascii(value):  # the fallback where orjson stops
        assert _json_dumps(value).encode() == expected


def _all_keys_ascii(value: object) -> bool:
    if isinstance(value, dict):
        return all(k.isascii() and _all_keys_ascii(v) for k, v in value.items())
    return all(map(_all_keys_ascii, value)) if isinstance(value, list) else True


def test_utf16_key_order_of_rfc8785_section_3_2_3() -> None:
    # U+FFFD sorts after U+1F600 by code point but before it by UTF-16 code unit
    # (0xD83D < 0xFFFD), which is the order RFC 8785 §3.2.3 requires.
    value = {"\U0001f600": 1, "\ufffd": 2, "a": 3}
    assert canonical_bytes(value) == '{"a":3,"\U0001f600":1,"\ufffd":2}'.encode()


@pytest.mark.parametrize(
    "value",
    [1.5, 2**53, -(2**53), {"a": float("nan")}, {1: "x"}, b"bytes", {"s": {1, 2}}],
)
def test_values_outside_the_ledger_domain_are_refused(value: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


@pytest.mark.parametrize(
    "data",
    [
        b'{"b":1,"a":2}',  # unsorted
        b'{"a": 1}',  # whitespace
        b'{"a":1,"a":1}',  # duplicate key
        b'{"a":1.0}',  # float
        b'{"a":9007199254740992}',  # beyond 2^53-1
        b'{"a":[1,-9007199254740992]}',  # the same in an array, negative
        b'[9007199254740992]',
        b"12345678901234567",  # a bare number
        b'{"a":"\\u0041"}',  # escape RFC 8785 doesn't use
        b'{"a":NaN}',
        b"\xff",
        b"",
        b'{"a":"\\ud800"}',  # lone surrogate
    ],
)
def test_non_canonical_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(CanonicalError):
        parse_canonical(data)


def test_long_digit_runs_inside_strings_and_safe_integers_parse() -> None:
    for data in (b'{"a":"t:12345678901234567"}', b'{"a":9007199254740991}',
                 b'[-9007199254740991,1]', b"123456789012345"):
        assert canonical_bytes(parse_canonical(data)) == data


def test_control_characters_escaped_as_rfc8785_does() -> None:
    value = {"s": "\x00\x08\t\n\x0c\r\x1f\"\\\x7f\u2028日本"}
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))
    assert json.loads(canonical_bytes(value)) == value


def _reference(data: bytes) -> object:
    """What parse_canonical must do, the slow and obvious way: parse with Python's json
    (refusing floats and unsafe integers), re-serialise with the rfc8785 package and
    compare byte for byte."""
    value = parse_strict(data)
    try:
        expected = bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeError, ValueError) as exc:
        raise CanonicalError(str(exc)) from exc
    if expected != data:
        raise CanonicalError("not canonical")
    return value


def _outcome(parse: object, data: bytes) -> tuple[str, object]:
    try:
        return "accepted", parse(data)  # type: ignore[operator]
    except CanonicalError:
        return "refused", None


# Bytes near canonical JSON: a canonical encoding with a few bytes replaced, inserted or
# deleted, from an alphabet of JSON's structural characters, digits, escapes and UTF-8.
_ALPHABET = b'{}[]:,"\\ 0123456789-.eE+ntrfu\x00\x1f\x7f\xc3\xa9\xed\xa0\x80'
_edit = st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, 10**6),
                  st.sampled_from(sorted(set(_ALPHABET))))


@settings(max_examples=1500, deadline=None)
@given(values, st.lists(_edit, max_size=3))
def test_parser_accepts_exactly_what_the_strict_reference_accepts(
    value: object, edits: list[tuple[str, int, int]]
) -> None:
    data = bytearray(bytes(rfc8785.dumps(value)))
    for how, at, byte in edits:
        at %= len(data) + 1
        if how == "insert":
            data[at:at] = bytes([byte])
        elif at < len(data):
            data[at:at + 1] = b"" if how == "delete" else bytes([byte])
    assert _outcome(parse_canonical, bytes(data)) == _outcome(_reference, bytes(data))


@pytest.mark.parametrize(
    "data",
    [
        b"9007199254740991", b"-9007199254740991", b"[9007199254740992]",
        b"18446744073709551616", b'{"a":-0}', b'{"a":1e2}', b'{"a":1.0}', b"[1E2]",
        b'{"a":[[[]]],"b":{}}', rb'"\u001f"', rb'"\u001F"', rb'"\/"', rb'"\ud83d\ude00"',
        '"\U0001f600"'.encode(), rb'{"\u00e9":1}', '{"é":1,"z":2}'.encode(),
        '{"z":2,"é":1}'.encode(), b"Infinity", b"-Infinity", b"NaN", b" 1", b"1 ",
        b"\xef\xbb\xbf1", b"true", b"null", b"[true,false,null]",
        # nesting: MAX_DEPTH (64) levels and one more, inside what orjson (254) and
        # Python's json (~990) handle and beyond
        b"[" * 64 + b"]" * 64, b"[" * 65 + b"]" * 65, b'{"a":' * 64 + b"1" + b"}" * 64,
        b'{"a":' * 65 + b"1" + b"}" * 65, "[{\"é\":".encode() * 32 + b"1" + b"}]" * 32,
        "[{\"é\":".encode() * 33 + b"1" + b"}]" * 33, b"[" * 255 + b"]" * 255,
        b"[" * 1100 + b"]" * 1100,
        b"1" * 5000,  # beyond int()'s 4,300 digits
    ],
)
def test_parser_edge_cases_agree_with_the_strict_reference(data: bytes) -> None:
    assert _outcome(parse_canonical, data) == _outcome(_reference, data)


def test_nesting_is_limited_to_max_depth_whatever_the_recursion_limit() -> None:
    # some libraries (py-evm, py_ecc) raise Python's recursion limit on import: what is
    # accepted must not depend on it
    def nested(depth: int) -> object:
        value: object = 1
        for _ in range(depth):
            value = [value]
        return value

    limit = sys.getrecursionlimit()
    for recursion in (1000, 20_000):
        sys.setrecursionlimit(recursion)
        try:
            assert canonical_bytes(nested(MAX_DEPTH)) == b"[" * 64 + b"1" + b"]" * 64
            for depth in (MAX_DEPTH + 1, 300, 2000):
                with pytest.raises(CanonicalError, match="deeper than 64"):
                    canonical_bytes(nested(depth))
                data = b"[" * depth + b"]" * depth
                with pytest.raises(CanonicalError):
                    parse_canonical(data)
            deep = '[{"é":'.encode() * 500 + b"1" + b"}]" * 500  # orjson reads it
            with pytest.raises(CanonicalError):
                parse_canonical(deep)
        finally:
            sys.setrecursionlimit(limit)


def test_str_subclass_keys_encode_as_str_keys() -> None:
    class Key(str):
        pass

    assert canonical_bytes({Key("k"): "v", "a": [Key("x")]}) == b'{"a":["x"],"k":"v"}'
