"""Recognition that travels (issue 16): record receipts out, verified records in.

In the region where her record is (say Ama): :func:`record_receipt` gathers a member's
record — her ``Join``, her latest ``RecordLink`` for the partner and the
``RecordSummary`` the service wrote right after it — into a ``kakawari-receipt/1``
(``record``: her address) proven in the latest checkpoint that the partner's witness
cosigned, with that cosignature on it.

In the region where it is shown (Tabayama): :func:`accept_record` verifies such a
receipt against the log key named in the ``Partnership`` entry and against this
region's own cosignature of that checkpoint (it witnesses the partner), checks her
consent on both sides, reads what it shows from the signed ``RecordSummary``
(:mod:`.domain.travel`) and stores it in ``svc_partner_records`` — not on the log: no
point moves between regions.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from ledger.audit.bundle import BundleFormatError
from ledger.audit.receipt import build_receipt, verify_receipt
from ledger.cosignature import cosigned_by, parse_cosigner_vkey
from ledger.entry import Entry, origin_for
from ledger.errors import LedgerError, VerificationError
from ledger.store import LogStore

from .domain import tables as t
from .domain.errors import DomainError
from .domain.travel import TravelRecord, record_of
from .regions import Regions

__all__ = ["accept_record", "partner_records", "record_receipt"]


def _partner(conn: Connection, region: str, partner: str) -> Any:
    p = t.partners.c
    row = conn.execute(select(t.partners).where(p.region == region,
                                                p.partner == partner)).first()
    if row is None or not row.active:
        raise DomainError("not-allowed", reason=f"{partner!r:.80} is not a partner region.")
    return row


def _link(conn: Connection, region: str, member: str, partner: str) -> Any:
    c = t.record_links.c
    row = conn.execute(select(t.record_links).where(
        c.region == region, c.member == member, c.partner == partner)).first()
    if row is None or not row.shown:
        raise DomainError("record-not-consented", partner=partner, member=member)
    return row


def record_receipt(store: LogStore, conn: Connection, region: str, member: str,
                   partner: str, region_name: str | None = None) -> dict[str, Any]:
    """The record receipt of ``member`` for the partner region ``partner`` (its
    origin): DomainError when she is no member, has not consented, or no checkpoint
    covering her record is cosigned by the partner's witness yet."""
    member, origin = member.lower(), origin_for(region)
    m = t.members.c
    row = conn.execute(select(t.members).where(m.region == region,
                                               m.address == member)).first()
    if row is None:
        raise DomainError("not-member", who=member, region=region)
    partner_row = _partner(conn, region, partner)
    link = _link(conn, region, member, partner)
    assert link.summary_seq is not None, "a RecordLink that shows is followed by its summary"
    seqs = {int(row.joined_seq), int(link.seq), int(link.summary_seq)}
    witness = parse_cosigner_vkey(partner_row.witness_key).name
    cs = t.cosignatures.c
    cosigned = conn.execute(select(cs.size, cs.line).where(
        cs.region == region, cs.witness == witness, cs.size > max(seqs))
        .order_by(cs.size.desc()).limit(1)).first()
    stored = None if cosigned is None else store.checkpoint_at(origin, int(cosigned.size))
    if cosigned is None or stored is None:
        raise DomainError("not-cosigned", partner=partner_row.name, witness=witness)
    summary = Entry.from_bytes(store.entries(origin, int(link.summary_seq), 1)[0][1]).message
    about = {"regionName": region_name, "record": member, "partner": partner,
             **{k: summary[k] for k in ("recognised", "points", "level")}}
    return build_receipt(store, origin, seqs, about=about,
                         tree=(stored.size, stored.note + cosigned.line))


