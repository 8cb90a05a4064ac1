"""What a bundle carries besides the log: private details, and spreadsheet views.

**Private details** (``details.jsonl``): one canonical JSON object per line,
``{"details": {...}, "hash": "0x…", "salt": "0x…"}``, for every claim or quest whose
details the service still holds — never for erased ones. Each must hash to a
``detailsHash`` an entry names (``SHA-256(salt ‖ JCS(details))``, see
:mod:`service.domain.details`).

**Views** (``views/*.csv``): contributions, reviews, endorsements, points per
member, perks and their stock, redemptions, and spendable balances per member,
written from a :class:`~service.audit.replay.Replay` of the entries (so they show
exactly what the entries give, as of the export). UTF-8 with a byte-order mark and
CRLF line ends, so Excel opens Japanese text correctly; times in ISO 8601, Japan time;
text cells that a spreadsheet would take for a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or CR) are prefixed with ``'``. Erased details show as
``erased (entry N)``, never as a missing row. The verifier writes the same views from
its own replay and compares them line by line with the bundle's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import IO, Any

from ledger.audit.bundle import BundleReader, BundleWriter
from ledger.canonical import canonical_bytes, parse_canonical
from ledger.errors import LedgerError, VerificationError

from ..domain.details import DetailsStore, details_hash
from ..domain.errors import DomainError
from .replay import Replay

__all__ = ["DETAILS", "NOT_INCLUDED", "VIEWS", "check_details", "view_rows", "write_details",
           "write_views"]

DETAILS = "details.jsonl"
CONTRIBUTIONS = "views/contributions.csv"
VIEWS = (CONTRIBUTIONS, "views/reviews.csv", "views/endorsements.csv", "views/points.csv",
         "views/perks.csv", "views/redemptions.csv", "views/balances.csv")
NOT_INCLUDED = "(not in this export)"
ZERO32 = "0x" + "00" * 32
JST = timezone(timedelta(hours=9), "JST")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_YIELD_EVERY = 2000


def _time(ts: int | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(int(ts), JST).isoformat()


def _text(value: str | None) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA) else value


def _yes(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


# -- private details ----------------------------------------------------------------------

_DETAILS_HASHES = """
SELECT details_hash, min(seq) FROM (
  SELECT details_hash, seq FROM svc_claims WHERE region = ?1
  UNION ALL SELECT details_hash, seq FROM svc_quests WHERE region = ?1)
WHERE details_hash != ?2
  AND details_hash NOT IN (SELECT details_hash FROM svc_erasures WHERE region = ?1)
GROUP BY details_hash ORDER BY min(seq)
"""


def _remembered(digest: str, details: dict[str, Any]) -> tuple[str, str, int]:
    """The ``audit_details`` row of these details: hash, text, number of files."""
    text = details.get("text")
    files = details.get("files")
    return (digest, text if isinstance(text, str) else "",
            len(files) if isinstance(files, list) else 0)


def _remember(replay: Replay, digest: str, details: dict[str, Any]) -> None:
    replay.query("INSERT INTO audit_details (hash, text, files) VALUES (?, ?, ?)",
                 *_remembered(digest, details))


def write_details(replay: Replay, store: DetailsStore, out: IO[bytes]) -> Iterator[None]:
    """Write ``details.jsonl``: the details the service still holds, in log order."""
    cursor = replay.query(_DETAILS_HASHES, replay.region, ZERO32)
    for i, (digest, _) in enumerate(cursor):
        found = store.get(replay.region, digest)
        if found is None:
            continue
        details = found["details"]
        line = {"details": details, "hash": digest, "salt": "0x" + found["salt"]}
        out.write(canonical_bytes(line) + b"\n")
        _remember(replay, digest, details)
        if i % _YIELD_EVERY == 0:
            yield


_NAMED_BY = """
SELECT details_hash, min(seq) FROM (
  SELECT details_hash, seq FROM svc_claims WHERE region = ?1
  UNION ALL SELECT details_hash, seq FROM svc_quests WHERE region = ?1)
