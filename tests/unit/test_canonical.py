"""The json-based fast path of ledger.canonical agrees with the rfc8785 package."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import MAX_SAFE_INTEGER, canonical_bytes, parse_canonical
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
