"""Who held which role at each point of a log, and whether each entry's signer had the
authority its type needs then.

The log format (``docs/log-format.md``, "Signatures") says who writes each type:
``Role``, ``Quest``, ``Policy``, ``Revocation``, ``Reinstatement``, ``Invitation``,
``InvitationRevocation``, ``Recovery``, ``Cancellation``, ``Partnership`` and
``PartnershipEnd`` entries are signed by an admin, ``Review`` entries by a verifier.
Roles come from the log itself: the ``Region`` entry's ``admin`` is the first admin, and
every ``Role`` entry grants (``granted: true``) or withdraws a role of a member from
that entry on.
Service-written types are checked by :func:`ledger.verify.check_entry`; membership and
the other recognition rules by the service's own rules, replayed by the auditor.

Memory is proportional to the number of role holders, not to the log.
"""

from __future__ import annotations

from ..entry import Entry
from ..errors import VerificationError
from ..verify import RegionFacts

__all__ = ["ROLE_FOR_TYPE", "Authority"]

ROLE_FOR_TYPE: dict[str, str] = {
    "Role": "admin",
    "Quest": "admin",
    "Policy": "admin",
    "Revocation": "admin",
    "Reinstatement": "admin",
    "Invitation": "admin",
    "InvitationRevocation": "admin",
    "Recovery": "admin",
    "Cancellation": "admin",
    "Partnership": "admin",
    "PartnershipEnd": "admin",
    "Review": "verifier",
}
"""The role an entry's signer must hold, by entry type."""

_ARTICLE = {"admin": "an admin", "verifier": "a verifier"}


class Authority:
    """Role holders as of the entries seen so far; feed every entry in order."""

    def __init__(self, facts: RegionFacts) -> None:
        self._held: set[tuple[str, str]] = {(facts.admin, "admin")}

    def holds(self, address: str, role: str) -> bool:
        return (address, role) in self._held

    def holders(self, role: str) -> list[str]:
        return sorted(a for a, r in self._held if r == role)

    def check(self, entry: Entry) -> None:
        """Refuse (:class:`VerificationError`) an entry whose signer lacked the role its
        type needs at this point; then apply it if it is a ``Role`` entry."""
        role = ROLE_FOR_TYPE.get(entry.type)
        if role is not None and (entry.signer, role) not in self._held:
            raise VerificationError(
                f"{entry.type} signed by {entry.signer}, who was not {_ARTICLE[role]} "
                "at this point in the log",
                entry.seq,
            )
        if entry.type == "Role":
            m = entry.message
            held = (m["member"], m["role"])
            if m["granted"]:
                self._held.add(held)
            else:
                self._held.discard(held)
