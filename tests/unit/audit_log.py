"""A small signed region log in an in-memory store, and bundle surgery for tampering
tests: enough to exercise ledger.audit without a database, the service or a chain."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ledger import eip712, merkle
from ledger.audit.bundle import ENTRIES, BundleWriter, ChunkSink
from ledger.audit.export import LogExport
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.entry import Entry
from ledger.errors import VerificationError
from ledger.messages import MESSAGE_TYPES
from ledger.note import Signer, new_signer_keys, parse_skey, parse_vkey
from ledger.store import MemoryStore

REGION = "ama"
ORIGIN = f"kakawari/{REGION}"
CHAIN = 31337
DOMAIN = eip712.Domain(chain_id=CHAIN)
T0 = 1_790_000_000


#: Entries checked in two processes, handed out three at a time.
PARALLEL = {"jobs": 2, "parallel_min": 1, "chunk": 3}


def fails_both_ways(check: Callable[..., Any], path: Path, seq: int | None, match: str,
                    **kwargs: Any) -> VerificationError:
    """``check(path, **kwargs)`` fails at ``seq`` for a reason matching ``match``: in
    one process, and with worker processes (the same fault must be named first)."""
    reasons = []
    for mode in ({}, PARALLEL):
        with pytest.raises(VerificationError, match=match) as info:
            check(path, **kwargs, **mode)
        assert info.value.seq == seq, (mode, str(info.value))
        reasons.append(str(info.value))
    assert reasons[0] == reasons[1]
    return info.value


def key(n: int) -> bytes:
    return bytes([n]) * 32


def addr(k: bytes) -> str:
    return eip712.address_of(k)


def verify_note(note: str, vkey: str) -> tuple[int, bytes]:
    cp = open_checkpoint(note, parse_vkey(vkey))
    return cp.size, cp.root


@dataclass
class Log:
    """A region log being written: service, admin and checkpoint keys of its own."""

    store: MemoryStore = field(default_factory=lambda: MemoryStore(verify_note))
    service: bytes = key(0x11)
    admin: bytes = key(0x22)
    nonce: int = 0

    def __post_init__(self) -> None:
        skey, self.vkey = new_signer_keys(ORIGIN, seed=b"\x07" * 32)
        self.note_signer: Signer = parse_skey(skey)
        self.store.create_log(ORIGIN, self.vkey)
        self.add(self.service, "Region", name="海士町", chainId=CHAIN, service=addr(self.service),
                 admin=addr(self.admin), checkpointKey=self.vkey)

    def sign_cp(self, size: int, root: bytes) -> str:
        return sign_checkpoint(Checkpoint(ORIGIN, size, root), self.note_signer)

    def signed(self, k: bytes, type_: str, **fields: Any) -> Entry:
        mtype = MESSAGE_TYPES[type_]
        self.nonce += 1
        message = eip712.normalize_message(mtype, {
            "region": REGION, "nonce": self.nonce, "issuedAt": T0 + self.nonce,
            mtype.signer_field: addr(k), **fields})
        seq = self.size
        return Entry(ORIGIN, seq, T0 + seq, type_, message[mtype.signer_field], message,
                     eip712.sign_message(k, DOMAIN, mtype, message))

    @property
    def size(self) -> int:
        return self.store.log_info(ORIGIN).size

    def append(self, entry: Entry) -> int:
        with self.store.appending(ORIGIN, self.sign_cp) as tx:
            seq, _ = tx.append(entry.to_bytes())
        return seq

    def add(self, k: bytes, type_: str, **fields: Any) -> int:
        return self.append(self.signed(k, type_, **fields))

    def claim_id(self, seq: int) -> str:
        entry = Entry.from_bytes(self.store.entries(ORIGIN, seq, 1)[0][1])
        digest = eip712.signing_digest(DOMAIN, MESSAGE_TYPES["Claim"], entry.message)
        return "0x" + digest.hex()

    def anchor(self, chain_id: int = CHAIN, contract: str = "0x" + "ab" * 20) -> dict[str, Any]:
        """Record an Anchor entry of the current tree (as the anchoring command would)."""
        size = self.size
        root = self.store.root(ORIGIN, size)
        fields = {"chainId": chain_id, "contract": contract, "txHash": "0x" + "cd" * 32,
                  "blockNumber": 7, "size": size, "root": "0x" + root.hex()}
        self.add(self.service, "Anchor", **fields)
        return fields


ZERO32 = "0x" + "00" * 32


def sample_log() -> Log:
    """Members, a verifier granted and later withdrawn, a claim reviewed and recognised,
    an anchor in the middle."""
    log = Log()
    alice, bob, vera = key(0x31), key(0x32), key(0x33)
    log.add(log.admin, "Join", displayName="事務局")
    for k, name in ((alice, "花子"), (bob, "Bob"), (vera, "Vera")):
        log.add(k, "Join", displayName=name)
    log.add(log.admin, "Role", member=addr(vera), role="verifier", granted=True)
    seq = log.add(alice, "Claim", category="cleanup", title="海岸清掃", minutes=60,
                  occurredAt=T0, quest=ZERO32, coContributors=[], detailsHash=ZERO32)
    claim = log.claim_id(seq)
    log.add(bob, "Endorsement", claim=claim, amount=3, note="ありがとう")
    log.add(vera, "Review", claim=claim, approve=True, reason="確認しました")
    log.add(log.service, "Recognition", claim=claim, member=addr(alice), points=15)
    log.anchor()
    log.add(log.admin, "Role", member=addr(vera), role="verifier", granted=False)
    log.add(bob, "Profile", displayName="Bob", resident=False)
    return log


def export(log: Log, path: Path) -> Path:
    """Write ``log`` as a bundle (the ledger's members and manifest only)."""
    sink = ChunkSink()
    writer = BundleWriter(sink)
    job = LogExport(log.store, ORIGIN, writer, chunk=4)
    with path.open("wb") as f:
        for _ in job.run():
            f.write(sink.take())
        writer.finish(job.manifest(T0 + 10_000, "test"))
        f.write(sink.take())
    return path


def rewrite(path: Path, out: Path, members: dict[str, bytes]) -> Path:
    """A copy of bundle ``path`` with some members replaced (CRCs recomputed)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, members.get(info.filename, src.read(info)))
    return out


def entry_lines(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        return z.read(ENTRIES).split(b"\n")[:-1]


def joined(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def renumbered(lines: list[bytes]) -> list[bytes]:
    """Entries with their seq rewritten to their place (after one was dropped): every
    message and signature stays valid, only the operator's framing changes."""
    out = []
    for i, line in enumerate(lines):
        e = Entry.from_bytes(line)
        out.append(Entry(e.origin, i, e.time, e.type, e.signer, e.message, e.signature)
                   .to_bytes())
    return out


def resigned(log: Log, lines: list[bytes]) -> bytes:
    """The checkpoint the operator would sign over ``lines``."""
    root = merkle.root_hash([merkle.leaf_hash(x) for x in lines])
    return log.sign_cp(len(lines), root).encode()


def manifest_for(path: Path, lines: list[bytes]) -> bytes:
    import json

    from ledger.note import b64encode

    with zipfile.ZipFile(path) as z:
        m = json.loads(z.read("manifest.json"))
    m["size"] = len(lines)
    m["root"] = b64encode(merkle.root_hash([merkle.leaf_hash(x) for x in lines]))
    return json.dumps(m).encode()


def anchors_for(lines: list[bytes]) -> bytes:
    """anchors.json for these entries (as the exporter writes it)."""
    import json

    from ledger.audit.verifier import ANCHOR_FIELDS

    out = []
    for line in lines:
        e = Entry.from_bytes(line)
        if e.type == "Anchor":
            out.append({"seq": e.seq, **{k: e.message[k] for k in ANCHOR_FIELDS}})
    return json.dumps(out).encode()


def bytes_io_bundle(log: Log) -> bytes:
    buf = io.BytesIO()
    writer = BundleWriter(buf)
    job = LogExport(log.store, ORIGIN, writer)
    for _ in job.run():
        pass
    writer.finish(job.manifest(T0, "test"))
    return buf.getvalue()