def accept_record(regions: Regions, engine: Engine, region: str, member: str, partner: str,
                  receipt: Any, now: int) -> dict[str, Any]:
    """Verify ``receipt``, ``member``'s record in ``partner`` (its origin), and show it
    on her profile here. DomainError ``bad-receipt`` (422) for anything that does not
    verify — an altered receipt among them."""
    member = member.lower()
    here = origin_for(region)
    with engine.connect() as conn:
        partner_row = _partner(conn, region, partner)
        link = _link(conn, region, member, partner)
    name = partner_row.name
    try:
        summary = verify_receipt(receipt, vkey=partner_row.log_key)
    except (VerificationError, BundleFormatError) as exc:
        raise DomainError("bad-receipt", partner=name, reason=str(exc)) from None
    if summary.origin != partner:
        raise DomainError("bad-receipt", partner=name,
                          reason=f"it is a receipt of {summary.origin}")
    ours = regions.witness_cosigner(region).verifier
    try:
        signed = cosigned_by(str(receipt["checkpoint"]), [ours])
    except (LedgerError, TypeError, KeyError) as exc:
        raise DomainError("bad-receipt", partner=name, reason=str(exc)) from None
    if ours not in signed:
        raise DomainError("bad-receipt", partner=name, reason=f"its checkpoint carries no "
                          f"cosignature of this region's witness ({ours.name})")
    if summary.claim != link.partner_member:
        raise DomainError("bad-receipt", partner=name, reason=f"it is the record of "
                          f"{summary.claim}, not of {link.partner_member}, whom {member} linked")
    record = record_of(summary, receipt, shown_in=here, shown_to=member, partner_name=name)
    _store(engine, region, member, record, receipt, now)
    return _json(record, partner_row.name, now)


def _store(engine: Engine, region: str, member: str, record: TravelRecord,
           receipt: Any, now: int) -> None:
    values = {"partner_member": record.member, "size": record.size, "root": record.root,
              "level": record.level, "recognised": record.recognised,
              "points": record.points, "joined_at": record.joined_at,
              "months": json.dumps(list(record.months)),
              "receipt": json.dumps(receipt, ensure_ascii=False, separators=(",", ":")),
              "verified_at": now}
    c = t.partner_records.c
    key = (c.region == region) & (c.member == member) & (c.partner == record.partner)
    with engine.begin() as conn:
        row = conn.execute(select(c.size, c.partner_member).where(key)).first()
        if row is None:
            conn.execute(insert(t.partner_records).values(
                region=region, member=member, partner=record.partner, **values))
        elif row.partner_member == record.member and row.size > record.size:
            raise DomainError("not-allowed", reason=f"A newer record of {record.partner} "
                              f"(of {row.size} entries) is already shown; this one is of "
                              f"{record.size}.")
        else:
            conn.execute(update(t.partner_records).where(key).values(**values))


def _json(record: TravelRecord, name: str, verified_at: int) -> dict[str, Any]:
    out = record.to_json()
    out.update(partnerName=name, verifiedAt=verified_at)
    return out


def partner_records(conn: Connection, region: str, member: str) -> list[dict[str, Any]]:
    """The verified records of ``member`` in partner regions shown on her profile: only
    while her ``RecordLink`` here shows that partner member and the partnership lasts."""
    c, lk, p = t.partner_records.c, t.record_links.c, t.partners.c
    rows = conn.execute(
        select(t.partner_records, p.name)
        .join(t.record_links, (lk.region == c.region) & (lk.member == c.member)
              & (lk.partner == c.partner) & (lk.partner_member == c.partner_member))
        .join(t.partners, (p.region == c.region) & (p.partner == c.partner))
        .where(c.region == region, c.member == member, lk.shown.is_(True),
               p.active.is_(True)).order_by(c.partner)).all()
    return [{"partner": r.partner, "partnerName": r.name, "member": r.partner_member,
             "joinedAt": int(r.joined_at), "recognised": int(r.recognised),
             "lifetimePoints": int(r.points), "level": int(r.level),
             "months": json.loads(r.months), "size": int(r.size), "root": r.root,
             "verifiedAt": int(r.verified_at)} for r in rows]