GROUP BY details_hash
"""


def _parse_details_line(line: bytes) -> tuple[str, str, dict[str, Any]]:
    """``(hash, computed hash, details)`` of a ``details.jsonl`` line; ValueError,
    LedgerError or DomainError when it is malformed."""
    item = parse_canonical(line)
    if not isinstance(item, dict) or set(item) != {"details", "hash", "salt"}:
        raise ValueError("members must be details, hash and salt")
    salt, digest, details = item["salt"], item["hash"], item["details"]
    if not isinstance(salt, str) or not salt.startswith("0x") or \
            not isinstance(details, dict) or not isinstance(digest, str):
        raise ValueError("salt must be 0x-hex, hash a string and details an object")
    # The line is canonical, so its members are in key order and the bytes between
    # '{"details":' and ',"hash":"' (which no JSON string can contain unescaped) are
    # the canonical form of the details: hash them as they are (details_hash would
    # encode them again).
    canonical = line[len(_DETAILS_OPEN):line.rfind(_HASH_MEMBER)]
    return digest, details_hash(bytes.fromhex(salt[2:]), details, canonical), details


_DETAILS_OPEN, _HASH_MEMBER = b'{"details":', b',"hash":"'


def check_details(replay: Replay, bundle: BundleReader) -> int:
    """Check ``details.jsonl`` against the replayed entries; returns how many there are.
    Raises :class:`VerificationError` naming the claim (or quest) entry concerned."""
    named = dict(replay.query(_NAMED_BY, replay.region).fetchall())
    erased = dict(replay.query("SELECT details_hash, seq FROM svc_erasures WHERE region = ?",
                               replay.region).fetchall())
    seen: set[str] = set()
    rows: list[tuple[str, str, int]] = []
    for n, line in enumerate(bundle.lines(DETAILS), 1):
        try:
            digest, got, details = _parse_details_line(line)
        except (LedgerError, ValueError, DomainError) as exc:
            raise VerificationError(f"{DETAILS} line {n} is malformed: {exc}") from None
        seq = named.get(digest)
        if seq is None:
            raise VerificationError(f"{DETAILS} line {n} holds details no entry names")
        if got != digest:
            raise VerificationError(f"the private details in {DETAILS} (line {n}) do not hash "
                                    "to this entry's detailsHash", seq)
        if digest in erased:
            raise VerificationError(f"entry {erased[digest]} erased these private details, "
                                    f"yet {DETAILS} (line {n}) still holds them", seq)
        if digest in seen:
            raise VerificationError(f"{DETAILS} holds these details twice", seq)
        seen.add(digest)
        rows.append(_remembered(digest, details))
    replay.db.executemany("INSERT INTO audit_details (hash, text, files) VALUES (?, ?, ?)",
                          rows)
    return len(rows)


# -- views --------------------------------------------------------------------------------


def _details_cell(digest: str, erased: int | None, text: str | None, files: int | None) -> str:
    if digest == ZERO32:
        return ""
    if erased is not None:
        return f"erased (entry {erased})"
    if text is None:
        return NOT_INCLUDED
    return _text(text) + (f" [{files} file{'s' if files != 1 else ''}]" if files else "")


def _contributions(replay: Replay) -> Iterator[list[Any]]:
    yield ["entry", "claim", "occurred_at", "category", "title", "minutes", "contributor",
           "contributor_name", "co_contributors", "quest", "status", "approvals", "points_each",
           "endorsement_points", "decided_by_entry", "details_hash", "private_details"]
    rows = replay.query("""
        SELECT c.seq, c.id, c.occurred_at, c.category, c.title, c.minutes, c.contributor,
               m.display_name, c.quest, c.status, c.approvals, c.points, c.endorsed,
               c.decided_seq, c.details_hash, e.seq, d.text, d.files
        FROM svc_claims c
        LEFT JOIN svc_members m ON m.region = c.region AND m.address = c.contributor
        LEFT JOIN svc_erasures e ON e.region = c.region AND e.details_hash = c.details_hash
        LEFT JOIN audit_details d ON d.hash = c.details_hash
        WHERE c.region = ? ORDER BY c.seq""", replay.region)
    people = _co_contributors(replay)
    for (seq, cid, occurred, category, title, minutes, who, name, quest, status, approvals,
         points, endorsed, decided, digest, erased, text, files) in rows:
        yield [seq, cid, _time(occurred), category, _text(title), minutes, who, _text(name),
               _text(people(seq)), quest or "", status, approvals,
               "" if points is None else points, endorsed, "" if decided is None else decided,
               digest, _details_cell(digest, erased, text, files)]


def _co_contributors(replay: Replay) -> Callable[[int], str]:
    """The co-contributors cell of each claim, asked for in log order (one query for
    all claims, read alongside the claims)."""
    rows = replay.query("""
        SELECT c.seq, p.address, m.display_name, p.confirmed_seq FROM svc_claim_people p
        JOIN svc_claims c ON c.region = p.region AND c.id = p.claim
        LEFT JOIN svc_members m ON m.region = p.region AND m.address = p.address
        WHERE p.region = ? AND NOT p.contributor ORDER BY c.seq, p.address""", replay.region)
    ahead = next(rows, None)

    def cell(claim_seq: int) -> str:
        nonlocal ahead
        parts = []
        while ahead is not None and ahead[0] <= claim_seq:
            _, addr, name, seq = ahead
            if ahead[0] == claim_seq:
                parts.append(f"{name or ''} <{addr}> " + (
                    f"(confirmed, entry {seq})" if seq is not None else "(not confirmed)"))
            ahead = next(rows, None)
        return "; ".join(parts)
    return cell


def _reviews(replay: Replay) -> Iterator[list[Any]]:
    yield ["entry", "time", "claim", "claim_title", "reviewer", "reviewer_name", "decision",
           "reason"]
    rows = replay.query("""
        SELECT r.seq, r.time, r.claim, c.title, r.reviewer, m.display_name, r.approve, r.reason
        FROM svc_reviews r
        LEFT JOIN svc_claims c ON c.region = r.region AND c.id = r.claim
        LEFT JOIN svc_members m ON m.region = r.region AND m.address = r.reviewer
        WHERE r.region = ? ORDER BY r.seq""", replay.region)
    for seq, time, claim, title, reviewer, name, approve, reason in rows:
        yield [seq, _time(time), claim, _text(title), reviewer, _text(name),
               "approve" if approve else "reject", _text(reason)]


def _endorsements(replay: Replay) -> Iterator[list[Any]]:
    yield ["entry", "time", "claim", "claim_title", "endorser", "endorser_name", "recipient",
           "recipient_name", "amount", "note", "points_credited"]
    rows = replay.query("""
        SELECT e.seq, e.time, e.claim, c.title, e.endorser, m1.display_name, e.recipient,
               m2.display_name, e.amount, e.note,
               (SELECT coalesce(sum(p.points), 0) FROM svc_points p WHERE p.region = e.region
                  AND p.claim = e.claim AND p.kind = 'endorsement' AND p.seq = e.seq)
        FROM svc_endorsements e
        LEFT JOIN svc_claims c ON c.region = e.region AND c.id = e.claim
        LEFT JOIN svc_members m1 ON m1.region = e.region AND m1.address = e.endorser
        LEFT JOIN svc_members m2 ON m2.region = e.region AND m2.address = e.recipient
        WHERE e.region = ? ORDER BY e.seq""", replay.region)
    for seq, time, claim, title, endorser, n1, recipient, n2, amount, note, credited in rows:
        yield [seq, _time(time), claim, _text(title), endorser, _text(n1), recipient, _text(n2),
               amount, _text(note), credited]


def _points(replay: Replay, now: int) -> Iterator[list[Any]]:
    policy = replay.state.policy
    yield ["member", "display_name", "resident", "joined_by_entry", "lifetime_points", "level",
           f"points_at_export (policy v{replay.state.policy_version})", "recognitions",
           "roles", "managed_key"]
    rows = replay.query("""
        SELECT m.address, m.display_name, m.resident, m.joined_seq, m.points, m.level,
               (SELECT count(*) FROM svc_recognitions r
                  WHERE r.region = m.region AND r.member = m.address),
               (SELECT group_concat(role, ' ') FROM (SELECT role FROM svc_roles
                  WHERE region = m.region AND address = m.address ORDER BY role)),
               m.managed
        FROM svc_members m WHERE m.region = ? ORDER BY m.joined_seq""", replay.region)
    for address, name, resident, joined, points, level, recognitions, roles, managed in rows:
        lines = replay.query("SELECT points, time FROM svc_points WHERE region = ? AND "
                             "member = ? ORDER BY id", replay.region, address).fetchall()
        current = sum(policy.decayed(int(p), now - int(t)) for p, t in lines)
        yield [address, _text(name), _yes(resident), joined, points, level, f"{current:.2f}",
               recognitions, roles or "", _yes(managed)]


def _perks(replay: Replay) -> Iterator[list[Any]]:
    yield ["perk", "listed_by_entry", "updated_by_entry", "title", "cost", "stock",
           "redeemed", "left", "valid_until", "place"]
    rows = replay.query("""
        SELECT id, seq, updated_seq, title, cost, stock, redeemed, valid_until, place
        FROM svc_perks WHERE region = ? ORDER BY seq""", replay.region)
    for perk, seq, updated, title, cost, stock, redeemed, until, place in rows:
        yield [perk, seq, updated, _text(title), cost, stock, redeemed,
               max(int(stock) - int(redeemed), 0), _time(until), _text(place)]


def _redemptions(replay: Replay) -> Iterator[list[Any]]:
    yield ["entry", "time", "redemption", "member", "member_name", "perk", "perk_title",
           "cost", "status", "status_by_entry", "reason"]
    rows = replay.query("""
        SELECT r.seq, r.time, r.id, r.member, m.display_name, r.perk, k.title, r.cost,
               r.status, r.status_seq, r.reason
        FROM svc_redemptions r
        LEFT JOIN svc_members m ON m.region = r.region AND m.address = r.member
        LEFT JOIN svc_perks k ON k.region = r.region AND k.id = r.perk
        WHERE r.region = ? ORDER BY r.seq""", replay.region)
    for seq, time, ident, member, name, perk, title, cost, status, by, reason in rows:
        yield [seq, _time(time), ident, member, _text(name), perk, _text(title), cost, status,
               "" if by is None else by, _text(reason)]


def _balances(replay: Replay) -> Iterator[list[Any]]:
    yield ["member", "display_name", "lifetime_points", "redeemed_points", "spendable_points"]
    rows = replay.query("""
        SELECT m.address, m.display_name, m.points, coalesce(b.redeemed, 0)
        FROM svc_members m
        LEFT JOIN svc_balances b ON b.region = m.region AND b.member = m.address
        WHERE m.region = ? ORDER BY m.joined_seq""", replay.region)
    for address, name, points, redeemed in rows:
        yield [address, _text(name), points, redeemed, int(points) - int(redeemed)]


def view_rows(replay: Replay, now: int) -> dict[str, Iterable[list[Any]]]:
    """Each view's rows (header first), streamed from the replay's tables."""
    return {
        VIEWS[0]: _contributions(replay),
        VIEWS[1]: _reviews(replay),
        VIEWS[2]: _endorsements(replay),
        VIEWS[3]: _points(replay, now),
        VIEWS[4]: _perks(replay),
        VIEWS[5]: _redemptions(replay),
        VIEWS[6]: _balances(replay),
    }


def write_view(rows: Iterable[list[Any]], out: IO[bytes]) -> Iterator[None]:
    """One view as CSV (UTF-8 with BOM, CRLF) into ``out``; yields now and then."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    for i, row in enumerate(rows):
        writer.writerow(row)
        if i % _YIELD_EVERY == 0:
            text.flush()
            yield
    text.flush()
    text.detach()


def write_views(replay: Replay, writer: BundleWriter, now: int) -> Iterator[None]:
    """Write every view into the bundle."""
    for name, rows in view_rows(replay, now).items():
        with writer.open(name) as out:
            yield from write_view(rows, out)

