"""ledger.anchoring on the in-memory store and the fake chain: first anchor, extension,
already anchored, a crash between the transaction and its record, fork detection, an
unreachable chain, registration, and checking the recorded anchors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ledger import eip712, merkle
from ledger.anchoring import (
    AnchoringError,
    AnchorRecord,
    ForkError,
    anchor_log,
    chain_status,
    check_anchors,
    recorded_anchors,
)
from ledger.chain import ChainUnavailableError, log_id_for
from ledger.chain_fake import FakeChain, FakeChainClient
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.entry import Entry
from ledger.messages import MESSAGE_TYPES
from ledger.note import new_signer_keys, parse_skey, parse_vkey
from ledger.store import MemoryStore
from ledger.verify import verify_entries

ORIGIN = "kakawari/ama"
LOG_ID = log_id_for(ORIGIN)
DOMAIN = eip712.Domain(chain_id=31337)
SERVICE = bytes.fromhex("11" * 32)
ME = "0x00000000000000000000000000000000000000A1"
OTHER = "0x00000000000000000000000000000000000000b2"  # as EIP-55 checksums them


def verify_note(note: str, vkey: str) -> tuple[int, bytes]:
    cp = open_checkpoint(note, parse_vkey(vkey))
    return cp.size, cp.root


class Log:
    """A region log in a MemoryStore, with real signatures and checkpoints."""

    def __init__(self, seed: int = 7, store: MemoryStore | None = None) -> None:
        skey, self.vkey = new_signer_keys(ORIGIN, seed=bytes([seed]) * 32)
        self.signer = parse_skey(skey)
        self.store = store or MemoryStore(verify_note)
        self.store.create_log(ORIGIN, self.vkey)
        self.nonce = 0
        self.fail_record: Exception | None = None
        self.append("Region", {"name": "海士町", "chainId": 31337, "checkpointKey": self.vkey,
                               "admin": eip712.address_of(bytes([seed]) * 32)})

    def sign(self, size: int, root: bytes) -> str:
        return sign_checkpoint(Checkpoint(ORIGIN, size, root), self.signer)

    def append(self, type_: str, fields: dict[str, Any], key: bytes = SERVICE) -> int:
        mtype = MESSAGE_TYPES[type_]
        self.nonce += 1
        with self.store.appending(ORIGIN, self.sign) as tx:
            message = eip712.normalize_message(mtype, {
                "region": "ama", "nonce": self.nonce, "issuedAt": 1_700_000_000,
                mtype.signer_field: eip712.address_of(key), **fields})
            entry = Entry(ORIGIN, tx.size, 1_700_000_000 + tx.size, type_,
                          message[mtype.signer_field], message,
                          eip712.sign_message(key, DOMAIN, mtype, message))
            seq, _ = tx.append(entry.to_bytes())
        return seq

    def joins(self, n: int) -> None:
        for _ in range(n):
            key = bytes([0x20 + self.nonce % 200]) * 32
            self.append("Join", {"displayName": f"m{self.nonce}"}, key)

    def record(self, rec: AnchorRecord) -> int:
        if self.fail_record is not None:
            raise self.fail_record
        return self.append("Anchor", rec.fields())

    @property
    def size(self) -> int:
        return self.store.log_info(ORIGIN).size

    def anchor(self, chain: Any) -> Any:
        return anchor_log(self.store, chain, ORIGIN, self.record)


class Broken:
    """A chain client whose ``methods`` raise ChainUnavailableError — before doing
    anything, or (``after``) once the call has reached the chain, as when the answer is
    lost."""

    def __init__(self, inner: FakeChainClient, methods: set[str], after: bool = False) -> None:
        self._inner, self._methods, self._after = inner, methods, after

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in self._methods:
            return attr

        def broken(*args: Any) -> Any:
            if self._after:
                attr(*args)
            raise ChainUnavailableError(f"could not {name}: the RPC endpoint did not answer")

        return broken


@pytest.fixture
def log() -> Log:
    log = Log()
    log.joins(4)
    return log


@pytest.fixture
def chain() -> FakeChainClient:
    return FakeChainClient(sender=ME)


def anchors_of(log: Log) -> list[AnchorRecord]:
    return [a.record for a in recorded_anchors(log.store, ORIGIN)]


def test_first_anchor_registers_the_log_and_records_the_signed_checkpoint(
    log: Log, chain: FakeChainClient
) -> None:
    signed = open_checkpoint(log.store.latest_checkpoint(ORIGIN).note,  # type: ignore[union-attr]
                             parse_vkey(log.vkey), ORIGIN)
    assert signed.size == 5
    out = log.anchor(chain)
    assert (out.status, out.registered, out.seq) == ("anchored", True, 5)
    assert chain.log_owner(LOG_ID) == ME and chain.is_anchorer(LOG_ID, ME)
    assert chain.latest(LOG_ID) == (signed.size, signed.root)
    event = chain.anchor_event(LOG_ID, 5)
    assert event is not None
    assert out.anchor == AnchorRecord.from_receipt(event)
    assert anchors_of(log) == [out.anchor]
    assert out.anchor.contract == chain.anchor_address and out.anchor.chain_id == chain.chain_id
    # the recorded entry is a valid service-signed entry; the log still verifies
    data = [d for _, d in log.store.iter_entries(ORIGIN)]
    assert verify_entries(ORIGIN, data).root() == log.store.latest_checkpoint(ORIGIN).root  # type: ignore[union-attr]
    assert Entry.from_bytes(data[5]).type == "Anchor"


def test_a_second_run_with_nothing_new_is_already_anchored(
    log: Log, chain: FakeChainClient
) -> None:
    first = log.anchor(chain)
    size, block = log.size, chain._chain.block
    again = log.anchor(chain)
    assert (again.status, again.anchor, again.seq) == ("already-anchored", first.anchor, 5)
    assert (log.size, chain._chain.block) == (size, block)  # nothing sent, nothing appended


def test_an_extension_is_anchored_with_a_consistency_proof(
    log: Log, chain: FakeChainClient
) -> None:
    first = log.anchor(chain)
    log.joins(3)
    assert log.size == 9  # 5 + the Anchor entry + 3
    second = log.anchor(chain)
    assert (second.status, second.registered) == ("anchored", False)
    assert (second.anchor.size, second.seq) == (9, 9)
    assert chain.latest(LOG_ID) == (9, log.store.checkpoint_at(ORIGIN, 9).root)  # type: ignore[union-attr]
    assert chain.root_at(LOG_ID, 5) == first.anchor.root
    assert anchors_of(log) == [first.anchor, second.anchor]
    assert log.anchor(chain).status == "already-anchored"


def test_anchor_entries_alone_are_not_anchored_again(log: Log, chain: FakeChainClient) -> None:
    first = log.anchor(chain)
    # an Anchor entry for another chain does not make the log need a new anchor either
    other = FakeChainClient(FakeChain(chain_id=5), sender=ME)
    other.deploy_contracts()
    assert log.anchor(other).status == "anchored"
    assert log.size == 7
    out = log.anchor(chain)
    assert (out.status, out.anchor) == ("already-anchored", first.anchor)


def test_a_crash_between_transaction_and_record_is_recovered_once(
    log: Log, chain: FakeChainClient
) -> None:
    log.fail_record = RuntimeError("database is locked")
    with pytest.raises(AnchoringError, match=r"is on chain, but recording it in the log failed"
                       r".*database is locked.*next anchoring run"):
        log.anchor(chain)
    assert log.size == 5 and anchors_of(log) == []  # nothing half-recorded
    assert chain.latest(LOG_ID)[0] == 5
    block = chain._chain.block
    log.fail_record = None
    out = log.anchor(chain)
    assert out.status == "recovered"
    assert out.recovered is not None and out.recovered.record == out.anchor
    assert out.anchor == AnchorRecord.from_receipt(chain.anchor_event(LOG_ID, 5))  # type: ignore[arg-type]
    assert chain._chain.block == block  # not anchored twice
    assert anchors_of(log) == [out.anchor]
    assert log.anchor(chain).status == "already-anchored"


def test_a_recovery_then_anchors_what_is_new(log: Log, chain: FakeChainClient) -> None:
    log.fail_record = RuntimeError("crash")
    with pytest.raises(AnchoringError):
        log.anchor(chain)
    log.fail_record = None
    log.joins(2)
    out = log.anchor(chain)
    assert out.status == "anchored" and out.recovered is not None
    assert out.recovered.seq == 7 and out.recovered.record.size == 5
    assert out.anchor.size == 8 and out.seq == 8  # 5 + 2 joins + the recovered record
    assert [a.size for a in anchors_of(log)] == [5, 8]


def test_a_lost_receipt_is_recovered_from_the_chain_events(
    log: Log, chain: FakeChainClient
) -> None:
    with pytest.raises(ChainUnavailableError):
        log.anchor(Broken(chain, {"anchor"}, after=True))
    assert anchors_of(log) == [] and chain.latest(LOG_ID)[0] == 5
    out = log.anchor(chain)
    assert out.status == "recovered" and out.anchor.size == 5


@pytest.mark.parametrize("down", [
    {"latest"}, {"anchor"}, {"register_log"}, {"log_owner"},
])
def test_an_unreachable_chain_records_nothing(
    log: Log, chain: FakeChainClient, down: set[str]
) -> None:
    with pytest.raises(ChainUnavailableError, match="did not answer"):
        log.anchor(Broken(chain, down))
    assert log.size == 5 and anchors_of(log) == []
    assert chain.latest(LOG_ID)[0] == 0
    assert log.anchor(chain).status == "anchored"  # the next run simply anchors


def test_a_concurrent_anchor_is_reported_and_the_next_run_settles_it(
    log: Log, chain: FakeChainClient
) -> None:
    class Racing:
        """Another run anchors (and records) right after this one read the chain."""

        def __getattr__(self, name: str) -> Any:
            return getattr(chain, name)

        def latest(self, log_id: bytes) -> tuple[int, bytes]:
            seen = chain.latest(log_id)
            if seen[0] == 0:
                log.anchor(chain)
            return seen

    with pytest.raises(AnchoringError, match=r"anchored at size 5 by another run while this "
                       r"one prepared size 6 \(the contract refused it: MalformedProof\)"):
        log.anchor(Racing())
    assert [a.size for a in anchors_of(log)] == [5]  # recorded once, by the other run
    assert log.anchor(chain).status == "already-anchored"


def test_a_fork_is_refused_and_nothing_is_sent(chain: FakeChainClient) -> None:
    theirs = Log(seed=8)  # same origin, other entries
    theirs.joins(4)
    theirs.anchor(chain)
    mine = Log(seed=9)
    mine.joins(6)
    block = chain._chain.block
    with pytest.raises(ForkError, match=r"at size 5 is 0x.*this log's root at that size is "
                       r"0x.*forked. Nothing was sent"):
        mine.anchor(chain)
    assert chain._chain.block == block and anchors_of(mine) == []
    status = chain_status(mine.store, chain, ORIGIN)
    assert status.forked and status.recorded is None


def test_a_chain_ahead_of_the_log_is_a_fork(chain: FakeChainClient) -> None:
    theirs = Log(seed=8)
    theirs.joins(8)
    theirs.anchor(chain)
    mine = Log(seed=8)  # the same first entries, but a shorter log (an old backup)
    mine.joins(2)
    with pytest.raises(ForkError, match="has 9 entries of kakawari/ama anchored, but this log "
                       "has only 3"):
        mine.anchor(chain)


def test_a_log_registered_by_someone_else_needs_their_permission(log: Log) -> None:
    owner = FakeChainClient(sender=OTHER)
    owner.register_log(LOG_ID, OTHER)
    me = owner.as_sender(ME)
    with pytest.raises(AnchoringError, match=rf"registered on chain 1337 by {OTHER}.*"
                       rf"{ME} is not one of its anchorers.*addAnchorer"):
        log.anchor(me)
    assert anchors_of(log) == [] and me.latest(LOG_ID)[0] == 0
    owner.add_anchorer(LOG_ID, ME)
    out = log.anchor(me)
    assert (out.status, out.registered) == ("anchored", False)
    assert me.log_owner(LOG_ID) == OTHER


def test_no_contract_is_a_clear_error(log: Log) -> None:
    with pytest.raises(AnchoringError, match="kakawari chain deploy"):
        log.anchor(FakeChainClient(FakeChain(), sender=ME))


def test_check_anchors_compares_the_log_and_the_chain(log: Log, chain: FakeChainClient) -> None:
    log.anchor(chain)
    log.joins(2)
    log.anchor(chain)
    clients: Callable[[int, str], Any] = lambda cid, addr: (  # noqa: E731
        chain if (cid, addr) == (chain.chain_id, chain.anchor_address) else None)
    checks = list(check_anchors(log.store, ORIGIN, clients))
    assert [(c.seq, c.record.size, c.ok, c.checked_on_chain) for c in checks] == [
        (5, 5, True, True), (8, 8, True, True)]
    assert all(c.chain_root == c.log_root == c.record.root for c in checks)
    status = chain_status(log.store, chain, ORIGIN)
    assert (status.size, status.forked, status.recorded.seq) == (8, False, 8)  # type: ignore[union-attr]

    # a forged record: a root that is neither the log's nor the chain's
    good = checks[0].record
    bogus = AnchorRecord(good.chain_id, good.contract, good.tx_hash, good.block_number, 5,
                         merkle.leaf_hash(b"x"))
    log.record(bogus)
    never = AnchorRecord(good.chain_id, good.contract, good.tx_hash, good.block_number, 7,
                         log.store.root(ORIGIN, 7))
    log.record(never)
    elsewhere = AnchorRecord(5, good.contract, good.tx_hash, 1, 3, log.store.root(ORIGIN, 3))
    log.record(elsewhere)
    checks = list(check_anchors(log.store, ORIGIN, clients))
    assert [c.ok for c in checks] == [True, True, False, False, True]
    assert "log's root at size 5" in checks[2].problems[0]
    assert "rootAt(5)" in checks[2].problems[1]
    assert checks[3].problems == ("size 7 was never anchored in "
                                  f"{good.contract} on chain 1337",)
    assert not checks[4].checked_on_chain  # another chain: not checked here
    offline = list(check_anchors(log.store, ORIGIN, None))
    assert [c.ok for c in offline] == [True, True, False, True, True]

    def no_code(cid: int, addr: str) -> Any:
        raise AnchoringError(f"no contract at {addr}")

    assert all(not c.ok for c in check_anchors(log.store, ORIGIN, no_code))


def test_anchor_record_round_trips_through_the_message() -> None:
    rec = AnchorRecord(10, "0x5FbDB2315678afecb367f032d93F642f64180aa3", b"\x01" * 32, 12, 34,
                       b"\x02" * 32)
    message = eip712.normalize_message(MESSAGE_TYPES["Anchor"], {
        "region": "ama", "service": eip712.address_of(SERVICE), "nonce": 1, "issuedAt": 2,
        **rec.fields()})
    assert AnchorRecord.from_message(message) == rec
