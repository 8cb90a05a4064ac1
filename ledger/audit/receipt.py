"""Receipts: a member's small, self-contained proof of one contribution.

A receipt (JSON, ``"format": "kakawari-receipt/1"``; ``docs/audit-bundle.md``
describes every member) carries the region's first entry (which fixes the signing
domain, the service key and the checkpoint key), the entries about one claim — the
claim, confirmations, reviews, endorsements, recognitions, revocations — each with its
RFC 9162 inclusion proof in one tree, the region's signed checkpoint of that tree and,
when that tree is anchored on chain, the anchor. Proofs are against the anchored size
when the latest anchor covers the entries, so the anchor contract's
``verifyInclusion(logId, size, index, leafHash, proof)`` accepts exactly the proofs in
the receipt.

:func:`verify_receipt` checks it offline (signatures, inclusion, checkpoint, that every
entry is about the claim) and, given chain readers, on chain. What a receipt can't
show is the absence of other entries — a later revocation, say: for that the holder
asks for a newer receipt, or an auditor verifies a whole bundle.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import eip712, merkle
from ..checkpoint import open_checkpoint
from ..entry import Entry, origin_for
from ..errors import EntryError, LedgerError, ProofError, VerificationError
from ..messages import MESSAGE_TYPES
from ..note import b64encode, parse_vkey
from ..store import LogStore
from ..verify import RegionFacts, check_entry
from .bundle import BundleFormatError
from .chainview import ClientFor, ContractError, log_id
from .verifier import ANCHOR_FIELDS

__all__ = [
    "CLAIM_TYPES",
    "RECEIPT_FORMAT",
    "RECORD_TYPES",
    "ReceiptSummary",
    "VoteCheck",
    "build_receipt",
    "latest_anchor",
    "verify_receipt",
]

RECEIPT_FORMAT = "kakawari-receipt/1"
CLAIM_TYPES = frozenset({"Confirmation", "Review", "Endorsement", "Recognition", "Revocation",
                         "Reinstatement", "Badge"})
"""Types of entries about a claim (their message names it in ``claim``)."""

_ANCHOR_MARK = b'"type":"Anchor"'
_LOOKBACK = 20_000


# -- building ---------------------------------------------------------------------------


def latest_anchor(store: LogStore, origin: str, lookback: int = _LOOKBACK,
                  chunk: int = 500) -> dict[str, Any] | None:
    """The record of the last ``Anchor`` entry among the last ``lookback`` entries
    (``{"seq", "chainId", "contract", "txHash", "blockNumber", "size", "root"}``)."""
    end = size = store.log_info(origin).size
    while end > 0 and size - end < lookback:
        start = max(0, end - chunk)
        for seq, data in reversed(store.entries(origin, start, end - start)):
            if _ANCHOR_MARK in data:
                entry = Entry.from_bytes(data)
                if entry.type == "Anchor":
                    return {"seq": seq, **{k: entry.message[k] for k in ANCHOR_FIELDS}}
        end = start
    return None


def build_receipt(store: LogStore, origin: str, seqs: Iterable[int], *,
                  anchor: dict[str, Any] | None = None,
                  about: dict[str, Any] | None = None,
                  tree: tuple[int, str] | None = None) -> dict[str, Any]:
    """A receipt of the entries ``seqs`` (entry 0 is always added).

    The tree is the anchored one when ``anchor`` (a :func:`latest_anchor` record) covers
    every entry and its signed checkpoint is stored; otherwise the latest checkpoint,
    without an anchor. ``tree`` = ``(size, note)`` pins another signed checkpoint (a
    cosigned one: ``note`` may carry cosignature lines). ``about`` adds descriptive
    members (claim, member, title, points...) that the verifier checks against the
    entries.
    """
    wanted = sorted({0, *seqs})
    note, size, used = None, 0, None
    if tree is not None:
        if tree[0] <= wanted[-1]:
            raise LedgerError(f"the checkpoint of {tree[0]} entries does not cover entry "
                              f"{wanted[-1]}")
        size, note = tree
    elif anchor is not None and anchor["size"] > wanted[-1]:
        stored = store.checkpoint_at(origin, anchor["size"])
        if stored is not None:
            note, size, used = stored.note, stored.size, anchor
    if note is None:
        latest = store.latest_checkpoint(origin)
        if latest is None or latest.size <= wanted[-1]:
            raise LedgerError(f"log {origin} has no signed checkpoint covering entry "
                              f"{wanted[-1]} yet")
        note, size = latest.note, latest.size
    entries = []
    for seq in wanted:
        rows = store.entries(origin, seq, 1)
        proof = store.inclusion_proof(origin, seq, size)
        entries.append({"seq": seq, "entry": rows[0][1].decode("utf-8"),
                        "leafHash": b64encode(store.leaf_hash(origin, seq)),
                        "proof": [b64encode(p) for p in proof]})
    return {
        "format": RECEIPT_FORMAT,
        "region": origin.removeprefix("kakawari/"),
        "origin": origin,
        **(about or {}),
        "checkpointKey": store.log_info(origin).vkey,
        "checkpoint": note,
        "size": size,
        "entries": entries,
        "anchor": used,
    }


# -- verifying --------------------------------------------------------------------------


@dataclass
class VoteCheck:
    """What a voter's receipt shows: her ballot that counts (her last vote in it), and,
    once decided, the decision's result, which must be consistent with that ballot."""

    proposal: str
    voter: str
    title: str
    method: str
    choices: list[str]
    ballot: list[int]
    votes: int
    decision: dict[str, Any] | None = None
    decision_seq: int | None = None


