"""LogVerifier: each kind of fault is refused, naming the entry."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from ledger import eip712, merkle
from ledger.entry import Entry
from ledger.errors import VerificationError
from ledger.messages import MESSAGE_TYPES
from ledger.note import new_signer_keys
from ledger.verify import LogVerifier, verify_entries

ORIGIN = "kakawari/ama"
CHAIN = 31337
DOMAIN = eip712.Domain(chain_id=CHAIN)
SERVICE = bytes.fromhex("11" * 32)
ALICE = bytes.fromhex("22" * 32)
MALLORY = bytes.fromhex("33" * 32)


def signed(key: bytes, type_: str, fields: dict[str, Any], seq: int,
           domain: eip712.Domain = DOMAIN) -> Entry:
    mtype = MESSAGE_TYPES[type_]
    message = eip712.normalize_message(
        mtype, {"region": "ama", "nonce": seq + 1, "issuedAt": 1_700_000_000, **fields}
    )
    signature = eip712.sign_message(key, domain, mtype, message)
    return Entry(ORIGIN, seq, 1_700_000_000 + seq, type_, message[mtype.signer_field], message,
                 signature)


def genesis() -> Entry:
    _, vkey = new_signer_keys(ORIGIN, seed=b"\x07" * 32)
    return signed(SERVICE, "Region", {
        "name": "海士町", "chainId": CHAIN, "service": eip712.address_of(SERVICE),
        "admin": eip712.address_of(ALICE), "checkpointKey": vkey}, 0)


def join(key: bytes, seq: int) -> Entry:
    return signed(key, "Join", {"member": eip712.address_of(key), "displayName": "花子"}, seq)


def good_log() -> list[Entry]:
    return [genesis(), join(ALICE, 1), join(MALLORY, 2), signed(SERVICE, "Recognition", {
        "service": eip712.address_of(SERVICE), "claim": "0x" + "ab" * 32,
        "member": eip712.address_of(ALICE), "points": 12}, 3)]


def as_bytes(entries: list[Entry]) -> list[bytes]:
    return [e.to_bytes() for e in entries]


def test_a_good_log_verifies_and_its_root_is_rfc9162() -> None:
    data = as_bytes(good_log())
    v = verify_entries(ORIGIN, data)
    assert v.size == 4
    assert v.root() == merkle.root_hash([merkle.leaf_hash(d) for d in data])
    assert v.facts is not None and v.facts.chain_id == CHAIN
    # the frontier agrees with merkle.root_hash at every prefix size
    v2 = LogVerifier(ORIGIN)
    for i, d in enumerate(data):
        v2.add(d)
        assert v2.root() == merkle.root_hash([merkle.leaf_hash(x) for x in data[: i + 1]])


def fails_at(data: list[bytes], seq: int, match: str) -> None:
    with pytest.raises(VerificationError, match=match) as info:
        verify_entries(ORIGIN, data)
    assert info.value.seq == seq


def test_forged_signature_is_named() -> None:
    log = good_log()
    forged = signed(MALLORY, "Join", {"member": eip712.address_of(ALICE), "displayName": "花子"}, 1)
    log[1] = forged
    fails_at(as_bytes(log), 1, "signature is by")


def test_changed_byte_in_message_breaks_the_signature() -> None:
    log = good_log()
    log[2] = dataclasses.replace(log[2], message={**log[2].message, "displayName": "X"})
    fails_at(as_bytes(log), 2, "signature is by")


def test_dropped_and_swapped_entries_are_named() -> None:
    data = as_bytes(good_log())
    fails_at([data[0], data[2], data[3]], 1, "says it is entry 2")
    fails_at([data[0], data[2], data[1], data[3]], 1, "says it is entry 2")


def test_service_types_must_be_signed_by_the_service_key() -> None:
    log = good_log()
    log[3] = signed(ALICE, "Recognition", {
        "service": eip712.address_of(ALICE), "claim": "0x" + "ab" * 32,
        "member": eip712.address_of(ALICE), "points": 1000}, 3)
    fails_at(as_bytes(log), 3, "service key")


def test_first_entry_must_be_the_region_and_only_it() -> None:
    log = good_log()
    fails_at(as_bytes([dataclasses.replace(log[1], seq=0), *log[1:]])[:1], 0, "first entry")
    second_genesis = dataclasses.replace(genesis(), seq=1)
    fails_at(as_bytes([log[0], second_genesis]), 1, "first entry")


def test_signature_under_another_chain_id_is_refused() -> None:
    log = good_log()
    log[1] = signed(ALICE, "Join", {"member": eip712.address_of(ALICE), "displayName": "花子"}, 1,
                    eip712.Domain(chain_id=1))
    fails_at(as_bytes(log), 1, "signature is by")


def test_entry_of_another_region_or_log_is_refused() -> None:
    log = as_bytes(good_log())
    obj = json.loads(log[1])
    obj["message"]["region"] = "other"
    fails_at([log[0], json.dumps(obj, sort_keys=True, separators=(",", ":"),
                                 ensure_ascii=False).encode()], 1, "names region")
    other = dataclasses.replace(good_log()[1], origin="kakawari/other")
    fails_at([log[0], other.to_bytes()], 1, "belongs to log")


def test_non_canonical_bytes_and_stored_leaf_mismatch() -> None:
    data = as_bytes(good_log())
    fails_at([data[0], data[1] + b" "], 1, "malformed")
    v = LogVerifier(ORIGIN)
    v.add(data[0], merkle.leaf_hash(data[0]))
    with pytest.raises(VerificationError, match="leaf hash") as info:
        v.add(data[1], merkle.leaf_hash(data[2]))
    assert info.value.seq == 1


def test_high_s_twin_of_a_valid_signature_is_refused() -> None:
    log = good_log()
    sig = bytes.fromhex(log[1].signature[2:])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(sig[32:64], "big")
    twin = sig[:32] + (n - s).to_bytes(32, "big") + bytes([55 - sig[64]])  # v 27 <-> 28
    log[1] = dataclasses.replace(log[1], signature="0x" + twin.hex())
    fails_at(as_bytes(log), 1, "bad signature")
