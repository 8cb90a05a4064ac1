"""The in-memory projections (service.domain.memory): the database's semantics where
the rules depend on them. That replaying a whole log on it gives exactly the live
service's rows is tests/integration/test_audit.py's job."""

from __future__ import annotations

import sqlite3

import pytest

from service.domain import tables as t
from service.domain.memory import DuplicateRow, MemoryState


def claim_row(state: MemoryState, claim: str, seq: int, contributor: str = "0xa") -> None:
    state.insert(t.claims, id=claim, seq=seq, contributor=contributor, category="cleanup",
                 title="浜の清掃", minutes=60, occurred_at=0, quest=None, details_hash="0xd",
                 status="pending", status_before=None, approvals=0, points=None, endorsed=0,
                 decided_seq=None, created_at=0)


def test_a_row_read_before_an_update_keeps_its_values() -> None:
    state = MemoryState("ama")
    claim_row(state, "0x1", 5)
    before = state.claim("0x1")
    state.update(t.claims, {"id": "0x1"}, status="revoked", decided_seq=9)
    assert before is not None and before["status"] == "pending" and before["decided_seq"] is None
    after = state.claim("0x1")
    assert after is not None and (after["status"], after["decided_seq"]) == ("revoked", 9)
    assert after["region"] == "ama" and after["quest"] is None


def test_keys_are_unique_and_lookups_are_by_the_whole_key() -> None:
    state = MemoryState("ama")
    claim_row(state, "0x1", 5)
    with pytest.raises(DuplicateRow):
        claim_row(state, "0x1", 6)
    state.insert(t.nonces, signer="0xa", nonce=1, seq=5)
    with pytest.raises(DuplicateRow):
        state.insert(t.nonces, signer="0xa", nonce=1, seq=6)
    assert state.nonce_used("0xa", 1) and not state.nonce_used("0xa", 2)
    assert state.one(t.nonces, signer="0xa", nonce=1) == {
        "region": "ama", "signer": "0xa", "nonce": 1, "seq": 5}
    with pytest.raises(TypeError):
        state.one(t.claims, contributor="0xa")  # not the primary key
    with pytest.raises(TypeError):
        state.insert(t.roles, address="0xa", role="admin")  # seq is NOT NULL
    with pytest.raises(TypeError):
        state.insert(t.roles, address="0xa", role="admin", seq=1, colour="red")
    with pytest.raises(TypeError):
        state.update(t.claims, {"id": "0x1"}, contributor="0xb")  # indexed: never changes


def test_the_secondary_lookups_follow_inserts_updates_and_deletes() -> None:
    state = MemoryState("ama")
    claim_row(state, "0x1", 5, contributor="0xa")
    for who, contributor in (("0xc", False), ("0xa", True), ("0xb", False)):
        state.insert(t.claim_people, claim="0x1", address=who, contributor=contributor,
                     confirmed_seq=None)
    assert [p["address"] for p in state.people("0x1")] == ["0xa", "0xb", "0xc"]
    assert state.contributed_details("0xa", "0xd") and not state.contributed_details("0xb", "0xd")
    for seq in (7, 8):
        state.insert(t.endorsements, seq=seq, claim="0x1", endorser="0xb", recipient="0xa",
                     amount=2, note="", epoch=3, time=0, credited=False)
    assert state.endorsed_in_epoch("0xb", 3) == 4 and state.endorsed_in_epoch("0xb", 4) == 0
    state.update(t.endorsements, {"seq": 7}, credited=True)
    assert state.uncredited_endorsements("0x1") == [8]
    state.insert(t.roles, address="0xa", role="verifier", seq=1)
    state.insert(t.roles, address="0xb", role="verifier", seq=2)
    state.delete(t.roles, address="0xa", role="verifier")
    assert state.count_role("verifier") == 1 and not state.has_role("0xa", "verifier")


def test_dump_writes_the_rows_in_insertion_order() -> None:
    state = MemoryState("ama")
    for claim, seq in (("0x2", 3), ("0x1", 5)):
        claim_row(state, claim, seq)
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE svc_claims ({', '.join(c.name for c in t.claims.columns)})")
    state.dump(db, [t.claims])
    assert db.execute("SELECT id, seq, region FROM svc_claims").fetchall() == [
        ("0x2", 3, "ama"), ("0x1", 5, "ama")]
    with pytest.raises(TypeError):
        state.dump(db, [t.nonces])