@dataclass
class ReceiptSummary:
    """A verified receipt: the region, the claim (the proposal, the member of a record
    receipt) and what the entries say of it."""

    origin: str
    facts: RegionFacts
    size: int
    root: bytes
    claim: str | None
    entries: list[Entry]
    anchor: dict[str, Any] | None
    checked_on_chain: bool = False
    notes: list[str] = field(default_factory=list)
    vote: VoteCheck | None = None
    """A voter's receipt: what it shows of her vote and the decision."""

    def of_type(self, type_: str) -> list[Entry]:
        return [e for e in self.entries if e.type == type_]


def _fail(reason: str, seq: int | None = None) -> VerificationError:
    return VerificationError(reason, seq)


def _b64(value: Any, what: str, seq: int) -> bytes:
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        raw = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise _fail(f"{what} is not base64: {exc}", seq) from None
    if len(raw) != 32:
        raise _fail(f"{what} is not 32 bytes", seq)
    return raw


def _parse(receipt: Any) -> tuple[str, list[tuple[int, bytes, list[bytes]]]]:
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise BundleFormatError(f"not a {RECEIPT_FORMAT} receipt")
    try:
        origin = origin_for(str(receipt["region"]))
        if receipt.get("origin", origin) != origin:
            raise ValueError("origin and region disagree")
        items = []
        for item in receipt["entries"]:
            seq = item["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                raise ValueError(f"bad seq {seq!r}")
            proof = [_b64(p, "a proof hash", seq) for p in item["proof"]]
            items.append((seq, str(item["entry"]).encode("utf-8"), proof))
            if "leafHash" in item and _b64(item["leafHash"], "leafHash", seq) != \
                    merkle.leaf_hash(items[-1][1]):
                raise _fail("leafHash is not the hash of the entry", seq)
    except (KeyError, TypeError, ValueError, EntryError) as exc:
        raise _fail(f"the receipt is malformed: {exc}") from None
    if not items or items[0][0] != 0:
        raise _fail("the receipt lacks the region's first entry (0), which fixes its keys")
    if [s for s, _, _ in items] != sorted({s for s, _, _ in items}):
        raise _fail("the receipt's entries are not in log order")
    return origin, items


def verify_receipt(receipt: Any, *, vkey: str | None = None,
                   client_for: ClientFor | None = None) -> ReceiptSummary:
    """Verify a receipt (parsed JSON). ``vkey`` pins the region's checkpoint key;
    ``client_for`` reads the anchor contract (then the anchor must exist and agree).

    Raises :class:`VerificationError` naming the first bad entry,
    :class:`BundleFormatError` for something that is no receipt of this version, and
    :class:`~ledger.errors.ChainError` when the chain can't be read.
    """
    origin, items = _parse(receipt)
    entries, facts = _entries(origin, items)
    if vkey is not None and vkey != facts.checkpoint_key:
        raise _fail("the region's first entry names another checkpoint key than the one "
                    "you gave", 0)
    if receipt.get("checkpointKey", facts.checkpoint_key) != facts.checkpoint_key:
        raise _fail("checkpointKey differs from the key in the region's first entry")
    try:
        cp = open_checkpoint(str(receipt["checkpoint"]), parse_vkey(facts.checkpoint_key),
                             origin)
    except (LedgerError, KeyError) as exc:
        raise _fail(f"the checkpoint does not verify with the region's key: {exc}") from None
    if receipt.get("size", cp.size) != cp.size:
        raise _fail(f"size says {receipt.get('size')}, the signed checkpoint {cp.size}")
    for (seq, data, proof) in items:
        try:
            merkle.verify_inclusion(merkle.leaf_hash(data), seq, cp.size, proof, cp.root)
        except ProofError as exc:
            raise _fail(f"not in the signed tree of {cp.size} entries: {exc}", seq) from None
    claim = _about(receipt, facts, entries)
    summary = ReceiptSummary(origin, facts, cp.size, cp.root, claim, entries,
                             receipt.get("anchor"))
    if receipt.get("proposal") is not None:
        summary.vote = _check_vote(receipt, entries)
    _anchor(summary, items, client_for)
    return summary


def _entries(origin: str,
             items: list[tuple[int, bytes, list[bytes]]]) -> tuple[list[Entry], RegionFacts]:
    entries: list[Entry] = []
    facts: RegionFacts | None = None
    for seq, data, _ in items:
        try:
            entry = Entry.from_bytes(data)
        except EntryError as exc:
            raise _fail(f"malformed entry: {exc}", seq) from None
        if (entry.origin, entry.seq) != (origin, seq):
            raise _fail(f"the entry says it is entry {entry.seq} of {entry.origin}", seq)
        facts = check_entry(entry, facts)
        entries.append(entry)
    assert facts is not None
    return entries, facts


def _claim_id(facts: RegionFacts, entry: Entry) -> str:
    digest = eip712.signing_digest(facts.domain, MESSAGE_TYPES["Claim"], entry.message)
    return "0x" + digest.hex()


def _about_proposal(receipt: dict[str, Any], facts: RegionFacts, entries: list[Entry]) -> str:
    """A voter's receipt: one Proposal entry, the voter's votes on it, its decision."""
    proposals = [e for e in entries if e.type == "Proposal"]
    if len(proposals) != 1:
        raise _fail(f"a vote receipt holds one Proposal entry, not {len(proposals)}")
    digest = eip712.signing_digest(facts.domain, MESSAGE_TYPES["Proposal"],
                                   proposals[0].message)
    found, voter = "0x" + digest.hex(), receipt.get("voter")
    if receipt["proposal"] != found:
        raise _fail(f"this Proposal entry is proposal {found}, not {receipt['proposal']}",
                    proposals[0].seq)
    if receipt.get("title") not in (None, proposals[0].message["title"]):
        raise _fail("the title differs from the proposal's", proposals[0].seq)
    for e in entries[1:]:
        if e.type == "Proposal":
            continue
        if e.type not in ("Vote", "Decision") or e.message["proposal"] != found or (
                e.type == "Vote" and e.message["voter"] != voter):
            raise _fail(f"this {e.type} entry is not {voter}'s vote on proposal {found} nor "
                        "its decision", e.seq)
    if not any(e.type == "Vote" for e in entries):
        raise _fail(f"the receipt holds no vote of {voter}")
    return found


RECORD_TYPES = frozenset({"Join", "RecordLink", "RecordSummary"})
"""Types of entries in a member's record receipt (``record``: her address)."""


def _about_record(receipt: dict[str, Any], facts: RegionFacts, entries: list[Entry]) -> str:
    """A member's record: her Join, her RecordLink consents and the RecordSummary
    entries the service wrote of her record. Returns her address."""
    member = receipt["record"]
    if not isinstance(member, str):
        raise _fail("record is not an address")
    for e in entries[1:]:
        if e.type not in RECORD_TYPES or e.message["member"] != member:
            raise _fail(f"this {e.type} entry is not part of {member}'s record", e.seq)
    if [e.type for e in entries].count("Join") != 1:
        raise _fail(f"a record receipt holds {member}'s Join entry, once")
    return member


_FOR_AGAINST = ["for", "against", "abstain"]


def _check_vote(receipt: dict[str, Any], entries: list[Entry]) -> VoteCheck:
    """A voter's receipt, against its decision: every vote within the voting period,
    at most one decision, after closing and after every vote; the decision counts at
    least her votes and at least one voter; each choice of her ballot that counts has
    power behind it in the decision's totals (for instant runoff: her first preference
    in the first round). What the receipt can't show (that no later vote of hers
    exists, that the others' votes are counted right) an audit of the bundle does."""
    proposal = next(e for e in entries if e.type == "Proposal")
    p = proposal.message
    votes = [e for e in entries if e.type == "Vote"]
    decisions = [e for e in entries if e.type == "Decision"]
    for e in votes:
        if not p["opensAt"] <= e.time < p["closesAt"]:
            raise _fail(f"this vote was appended at {e.time}, outside the voting period "
                        f"{p['opensAt']}–{p['closesAt']}: the rules would have refused it",
                        e.seq)
    choices = _FOR_AGAINST if p["method"] == "for-against" else list(p["choices"])
    check = VoteCheck(receipt["proposal"], votes[-1].message["voter"], p["title"],
                      p["method"], choices, list(votes[-1].message["ballot"]), len(votes))
    if len(decisions) > 1:
        raise _fail("the receipt holds two decisions of the proposal", decisions[1].seq)
    if not decisions:
        return check
    d = decisions[0]
    if d.seq < votes[-1].seq:
        raise _fail(f"the decision (entry {d.seq}) comes before this vote", votes[-1].seq)
    if d.time < p["closesAt"]:
        raise _fail(f"the decision was written at {d.time}, before voting closed at "
                    f"{p['closesAt']}", d.seq)
    try:
        result = json.loads(d.message["result"])
        totals, counted = list(result["totals"]), int(result["votes"])
        voters = int(result["turnout"]["voters"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(f"the decision's result is not a result: {exc}", d.seq) from None
    if counted < len(votes) or voters < 1:
        raise _fail(f"the decision counts {counted} votes of {voters} voters, but the "
                    f"receipt holds {len(votes)} of {check.voter}", d.seq)
    backed = check.ballot[:1] if p["method"] == "ranked" else check.ballot
    for c in backed:
        if not (isinstance(c, int) and 0 <= c < len(totals)) or totals[c] < 1:
            name = choices[c] if isinstance(c, int) and 0 <= c < len(choices) else c
            raise _fail(f"{check.voter}'s vote (entry {votes[-1].seq}) is for {name!r}, but "
                        "the decision gives it no power: her vote was not counted", d.seq)
    check.decision, check.decision_seq = result, d.seq
    return check


def _about(receipt: dict[str, Any], facts: RegionFacts, entries: list[Entry]) -> str:
    """Every entry but the first is about one claim, and the descriptive members agree
    (or, for a voter's receipt, about one proposal; for a record receipt, about one
    member)."""
    if receipt.get("proposal") is not None:
        return _about_proposal(receipt, facts, entries)
    if receipt.get("record") is not None:
        return _about_record(receipt, facts, entries)
    claims = [e for e in entries if e.type == "Claim"]
    claim = receipt.get("claim")
    if len(claims) != 1:
        raise _fail(f"a receipt holds one Claim entry, not {len(claims)}")
    found = _claim_id(facts, claims[0])
    if claim is not None and claim != found:
        raise _fail(f"this Claim entry is claim {found}, not {claim}", claims[0].seq)
    claim = found
    for e in entries[1:]:
        if e.type != "Claim" and (e.type not in CLAIM_TYPES or e.message["claim"] != claim):
            raise _fail(f"this {e.type} entry is not about claim {claim}", e.seq)
    if receipt.get("title") not in (None, claims[0].message["title"]):
        raise _fail("the title differs from the claim's", claims[0].seq)
    member, points = receipt.get("member"), receipt.get("points")
    if member is not None and points is not None:
        given = [e for e in entries if e.type == "Recognition" and e.message["member"] == member]
        if not given or given[-1].message["points"] != points:
            raise _fail(f"no recognition of {member} with {points} points among the entries")
    return claim


def _anchor(summary: ReceiptSummary, items: list[tuple[int, bytes, list[bytes]]],
            client_for: ClientFor | None) -> None:
    a = summary.anchor
    if a is None:
        summary.notes.append("not anchored on chain yet")
        return
    if not isinstance(a, dict) or not set(ANCHOR_FIELDS) <= set(a):
        raise _fail("the anchor record is malformed")
    if (a["size"], a["root"]) != (summary.size, "0x" + summary.root.hex()):
        raise _fail("the anchor is of another tree than the signed checkpoint")
    if client_for is None:
        return
    try:
        reader = client_for(int(a["chainId"]), str(a["contract"]).lower())
    except ContractError as exc:
        raise _fail(f"the anchor contract can't be used: {exc}") from None
    if reader is None:
        summary.notes.append(f"anchored on chain {a['chainId']}, not the chain given")
        return
    lid = log_id(summary.origin)
    on_chain = reader.root_at(lid, summary.size)
    if on_chain != summary.root:
        raise _fail(f"the chain's root for size {summary.size} is "
                    f"{'none' if on_chain is None else '0x' + on_chain.hex()}, not this tree's")
    for seq, data, proof in items:
        if not reader.verify_inclusion(lid, summary.size, seq, merkle.leaf_hash(data), proof):
            raise _fail("the anchor contract's verifyInclusion refuses this entry's proof", seq)
    summary.checked_on_chain = True
