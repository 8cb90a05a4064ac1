"""ledger.eip712: the fast EIP-712 path against the EIP's own vectors and eth-account.

eth-account is the reference: for every message type, random messages must hash to the
digest eth-account's generic ``encode_typed_data`` computes, and signatures must recover
to the same address through both paths.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import SignableMessage, _hash_eip191_message, encode_typed_data
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import eip712
from ledger.canonical import canonical_bytes, parse_canonical
from ledger.eip712 import (
    Domain,
    address_of,
    check_canonical,
    normalize_message,
    recover_signer,
    sign_digest,
    sign_message,
    signing_digest,
    struct_hash,
    type_hash,
    typed_data,
)
from ledger.errors import LedgerError, SignatureError, TypedDataError
from ledger.messages import MESSAGE_TYPES, MessageType

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_SAFE = 2**53 - 1


def h(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string.removeprefix("0x"))


def eth_signable(domain: Domain, mtype: MessageType, message: dict[str, Any]) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(domain, mtype, message))


# --- The EIP's own example (assets/eip-712/Example.js) -------------------------------------
#
# Values from ethereum/EIPs assets/eip-712/Example.js (the version whose domain is
# name/version/chainId/verifyingContract); the same digest is in EIP-712's
# "Specification of the eth_signTypedData JSON RPC" example.

MAIL_TYPES: dict[str, list[tuple[str, str]]] = {
    "EIP712Domain": [
        ("name", "string"),
        ("version", "string"),
        ("chainId", "uint256"),
        ("verifyingContract", "address"),
    ],
    "Person": [("name", "string"), ("wallet", "address")],
    "Mail": [("from", "Person"), ("to", "Person"), ("contents", "string")],
}
MAIL_DOMAIN = {
    "name": "Ether Mail",
    "version": "1",
    "chainId": 1,
    "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
}
MAIL_MESSAGE = {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!",
}
MAIL_ENCODE_TYPE = "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
MAIL_TYPE_HASH = "a0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2"
MAIL_ENCODE_DATA = (
    MAIL_TYPE_HASH
    + "fc71e5fa27ff56c350aa531bc129ebdf613b772b6604664f5d8dbe21b85eb0c8"
    + "cd54f074a4af31b4411ff6a60c9719dbd559c221c8ac3492d9d872b041d703d1"
    + "b5aadf3154a261abdd9086fc627b61efca26ae5702701d05cd2305f7c52a2fc8"
)
MAIL_STRUCT_HASH = "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"
MAIL_DOMAIN_SEPARATOR = "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f"
MAIL_DIGEST = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
COW_ADDRESS = "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826"
COW_SIG_R = "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
COW_SIG_S = "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562"
COW_SIG_V = 28


def _deps(primary: str, found: list[str]) -> list[str]:
    if primary in found or primary not in MAIL_TYPES:
        return found
    found.append(primary)
    for _, typ in MAIL_TYPES[primary]:
        _deps(typ, found)
    return found


def ref_encode_type(primary: str) -> str:
    """EIP-712 encodeType: the primary type, then referenced types sorted by name."""
    deps = [t for t in _deps(primary, []) if t != primary]
    return "".join(
        f"{t}({','.join(f'{typ} {name}' for name, typ in MAIL_TYPES[t])})"
        for t in [primary, *sorted(deps)]
    )


def ref_encode_data(primary: str, data: dict[str, Any]) -> bytes:
    """A tiny generic encodeData (nested structs) built on the module's own per-field
    encoders — the very functions its fast path uses for string, address and uint256."""
    words = [eip712._keccak(ref_encode_type(primary).encode())]
    for name, typ in MAIL_TYPES[primary]:
        value = data[name]
        if typ in MAIL_TYPES:
            words.append(eip712._keccak(ref_encode_data(typ, value)))
            continue
        if typ == "address":
            value = value.lower()  # canonical form
        word = eip712._field_type(typ).word(value)
        assert word is not None, (typ, value)
        words.append(word)
    return b"".join(words)


def ref_hash_struct(primary: str, data: dict[str, Any]) -> bytes:
    return eip712._keccak(ref_encode_data(primary, data))


def test_mail_example_type_encoding() -> None:
    assert ref_encode_type("Mail") == MAIL_ENCODE_TYPE
    assert eip712._keccak(MAIL_ENCODE_TYPE.encode()).hex() == MAIL_TYPE_HASH
    # The fast path's per-type typeHash for a flat type is keccak(encodeType) too.
    person = MessageType("Person", (("name", "string"), ("wallet", "address")), "wallet")
    assert type_hash(person) == eip712._keccak(b"Person(string name,address wallet)")


def test_mail_example_hashes_to_the_eip_values() -> None:
    assert ref_encode_data("Mail", MAIL_MESSAGE).hex() == MAIL_ENCODE_DATA
    assert ref_hash_struct("Mail", MAIL_MESSAGE).hex() == MAIL_STRUCT_HASH
    separator = ref_hash_struct("EIP712Domain", MAIL_DOMAIN)
    assert separator.hex() == MAIL_DOMAIN_SEPARATOR
    digest = eip712._keccak(b"\x19\x01" + separator + ref_hash_struct("Mail", MAIL_MESSAGE))
    assert digest.hex() == MAIL_DIGEST


def test_mail_example_person_through_the_fast_path() -> None:
    # hashStruct(Person) — a flat type — through struct_hash itself, from the
    # normalised (lowercase) form of the EIP's checksummed wallet addresses.
    person = MessageType("Person", (("name", "string"), ("wallet", "address")), "wallet")
    cow = normalize_message(person, MAIL_MESSAGE["from"])  # type: ignore[arg-type]
    bob = normalize_message(person, MAIL_MESSAGE["to"])  # type: ignore[arg-type]
    assert struct_hash(person, cow).hex() == MAIL_ENCODE_DATA[64:128]
    assert struct_hash(person, bob).hex() == MAIL_ENCODE_DATA[128:192]


def test_mail_example_agrees_with_eth_account() -> None:
    full = {
        "types": {t: [{"name": n, "type": ty} for n, ty in f] for t, f in MAIL_TYPES.items()},
        "primaryType": "Mail",
        "domain": MAIL_DOMAIN,
        "message": MAIL_MESSAGE,
    }
    signable = encode_typed_data(full_message=full)
    assert bytes(signable.header).hex() == MAIL_DOMAIN_SEPARATOR
    assert bytes(signable.body).hex() == MAIL_STRUCT_HASH
    assert _hash_eip191_message(signable).hex() == MAIL_DIGEST


def test_mail_example_signature_of_cow() -> None:
    key = eip712._keccak(b"cow")
    assert address_of(key) == COW_ADDRESS
    signature = sign_digest(key, h(MAIL_DIGEST))
    assert signature == "0x" + COW_SIG_R + COW_SIG_S + f"{COW_SIG_V:02x}"
    assert recover_signer(h(MAIL_DIGEST), signature) == COW_ADDRESS
    assert Account.from_key(key).address.lower() == COW_ADDRESS


# --- keccak and the domain -------------------------------------------------------------


def test_keccak_backends_agree() -> None:
    fallback = eip712._keccak_cryptodome()
    assert eip712._keccak(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    for size in (0, 1, 31, 32, 135, 136, 137, 1000):
        data = os.urandom(size)
        assert eip712._keccak(data) == fallback(data)


@pytest.mark.parametrize("chain_id", [1, 5, 31337, 11155111, MAX_SAFE])
def test_domain_separator_matches_eth_account(chain_id: int) -> None:
    domain = Domain(chain_id)
    assert domain == Domain(chain_id=chain_id, name="Kakawari", version="1")
    assert domain.as_json() == {"name": "Kakawari", "version": "1", "chainId": chain_id}
    mtype = MESSAGE_TYPES["Join"]
    message = {
        "region": "x",
        "member": "0x" + "11" * 20,
        "displayName": "",
        "nonce": 0,
        "issuedAt": 0,
    }
    assert domain.separator == bytes(eth_signable(domain, mtype, message).header)
    assert domain.separator is domain.separator  # cached


@pytest.mark.parametrize("chain_id", [0, -1, True, 2**53, 1.0, "1", None])
def test_domain_refuses_bad_chain_ids(chain_id: Any) -> None:
    with pytest.raises(TypedDataError):
        Domain(chain_id)


def test_unsupported_field_types_are_refused() -> None:
    for typ in ("bytes", "int64", "uint7", "uint264", "address[][]", "address[2]", "Person"):
        mtype = MessageType("X", (("a", typ),), "a")
        with pytest.raises(TypedDataError, match="unsupported"):
            type_hash(mtype)


# --- random messages of every type against eth-account ---------------------------------

STRINGS = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.sampled_from("関係人口の地域でありがとう、。ー🎉👍🏽🌸👨‍👩‍👧\u200dé"),
        max_size=24,
    ),
    st.sampled_from(["", "0x00", "\x00", "日本語", "🏔️ 山形県 · 置賜", "a" * 300]),
)
ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
BYTES32 = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
KEYS = st.integers(min_value=1, max_value=N - 1).map(lambda k: k.to_bytes(32, "big"))


def value_strategy(typ: str) -> st.SearchStrategy[Any]:
    if typ == "string":
        return STRINGS
    if typ == "address":
        return ADDRESSES
    if typ == "bytes32":
        return BYTES32
    if typ == "bool":
        return st.booleans()
    if typ.endswith("[]"):  # address[], string[], uint32[], uint64[]
        return st.lists(value_strategy(typ[:-2]), max_size=5)
    if typ.startswith("uint"):
        top = min(2 ** int(typ[4:]) - 1, MAX_SAFE)
        return st.one_of(st.just(0), st.just(top), st.integers(min_value=0, max_value=top))
    raise AssertionError(typ)


def message_strategy(mtype: MessageType) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: value_strategy(typ) for name, typ in mtype.fields})


def test_every_message_type_is_covered_by_the_strategies() -> None:
    for mtype in MESSAGE_TYPES.values():
        for _, typ in mtype.fields:
            value_strategy(typ)


@pytest.mark.parametrize("type_name", sorted(MESSAGE_TYPES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), key=KEYS, chain_id=st.sampled_from([1, 10, 31337, 11155111, MAX_SAFE]))
def test_random_messages_agree_with_eth_account(
    type_name: str, data: st.DataObject, key: bytes, chain_id: int
) -> None:
    mtype = MESSAGE_TYPES[type_name]
    message = data.draw(message_strategy(mtype))
    domain = Domain(chain_id)

    # The canonical form is what the generators produce, survives RFC 8785, and
    # normalisation leaves it alone.
    check_canonical(mtype, message)
    assert parse_canonical(canonical_bytes(message)) == message
    assert normalize_message(mtype, message) == message

    # Digest: fast path == eth-account's generic path.
    signable = eth_signable(domain, mtype, message)
    digest = signing_digest(domain, mtype, message)
    assert digest == _hash_eip191_message(signable)
    assert struct_hash(mtype, message) == bytes(signable.body)
    assert json.loads(json.dumps(typed_data(domain, mtype, message))) == typed_data(
        domain, mtype, message
    )

    # Our signature recovers to the key's address through both paths.
    address = address_of(key)
    assert address == Account.from_key(key).address.lower()
    signature = sign_message(key, domain, mtype, message)
    assert recover_signer(digest, signature) == address
    assert Account.recover_message(signable, signature=h(signature)).lower() == address

    # eth-account's signature recovers through ours (and is byte-identical: RFC 6979).
    theirs = Account.sign_message(signable, key).signature
    assert recover_signer(digest, bytes(theirs)) == address
    assert "0x" + bytes(theirs).hex() == signature


@pytest.mark.parametrize("type_name", sorted(MESSAGE_TYPES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_client_forms_normalize_to_the_canonical_form(type_name: str, data: st.DataObject) -> None:
    mtype = MESSAGE_TYPES[type_name]
    message = data.draw(message_strategy(mtype))

    def client_form(typ: str, value: Any) -> Any:
        if typ == "address":
            return data.draw(
                st.sampled_from([value, to_checksum_address(value), "0x" + value[2:].upper()])
            )
        if typ.endswith("[]"):
            return tuple(client_form(typ[:-2], v) for v in value)
        if typ == "bytes32":
            return data.draw(st.sampled_from([value, "0x" + value[2:].upper()]))
        if typ.startswith("uint"):
            return data.draw(st.sampled_from([value, str(value), hex(value)]))
        return value

    raw = {name: client_form(typ, message[name]) for name, typ in mtype.fields}
    assert normalize_message(mtype, raw) == message


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=70),
    st.text(alphabet="0123456789abcdefABCDEFx \ud800", min_size=40, max_size=68).map(
        lambda s: "0x" + s
    ),
    ADDRESSES.map(str.upper),
    ADDRESSES.map(lambda a: to_checksum_address(a)),
    BYTES32.map(lambda b: "0x" + b[2:].upper()),
    st.lists(st.one_of(ADDRESSES, st.text(max_size=3), st.integers(), st.none()), max_size=3),
    st.tuples(ADDRESSES),
    st.binary(max_size=32),
)


@pytest.mark.parametrize("type_name", sorted(MESSAGE_TYPES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_check_canonical_and_hashing_refuse_the_same_values(
    type_name: str, data: st.DataObject
) -> None:
    """check_canonical and the fused check-and-encode of the hash path are separate code;
    on any value they must agree on what is canonical."""
    mtype = MESSAGE_TYPES[type_name]
    message = data.draw(message_strategy(mtype))
    name = data.draw(st.sampled_from(mtype.field_names))
    message[name] = data.draw(JUNK)
    try:
        check_canonical(mtype, message)
    except TypedDataError as exc:
        with pytest.raises(TypedDataError) as caught:
            struct_hash(mtype, message)
        assert str(caught.value) == str(exc)
    else:
        struct_hash(mtype, message)
        assert normalize_message(mtype, message) == message


# --- normalize_message ---------------------------------------------------------------

CLAIM = MESSAGE_TYPES["Claim"]
REVIEW = MESSAGE_TYPES["Review"]
CHECKSUMMED = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
LOWER = CHECKSUMMED.lower()
BAD_CHECKSUM = "0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"  # first letter's case flipped


def claim(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "region": "okitama",
        "contributor": LOWER,
        "category": "agriculture",
        "title": "稲刈りの手伝い 🌾",
        "minutes": 90,
        "occurredAt": 1_700_000_000,
        "quest": "0x" + "00" * 32,
        "coContributors": ["0x" + "ab" * 20],
        "detailsHash": "0x" + "5e" * 32,
        "nonce": 7,
        "issuedAt": 1_700_000_100,
    }
    message.update(changes)
    return message


def review(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "region": "okitama",
        "reviewer": LOWER,
        "claim": "0x" + "cc" * 32,
        "approve": True,
        "reason": "",
        "nonce": 1,
        "issuedAt": 2,
    }
    message.update(changes)
    return message


def without(message: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != name}


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        (claim(contributor=CHECKSUMMED), "contributor", LOWER),
        (claim(contributor="0x" + LOWER[2:].upper()), "contributor", LOWER),
        (claim(coContributors=(CHECKSUMMED,)), "coContributors", [LOWER]),
        (claim(coContributors=[]), "coContributors", []),
        (claim(minutes="90"), "minutes", 90),
        (claim(minutes="0x5a"), "minutes", 90),
        (claim(minutes="0X5A"), "minutes", 90),
        (claim(minutes=2**32 - 1), "minutes", 2**32 - 1),
        (claim(minutes=str(2**32 - 1)), "minutes", 2**32 - 1),
        (claim(issuedAt=MAX_SAFE), "issuedAt", MAX_SAFE),
        (claim(issuedAt=hex(MAX_SAFE)), "issuedAt", MAX_SAFE),
        (claim(nonce=0), "nonce", 0),
        (claim(quest="0x" + "AB" * 32), "quest", "0x" + "ab" * 32),
        (claim(title=""), "title", ""),
        (review(approve=False), "approve", False),
    ],
)
def test_normalize_accepts(raw: dict[str, Any], field: str, expected: Any) -> None:
    mtype = REVIEW if "reviewer" in raw else CLAIM
    out = normalize_message(mtype, raw)
    assert out[field] == expected
    assert type(out[field]) is type(expected)
    check_canonical(mtype, out)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (without(claim(), "title"), r"Claim: missing title"),
        (claim(extra=1), r"Claim: unexpected extra"),
        ({**without(claim(), "nonce"), "Nonce": 1}, r"missing nonce; unexpected Nonce"),
        (claim(contributor=BAD_CHECKSUM), r"Claim\.contributor: .*EIP-55"),
        (claim(contributor=LOWER[2:]), r"Claim\.contributor: expected an address"),
        (claim(contributor=LOWER[:-1]), r"Claim\.contributor"),
        (claim(contributor=LOWER + "0"), r"Claim\.contributor"),
        (claim(contributor=int(LOWER, 16)), r"Claim\.contributor"),
        (claim(contributor=None), r"Claim\.contributor"),
        (claim(coContributors=LOWER), r"Claim\.coContributors: expected an array"),
        (claim(coContributors=[LOWER, BAD_CHECKSUM]), r"coContributors: expected element 1"),
        (claim(minutes=True), r"Claim\.minutes: .*not a bool"),
        (claim(minutes=False), r"Claim\.minutes: .*not a bool"),
        (claim(minutes=-1), r"Claim\.minutes: expected an integer in 0\.\.4294967295"),
        (claim(minutes=2**32), r"Claim\.minutes: expected an integer in 0\.\.4294967295"),
        (claim(minutes="4294967296"), r"Claim\.minutes"),
        (claim(minutes=90.0), r"Claim\.minutes"),
        (claim(minutes="90.0"), r"Claim\.minutes"),
        (claim(minutes="-1"), r"Claim\.minutes"),
        (claim(minutes=" 90"), r"Claim\.minutes"),
        (claim(minutes="0x"), r"Claim\.minutes"),
        (claim(minutes="1e3"), r"Claim\.minutes"),
        (claim(minutes="９０"), r"Claim\.minutes"),  # fullwidth digits: int() would take them
        (claim(minutes=None), r"Claim\.minutes"),
        (claim(issuedAt=2**53), r"Claim\.issuedAt: .*2\^53-1"),
        (claim(issuedAt=hex(2**53)), r"Claim\.issuedAt"),
        (claim(issuedAt=2**64), r"Claim\.issuedAt"),
        (claim(quest="0x" + "ab" * 31), r"Claim\.quest: expected 32 bytes"),
        (claim(quest="ab" * 32), r"Claim\.quest"),
        (claim(quest=b"\x00" * 32), r"Claim\.quest"),
        (claim(title=5), r"Claim\.title: expected a string"),
        (claim(title=None), r"Claim\.title"),
        (claim(title="bad \ud800 surrogate"), r"Claim\.title: .*lone surrogates"),
        (review(approve=1), r"Review\.approve: expected true or false"),
        (review(approve="true"), r"Review\.approve"),
    ],
)
def test_normalize_refuses(raw: dict[str, Any], match: str) -> None:
    mtype = REVIEW if "reviewer" in raw else CLAIM
    with pytest.raises(TypedDataError, match=match):
        normalize_message(mtype, raw)


@pytest.mark.parametrize("raw", [None, [], "message", 5])
def test_normalize_refuses_non_objects(raw: Any) -> None:
    with pytest.raises(TypedDataError, match="JSON object"):
        normalize_message(CLAIM, raw)


# --- check_canonical ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (claim(contributor=CHECKSUMMED), r"Claim\.contributor"),
        (claim(contributor="0x" + LOWER[2:].upper()), r"Claim\.contributor"),
        (claim(coContributors=[CHECKSUMMED]), r"Claim\.coContributors"),
        (claim(coContributors=("0x" + "ab" * 20,)), r"Claim\.coContributors"),
        (claim(quest="0x" + "AB" * 32), r"Claim\.quest"),
        (claim(minutes="90"), r"Claim\.minutes"),
        (claim(minutes=True), r"Claim\.minutes"),
        (claim(minutes=90.0), r"Claim\.minutes"),
        (claim(minutes=-1), r"Claim\.minutes"),
        (claim(minutes=2**32), r"Claim\.minutes"),
        (claim(nonce=2**53), r"Claim\.nonce"),
        (claim(title="\udfff"), r"Claim\.title"),
        (claim(title=b"bytes"), r"Claim\.title"),
        (without(claim(), "region"), r"missing region"),
        (claim(more="x"), r"unexpected more"),
        (review(approve=1), r"Review\.approve"),
        (review(approve=None), r"Review\.approve"),
    ],
)
def test_check_canonical_refuses(message: dict[str, Any], match: str) -> None:
    mtype = REVIEW if "reviewer" in message else CLAIM
    with pytest.raises(TypedDataError, match=match):
        check_canonical(mtype, message)
    # Hashing and signing take only the canonical form too.
    with pytest.raises(TypedDataError, match=match):
        signing_digest(Domain(1), mtype, message)
    with pytest.raises(TypedDataError, match=match):
        typed_data(Domain(1), mtype, message)


def test_check_canonical_accepts_and_wants_a_dict() -> None:
    check_canonical(CLAIM, claim())
    check_canonical(REVIEW, review())
    from types import MappingProxyType

    with pytest.raises(TypedDataError, match="JSON object"):
        check_canonical(CLAIM, MappingProxyType(claim()))
    with pytest.raises(TypedDataError, match="JSON object"):
        check_canonical(CLAIM, list(claim().items()))
    # struct_hash takes any Mapping, with the same value checks.
    assert struct_hash(CLAIM, MappingProxyType(claim())) == struct_hash(CLAIM, claim())


def test_typed_data_copies_the_message() -> None:
    message = claim()
    full = typed_data(Domain(1), CLAIM, message)
    full["message"]["coContributors"].append("0x" + "00" * 20)
    assert message["coContributors"] == ["0x" + "ab" * 20]
    assert full["types"]["EIP712Domain"] == [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
    ]
    assert full["primaryType"] == "Claim"
    assert full["domain"] == {"name": "Kakawari", "version": "1", "chainId": 1}


# --- signatures -----------------------------------------------------------------------

KEY = (0x4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318).to_bytes(32, "big")
DIGEST = signing_digest(Domain(1), CLAIM, claim())


def parts(signature: str) -> tuple[int, int, int]:
    raw = h(signature)
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]


def assemble(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def test_signature_forms_accepted() -> None:
    signature = sign_digest(KEY, DIGEST)
    address = address_of(KEY)
    r, s, v = parts(signature)
    assert v in (27, 28)
    assert s <= N // 2
    assert recover_signer(DIGEST, signature) == address
    assert recover_signer(DIGEST, signature.upper().replace("0X", "0x")) == address
    assert recover_signer(DIGEST, h(signature)) == address
    assert recover_signer(DIGEST, assemble(r, s, v - 27)) == address  # v as 0/1
    # A different digest recovers someone else, without raising.
    assert recover_signer(bytes(32), signature) != address


def test_high_s_is_refused_though_eth_account_accepts_it() -> None:
    signable = eth_signable(Domain(1), CLAIM, claim())
    signature = sign_message(KEY, Domain(1), CLAIM, claim())
    r, s, v = parts(signature)
    twin = assemble(r, N - s, 55 - v)  # the malleated twin: (r, n - s, v ^ 1)
    assert Account.recover_message(signable, signature=twin).lower() == address_of(KEY)
    with pytest.raises(SignatureError, match="high-s"):
        recover_signer(DIGEST, twin)
    # s = n // 2 is still low; n // 2 + 1 is high.
    with pytest.raises(SignatureError, match="high-s"):
        recover_signer(DIGEST, assemble(r, N // 2 + 1, v))
    try:
        recover_signer(DIGEST, assemble(r, N // 2, v))
    except SignatureError as exc:  # may not be recoverable, but not refused as high-s
        assert "high-s" not in str(exc)


@pytest.mark.parametrize(
    ("mangle", "match"),
    [
        (lambda r, s, v: assemble(r, s, 29), "v must be"),
        (lambda r, s, v: assemble(r, s, 26), "v must be"),
        (lambda r, s, v: assemble(r, s, 2), "v must be"),
        (lambda r, s, v: assemble(r, s, 255), "v must be"),
        (lambda r, s, v: assemble(0, s, v), "r is out of range"),
        (lambda r, s, v: assemble(N, s, v), "r is out of range"),
        (lambda r, s, v: assemble(2**256 - 1, s, v), "r is out of range"),
        (lambda r, s, v: assemble(r, 0, v), "s is out of range"),
        (lambda r, s, v: assemble(r, N, v), "high-s"),
        (lambda r, s, v: assemble(r, s, v)[:64], "65 bytes"),
        (lambda r, s, v: assemble(r, s, v) + b"\x00", "65 bytes"),
        (lambda r, s, v: b"", "65 bytes"),
        (lambda r, s, v: "0x" + assemble(r, s, v).hex()[:-2], "130 hex"),
        (lambda r, s, v: assemble(r, s, v).hex(), "130 hex"),  # no 0x
        (lambda r, s, v: "0x" + assemble(r, s, v).hex()[:-1] + "g", "not hex"),
        (lambda r, s, v: "0x" + assemble(r, s, v).hex()[:-2] + " 1", "not hex"),
        (lambda r, s, v: 5, "bytes or a 0x-hex string"),
    ],
)
def test_recover_signer_refuses(mangle: Any, match: str) -> None:
    r, s, v = parts(sign_digest(KEY, DIGEST))
    with pytest.raises(SignatureError, match=match):
        recover_signer(DIGEST, mangle(r, s, v))


def test_recover_signer_refuses_bad_digests_and_unrecoverable_points() -> None:
    signature = sign_digest(KEY, DIGEST)
    for digest in (DIGEST[:31], DIGEST + b"\x00", DIGEST.hex()):
        with pytest.raises(SignatureError, match="digest"):
            recover_signer(digest, signature)  # type: ignore[arg-type]
    # r = 5 is not the x coordinate of a curve point: nothing to recover.
    with pytest.raises(SignatureError, match="no public key"):
        recover_signer(DIGEST, assemble(5, 1, 27))


@pytest.mark.parametrize("key", [bytes(32), N.to_bytes(32, "big"), b"\xff" * 32, b"\x01" * 31])
def test_bad_private_keys_are_refused(key: bytes) -> None:
    with pytest.raises(SignatureError, match="private key"):
        address_of(key)
    with pytest.raises(SignatureError, match="private key"):
        sign_digest(key, DIGEST)


def test_errors_are_ledger_errors() -> None:
    assert issubclass(TypedDataError, LedgerError)
    assert issubclass(SignatureError, LedgerError)


# -- the direct libsecp256k1 recovery against coincurve's public API ----------------------


def test_recovery_calls_libsecp256k1_directly() -> None:
    # the fallback is for a coincurve whose private layout changed; this one is known
    assert eip712._recover_public is not eip712._coincurve_recover


@settings(max_examples=300, deadline=None)
@given(st.integers(1, N - 1), st.binary(min_size=32, max_size=32), st.binary(min_size=64,
       max_size=64), st.integers(0, 3))
def test_direct_recovery_equals_coincurve(secret: int, digest: bytes, noise: bytes,
                                          recid: int) -> None:
    from coincurve import PrivateKey

    signed = PrivateKey(secret.to_bytes(32, "big")).sign_recoverable(digest, hasher=None)
    for rs, rid in ((signed[:64], signed[64]), (signed[:64], signed[64] ^ 1),
                    (noise, recid), (signed[:32] + noise[32:], recid)):
        assert eip712._recover_public(rs, rid, digest) == eip712._coincurve_recover(
            rs, rid, digest)
    public = eip712._recover_public(signed[:64], signed[64], digest)
    assert public == PrivateKey(secret.to_bytes(32, "big")).public_key.format(
        compressed=False)[1:]


def test_direct_recovery_from_many_threads_at_once() -> None:
    # libsecp256k1 runs without the GIL: each thread must have buffers of its own
    from concurrent.futures import ThreadPoolExecutor

    keys = [(i + 7).to_bytes(32, "big") for i in range(64)]
    work = [(key, bytes([i]) * 32) for i, key in enumerate(keys)]
    signed = [(sign_digest(key, digest), digest, address_of(key)) for key, digest in work]

    def recover_all(offset: int) -> list[bool]:
        turn = signed[offset:] + signed[:offset]
        return [recover_signer(digest, sig) == who for sig, digest, who in turn * 20]

    with ThreadPoolExecutor(8) as pool:
        assert all(all(ok) for ok in pool.map(recover_all, range(0, 64, 8)))
