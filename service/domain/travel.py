"""Recognition that travels between partner regions (issue 16): the domain part.

A member of Ama who comes to partner Tabayama shows her Ama record there. She consents
in both logs with a ``RecordLink`` entry naming the partner and her address there
(in Ama's: Ama's record of me may travel to Tabayama, to member X; in Tabayama's: show
here the Ama record of member Y). Right after a ``RecordLink`` that shows, the service
writes a ``RecordSummary`` of her record at that point (:func:`summary_fields`, which
the auditor's replay recomputes for every such entry): her recognised activities, her
lifetime points and level, the months she was active. Ama gives her a **record
receipt**, a ``kakawari-receipt/1`` (``docs/audit-bundle.md``) whose ``record`` is her
Ama address: entry 0, her ``Join``, her ``RecordLink`` and that ``RecordSummary``,
proven in a checkpoint Tabayama's witness cosigned. :func:`record_of` reads what
Tabayama shows from those signed entries: nothing on the word of the receipt's
descriptive members, which must agree with them.

- ``recognised``: her claims with a ``Recognition`` of her that are not revoked now;
- ``points``, ``level``: her lifetime points and level (the policy's level of them);
- ``months``: the months (JST) in which the work of those claims happened
  (``occurredAt``), for the cross-region KPIs; ``joinedAt``: her ``Join`` there.

Points never move between regions: nothing here credits or debits a point.
No clock, no database (the projections are passed in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.audit.receipt import ReceiptSummary

from .errors import DomainError
from .kpis import month_of
from .state import Projections

__all__ = ["TravelRecord", "record_of", "summary_fields"]


def summary_fields(state: Projections, member: str, partner: str) -> dict[str, Any]:
    """The fields of the ``RecordSummary`` of ``member``'s record for ``partner`` now."""
    row = state.member(member)
    assert row is not None, "a RecordLink of someone who is no member"
    standing = [(c, at) for c, at, status in state.record_claims(member) if status != "revoked"]
    months = sorted({month_of(at) for _, at in standing})
    return {"member": member, "partner": partner, "recognised": len(standing),
            "points": int(row["points"]), "level": int(row["level"]),
            "months": ",".join(months)}


@dataclass(frozen=True)
class TravelRecord:
    """What a region shows of a member's verified record in a partner region."""

    partner: str  # the partner's log origin (where the record is)
    member: str  # her address there
    joined_at: int
    recognised: int
    points: int
    level: int
    months: tuple[str, ...]
    size: int
    root: str  # 0x hex of the tree's root

    def to_json(self) -> dict[str, Any]:
        return {"partner": self.partner, "member": self.member, "joinedAt": self.joined_at,
                "recognised": self.recognised, "lifetimePoints": self.points,
                "level": self.level, "months": list(self.months), "size": self.size,
                "root": self.root}


def _refuse(partner: str, reason: str) -> DomainError:
    return DomainError("bad-receipt", partner=partner, reason=reason)


def record_of(summary: ReceiptSummary, receipt: dict[str, Any], *, shown_in: str,
              shown_to: str, partner_name: str | None = None) -> TravelRecord:
    """The record a verified record receipt (``summary``, from
    :func:`ledger.audit.receipt.verify_receipt`) shows in the region of origin
    ``shown_in`` to its member ``shown_to``. DomainError ``record-not-consented`` when
    its last ``RecordLink`` for ``shown_in`` does not let it be shown to ``shown_to``,
    ``bad-receipt`` when no ``RecordSummary`` follows that consent or the receipt's
    stated figures differ from the summary's."""
    origin, member = summary.origin, summary.claim
    label = partner_name or origin
    if member is None or receipt.get("record") != member:
        raise _refuse(label, "it is not a member's record receipt")
    links = [e for e in summary.entries if e.type == "RecordLink"
             and e.message["partner"] == shown_in]
    if not links or not links[-1].message["shown"] or \
            links[-1].message["partnerMember"] != shown_to:
        raise DomainError("record-not-consented", partner=label, member=member)
    summaries = [e for e in summary.entries if e.type == "RecordSummary"
                 and e.message["partner"] == shown_in and e.seq > links[-1].seq]
    if not summaries:
        raise _refuse(label, "it holds no summary of the record written after her consent")
    m = summaries[-1].message
    for name in ("recognised", "points", "level"):
        if receipt.get(name, m[name]) != m[name]:
            raise _refuse(label, f"it says {name} {receipt.get(name)!r:.40}, the signed "
                          f"summary in the log says {m[name]}")
    joins = [e for e in summary.entries if e.type == "Join"]
    months = tuple(x for x in m["months"].split(",") if x)
    return TravelRecord(origin, member, joins[0].time, int(m["recognised"]), int(m["points"]),
                        int(m["level"]), months, summary.size, "0x" + summary.root.hex())
