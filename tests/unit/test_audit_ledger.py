"""ledger.audit on an in-memory log: export, the offline verifier (each kind of tampering
names its entry), an older bundle, anchors on a fake chain, and receipts."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ledger import merkle
from ledger.audit.bundle import (
    ANCHORS,
    CHECKPOINT,
    ENTRIES,
    BundleFormatError,
    BundleReader,
)
from ledger.audit.chainview import log_id
from ledger.audit.receipt import build_receipt, latest_anchor, verify_receipt
from ledger.audit.verifier import BundleSummary, verify_bundle
from ledger.chain import log_id_for
from ledger.chain_fake import FakeChainClient
from ledger.entry import Entry
from ledger.errors import VerificationError
from ledger.note import new_signer_keys, parse_skey
from tests.unit.audit_log import (
    ORIGIN,
    PARALLEL,
    T0,
    Log,
    addr,
    anchors_for,
    bytes_io_bundle,
    entry_lines,
    export,
    fails_both_ways,
    joined,
    key,
    manifest_for,
    renumbered,
    resigned,
    rewrite,
    sample_log,
)


def verify(path: Path, **kwargs: Any) -> BundleSummary:
    with BundleReader(path) as bundle:
        previous = kwargs.pop("previous", None)
        if previous is None:
            return verify_bundle(bundle, **kwargs)
        with BundleReader(previous) as older:
            return verify_bundle(bundle, previous=older, **kwargs)


def fails(path: Path, seq: int | None, match: str, **kwargs: Any) -> VerificationError:
    return fails_both_ways(verify, path, seq, match, **kwargs)


@pytest.fixture
def log() -> Log:
    return sample_log()


@pytest.fixture
def bundle(log: Log, tmp_path: Path) -> Path:
    return export(log, tmp_path / "b.zip")


def test_an_exported_log_verifies(log: Log, bundle: Path) -> None:
    seen: list[int] = []
    summary = verify(bundle, progress=lambda done, total: seen.append(done))
    info = log.store.log_info(ORIGIN)
    assert (summary.size, summary.root) == (info.size, info.root)
    assert summary.anchors == 1 and summary.types["Review"] == 1
    assert summary.facts.admin == addr(log.admin)
    assert seen[-1] == info.size
    with BundleReader(bundle) as b:
        assert b.manifest.size == info.size and b.manifest.exported_at == T0 + 10_000
        assert json.loads(b.read(ANCHORS))[0]["seq"] == 10


def test_worker_processes_give_the_same_summary(log: Log, bundle: Path) -> None:
    seen: list[int] = []
    alone = verify(bundle)
    assert verify(bundle, progress=lambda done, total: seen.append(done), **PARALLEL) == alone
    assert seen[-1] == alone.size and seen == sorted(seen)


def test_more_entries_than_the_checkpoint_covers_are_named(bundle: Path,
                                                           tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    n = len(lines)
    bad = rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined([*lines, lines[-1]])})
    fails(bad, n, "more entries than its checkpoint covers")
    lines[5] = lines[5].replace(b'{"message":{', b'{"message": {', 1)  # an earlier fault
    bad = rewrite(bundle, tmp_path / "y.zip", {ENTRIES: joined([*lines, lines[-1]])})
    fails(bad, 5, "malformed entry")


def test_an_unseekable_sink_and_a_file_give_the_same_members(log: Log, tmp_path: Path) -> None:
    streamed = export(log, tmp_path / "s.zip")
    whole = tmp_path / "w.zip"
    whole.write_bytes(bytes_io_bundle(log))
    with zipfile.ZipFile(streamed) as a, zipfile.ZipFile(whole) as b:
        for name in (ENTRIES, CHECKPOINT, ANCHORS):
            assert a.read(name) == b.read(name)
    verify(whole)


def test_an_observer_sees_every_entry_in_order(bundle: Path) -> None:
    class Seen:
        def __init__(self) -> None:
            self.seqs: list[int] = []
            self.done = False

        def entry(self, entry: Entry) -> None:
            self.seqs.append(entry.seq)

        def finish(self) -> None:
            self.done = True

    seen = Seen()
    summary = verify(bundle, observer=seen)
    assert seen.seqs == list(range(summary.size)) and seen.done


# -- each kind of tampering names its entry ------------------------------------------------


def test_a_changed_byte_in_an_entry_is_named(bundle: Path, tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    lines[6] = lines[6].replace("海岸清掃".encode(), "海岸清揃".encode())
    bad = rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(lines)})
    fails(bad, 6, "signature is by")


def test_a_byte_that_breaks_canonical_form_is_named(bundle: Path, tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    lines[3] = lines[3].replace(b'{"message":{', b'{"message": {', 1)
    fails(rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(lines)}), 3, "malformed entry")


def test_a_dropped_entry_is_named(bundle: Path, tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    del lines[4]
    fails(rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(lines)}), 4, "says it is entry 5")


def test_a_dropped_last_entry_is_named(bundle: Path, tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    n = len(lines)
    bad = rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(lines[:-1])})
    fails(bad, n - 1, f"ends after {n - 1} entries")


def test_two_swapped_entries_are_named(bundle: Path, tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    lines[2], lines[3] = lines[3], lines[2]
    fails(rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(lines)}), 2, "says it is entry 3")


def test_swapped_and_renumbered_entries_break_the_signed_root(bundle: Path,
                                                               tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    lines[2], lines[3] = lines[3], lines[2]  # before the anchor: it no longer matches
    fails(rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(renumbered(lines))}), 10,
          "records root")
    lines = entry_lines(bundle)
    lines[11], lines[12] = lines[12], lines[11]  # after it: the checkpoint's root differs
    fails(rewrite(bundle, tmp_path / "y.zip", {ENTRIES: joined(renumbered(lines))}), None,
          "the signed checkpoint says")


def test_a_forged_signature_is_named(log: Log, bundle: Path, tmp_path: Path) -> None:
    lines = entry_lines(bundle)
    real = Entry.from_bytes(lines[7])
    mallory = key(0x66)
    forged = log.signed(mallory, "Endorsement", **{
        k: v for k, v in real.message.items() if k not in ("endorser", "nonce", "issuedAt")})
    lines[7] = Entry(real.origin, 7, real.time, real.type, real.signer, real.message,
                     forged.signature).to_bytes()
    fails(rewrite(bundle, tmp_path / "x.zip", {ENTRIES: joined(lines)}), 7, "signature is by")


def test_a_review_by_someone_who_was_not_a_verifier_then_is_named(tmp_path: Path) -> None:
    log = sample_log()  # vera's verifier role is withdrawn at entry 11
    claim = log.claim_id(6)
    seq = log.add(key(0x33), "Review", claim=claim, approve=False, reason="late")
    fails(export(log, tmp_path / "b.zip"), seq, "was not a verifier at this point")


def test_a_role_granted_by_a_non_admin_is_named(tmp_path: Path) -> None:
    log = sample_log()
    seq = log.add(key(0x32), "Role", member=addr(key(0x32)), role="admin", granted=True)
    fails(export(log, tmp_path / "b.zip"), seq, "was not an admin at this point")


def test_a_service_type_signed_by_a_member_is_named(tmp_path: Path) -> None:
    log = sample_log()
    seq = log.append(log.signed(key(0x31), "Recognition", service=addr(key(0x31)),
                                claim=log.claim_id(6), member=addr(key(0x31)), points=999))
    fails(export(log, tmp_path / "b.zip"), seq, "must be signed by the service key")


def test_a_checkpoint_re_signed_over_a_rewritten_history_is_named(
        log: Log, bundle: Path, tmp_path: Path) -> None:
    older = bundle
    log.add(key(0x31), "Profile", displayName="花子", resident=True)
    newer = export(log, tmp_path / "newer.zip")
    verify(newer, previous=older)  # an honest extension passes
    # The operator drops entry 7 (an endorsement), renumbers, and re-signs with the
    # region's own checkpoint key: alone, the bundle verifies.
    lines = entry_lines(newer)
    del lines[7]
    lines = renumbered(lines)
    rewritten = rewrite(newer, tmp_path / "rewritten.zip", {
        ENTRIES: joined(lines), CHECKPOINT: resigned(log, lines),
        "manifest.json": manifest_for(newer, lines), ANCHORS: anchors_for(lines)})
    # (the Anchor entry, now at 9, records a tree this history did not have yet)
    fails(rewritten, 9, "more than the log had")
    err = fails(rewritten, 7, "older bundle", previous=older)
    assert "rewritten" in err.reason


def test_a_rewritten_history_without_anchors_passes_alone_but_not_with_previous(
        tmp_path: Path) -> None:
    log = Log()
    for n in range(0x40, 0x46):
        log.add(key(n), "Join", displayName=f"m{n}")
    older = export(log, tmp_path / "older.zip")
    log.add(key(0x50), "Join", displayName="new")
    lines = entry_lines(export(log, tmp_path / "newer.zip"))
    del lines[3]
    lines = renumbered(lines)
    newer = tmp_path / "newer.zip"
    rewritten = rewrite(newer, tmp_path / "rw.zip", {
        ENTRIES: joined(lines), CHECKPOINT: resigned(log, lines),
        "manifest.json": manifest_for(newer, lines)})
    verify(rewritten)
    fails(rewritten, 3, "differs from entry 3 of the older bundle", previous=older)


def test_a_log_that_shrank_since_the_older_bundle_fails(log: Log, bundle: Path,
                                                        tmp_path: Path) -> None:
    lines = entry_lines(bundle)[:-2]
    shorter = rewrite(bundle, tmp_path / "s.zip", {
        ENTRIES: joined(lines), CHECKPOINT: resigned(log, lines),
        "manifest.json": manifest_for(bundle, lines)})
    verify(shorter)
    fails(shorter, len(lines), "the log shrank", previous=bundle)


def test_a_checkpoint_signed_by_another_key_fails(log: Log, bundle: Path,
                                                 tmp_path: Path) -> None:
    skey, _ = new_signer_keys(ORIGIN, seed=b"\x09" * 32)
    info = log.store.log_info(ORIGIN)
    from ledger.checkpoint import Checkpoint, sign_checkpoint

    note = sign_checkpoint(Checkpoint(ORIGIN, info.size, info.root), parse_skey(skey))
    bad = rewrite(bundle, tmp_path / "x.zip", {CHECKPOINT: note.encode()})
    fails(bad, None, "signature does not verify")


def test_a_pinned_key_that_differs_fails_at_entry_0(bundle: Path) -> None:
    _, other = new_signer_keys(ORIGIN, seed=b"\x09" * 32)
    fails(bundle, 0, "not the key you gave", vkey=other)


def test_an_anchor_of_another_tree_is_named(tmp_path: Path) -> None:
    log = sample_log()
    seq = log.add(log.service, "Anchor", chainId=1, contract="0x" + "ab" * 20,
                  txHash="0x" + "cd" * 32, blockNumber=9, size=5, root="0x" + "ee" * 32)
    fails(export(log, tmp_path / "b.zip"), seq, "records root")


def test_anchors_json_must_list_the_anchor_entries(bundle: Path, tmp_path: Path) -> None:
    fails(rewrite(bundle, tmp_path / "x.zip", {ANCHORS: b"[]"}), 10, "anchors.json does not")


def test_not_a_bundle_and_a_newer_version_are_format_errors(bundle: Path,
                                                            tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(BundleFormatError):
        BundleReader(junk)
    with zipfile.ZipFile(bundle) as z:
        m = json.loads(z.read("manifest.json"))
    m["version"] = 2
    newer = rewrite(bundle, tmp_path / "v2.zip", {"manifest.json": json.dumps(m).encode()})
    with pytest.raises(BundleFormatError, match="version 2"):
        BundleReader(newer)


# -- anchors on a (fake) chain ---------------------------------------------------------------


def anchored_chain(log: Log, size: int, root: bytes | None = None) -> FakeChainClient:
    client = FakeChainClient()
    lid = log_id_for(ORIGIN)
    client.register_log(lid, client.address)
    client.anchor(lid, size, root or log.store.root(ORIGIN, size), [])
    return client


def test_log_id_matches_the_chain_client() -> None:
    assert log_id(ORIGIN) == log_id_for(ORIGIN)


def test_anchors_agree_with_the_chain(log: Log, tmp_path: Path) -> None:
    client = anchored_chain(log, 10)
    bundle = export(log, tmp_path / "b.zip")
    summary = verify(bundle, client_for=lambda chain_id, contract: client)
    assert summary.anchors_on_chain == 1 and summary.chain_latest[0][1] == 10
    assert verify(bundle, client_for=lambda chain_id, contract: None).anchors_on_chain == 0


def test_a_chain_that_anchored_another_root_is_named(log: Log, tmp_path: Path) -> None:
    client = anchored_chain(log, 10, root=b"\x01" * 32)
    fails(export(log, tmp_path / "b.zip"), 10, "the chain disagrees",
          client_for=lambda chain_id, contract: client)


def test_a_chain_latest_anchor_off_this_log_is_a_fork(log: Log, tmp_path: Path) -> None:
    client = anchored_chain(log, 10)
    lid = log_id_for(ORIGIN)
    leaves = [merkle.leaf_hash(x) for x in entry_lines(export(log, tmp_path / "a.zip"))]
    forked = [*leaves[:10], b"\x02" * 32]
    proof = merkle.consistency_proof(10, forked)
    client.anchor(lid, 11, merkle.root_hash(forked), proof)
    fails(export(log, tmp_path / "b.zip"), None, "forked",
          client_for=lambda chain_id, contract: client)


# -- receipts --------------------------------------------------------------------------------


def receipt_of(log: Log) -> dict[str, Any]:
    claim = log.claim_id(6)
    return build_receipt(log.store, ORIGIN, [6, 7, 8, 9], anchor=latest_anchor(log.store, ORIGIN),
                         about={"claim": claim, "member": addr(key(0x31)), "points": 15})


def test_a_receipt_verifies_offline_and_against_the_anchor(log: Log) -> None:
    receipt = receipt_of(log)
    assert receipt["size"] == 10 and receipt["anchor"]["seq"] == 10
    summary = verify_receipt(json.loads(json.dumps(receipt)))
    assert summary.claim == log.claim_id(6) and [e.seq for e in summary.entries] == [0, 6, 7, 8, 9]
    client = anchored_chain(log, 10)
    summary = verify_receipt(receipt, client_for=lambda chain_id, contract: client)
    assert summary.checked_on_chain


def test_a_receipt_without_an_anchor_uses_the_latest_checkpoint(log: Log) -> None:
    receipt = build_receipt(log.store, ORIGIN, [6, 9], about={"claim": log.claim_id(6)})
    assert receipt["anchor"] is None and receipt["size"] == log.size
    assert verify_receipt(receipt).notes == ["not anchored on chain yet"]


def inflate(item: dict[str, Any]) -> None:
    """Points raised in a recognition entry, its leaf hash recomputed to match."""
    from ledger.note import b64encode

    item["entry"] = item["entry"].replace('"points":15', '"points":150')
    item["leafHash"] = b64encode(merkle.leaf_hash(item["entry"].encode()))


@pytest.mark.parametrize("change, seq, match", [
    (lambda r: r["entries"][4].update(entry=r["entries"][4]["entry"].replace(
        '"points":15', '"points":150')), 9, "leafHash is not the hash"),
    (lambda r: inflate(r["entries"][4]), 9, "signature is by"),
    (lambda r: r["entries"][2]["proof"].reverse(), 7, "not in the signed tree"),
    (lambda r: r.update(points=16), None, "no recognition"),
    (lambda r: r.update(claim="0x" + "00" * 32), 6, "not 0x0000"),
    (lambda r: r["entries"].pop(0), None, "first entry"),
    (lambda r: r.update(checkpoint=r["checkpoint"].replace("\n10\n", "\n11\n")), None,
     "does not verify"),
    (lambda r: r["anchor"].update(root="0x" + "00" * 32), None, "another tree"),
])
def test_an_altered_receipt_does_not_verify(log: Log, change: Any, seq: int | None,
                                            match: str) -> None:
    receipt = receipt_of(log)
    change(receipt)
    with pytest.raises(VerificationError, match=match) as info:
        verify_receipt(receipt)
    assert info.value.seq == seq


def test_a_receipt_whose_chain_root_differs_fails(log: Log) -> None:
    client = anchored_chain(log, 10, root=b"\x03" * 32)
    with pytest.raises(VerificationError, match="the chain's root"):
        verify_receipt(receipt_of(log), client_for=lambda chain_id, contract: client)


def test_written_to_memory_is_readable(log: Log, tmp_path: Path) -> None:
    data = bytes_io_bundle(log)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.read(ENTRIES).count(b"\n") == log.size
