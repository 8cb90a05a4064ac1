"""The entry format is parsed strictly (docs/log-format.md)."""

from __future__ import annotations

import json

import pytest

from ledger.entry import MAX_ENTRY_BYTES, Entry, origin_for
from ledger.errors import EntryError

GOOD = {
    "v": 1, "origin": "kakawari/ama", "seq": 3, "time": 1_700_000_000, "type": "Join",
    "signer": "0x" + "ab" * 20, "message": {"region": "ama"}, "signature": "0x" + "cd" * 64 + "1b",
}


def dump(obj: dict[str, object]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_round_trip() -> None:
    entry = Entry.from_bytes(dump(GOOD))
    assert entry.to_bytes() == dump(GOOD)
    assert entry.region == "ama"


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2}, {"v": True}, {"seq": -1}, {"seq": "3"}, {"time": 1.5},
        {"origin": "other/ama"}, {"origin": "kakawari/Ama"}, {"origin": "kakawari/-a"},
        {"type": "join"}, {"signer": "0x" + "AB" * 20}, {"signer": "0x" + "ab" * 19},
        {"signature": "0x" + "cd" * 64}, {"signature": "0x" + "cd" * 64 + "01"},
        {"message": []}, {"extra": 1},
    ],
)
def test_malformed_entries_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(EntryError):
        Entry.from_bytes(dump({**GOOD, **change}))


def test_missing_member_non_canonical_and_oversized() -> None:
    partial = {k: v for k, v in GOOD.items() if k != "time"}
    for data in (dump(partial), dump(GOOD).replace(b":", b": ", 1), b"[]", b"\xff"):
        with pytest.raises(EntryError):
            Entry.from_bytes(data)
    big = {**GOOD, "message": {"region": "ama", "title": "x" * MAX_ENTRY_BYTES}}
    with pytest.raises(EntryError, match="limit"):
        Entry.from_bytes(dump(big))


@pytest.mark.parametrize("region", ["", "a" * 33, "ama_cho", "ama-", "アマ", "ama\n"])
def test_region_ids_are_bounded(region: str) -> None:
    with pytest.raises(EntryError):
        origin_for(region)
