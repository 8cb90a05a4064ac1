"""Invitations and recovery codes around the signed entries: who an invitation is for
(a label kept off the log), the card with its QR code, and setting a new passphrase
with a recovery code. Issuing, withdrawing and recovering are signed entries
(``Invitation``, ``InvitationRevocation``, ``Recovery``) posted like any other."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from sqlalchemy import delete, insert, select

from ..cards import card_link, qr_svg
from ..codes import code_hash, display_code
from ..domain import DomainError, queries
from ..domain import tables as t
from .deps import ClientDep, ConnDep, RegionDep, ServicesDep, SessionDep
from .schemas import TokenOut

router = APIRouter(prefix="/v1", tags=["accounts"])

HashPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: StrictStr = Field(max_length=200, description="Who the invitation is for "
                             "(kept by the service, never written to the log); empty clears")


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StrictStr = Field(pattern="^(invitation|recovery)$")
    code: StrictStr = Field(min_length=6, max_length=128)


class CardOut(BaseModel):
    """What a printed card shows."""

    code: str = Field(description="The code in its printed form (`K7QM-3WXP-9RTD`)")
    link: str = Field(description="The web app's link that carries the code")
    qrSvg: str = Field(description="The link as a QR code, an SVG document")
    label: str | None = Field(description="Who the invitation is for, if labelled")


class RecoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: StrictStr = Field(min_length=6, max_length=128)
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class RecoverOut(TokenOut):
    number: str = Field(description="The member's number (`AMA-0042`)")


def _need_admin(conn: Any, region: str, address: str) -> None:
    if "admin" not in queries.roles_of(conn, region, address):
        raise DomainError("not-admin", who=address, region=region)


@router.put("/regions/{region}/invitations/{code_hash}/label", status_code=204)
def label_invitation(region: RegionDep, code_hash_: Annotated[str, Path(
                     alias="code_hash", pattern=r"^0x[0-9a-fA-F]{64}$")], body: LabelIn,
                     conn: ConnDep, svc: ServicesDep, session: SessionDep) -> None:
    """Name who an invitation is for (admins). The label is personal data: it stays in
    the service's database, off the log."""
    _need_admin(conn, region, session.address)
    digest = code_hash_.lower()
    i = t.invitations.c
    if conn.execute(select(i.code_hash).where(i.region == region, i.code_hash == digest)
                    ).first() is None:
        raise DomainError("unknown-invitation", region=region)
    lab = t.invitation_labels.c
    with svc.regions.store.engine.begin() as tx:  # type: ignore[attr-defined]
        tx.execute(delete(t.invitation_labels).where(lab.region == region,
                                                     lab.code_hash == digest))
        if body.label.strip():
            tx.execute(insert(t.invitation_labels).values(
                region=region, code_hash=digest, label=body.label.strip(),
                created_at=svc.regions.clock()))


@router.post("/regions/{region}/cards", response_model=CardOut)
def make_card(region: RegionDep, body: CardIn, request: Request, conn: ConnDep,
              session: SessionDep) -> dict[str, Any]:
    """The printable card of an invitation or recovery code (admins): the link that
    carries the code and its QR code. The code must be one the log has issued."""
    _need_admin(conn, region, session.address)
    digest = code_hash(body.code)
    table = t.invitations if body.kind == "invitation" else t.recoveries
    c = table.c
    if conn.execute(select(c.code_hash).where(c.region == region, c.code_hash == digest)
                    ).first() is None:
        raise DomainError("unknown-invitation", region=region)
    lab = t.invitation_labels.c
    label = conn.execute(select(lab.label).where(lab.region == region,
                                                 lab.code_hash == digest)).scalar()
    link = card_link(str(request.base_url), body.kind, region, body.code)
    return {"code": display_code(body.code), "link": link, "qrSvg": qr_svg(link),
            "label": label}


@router.post("/regions/{region}/accounts/recover", response_model=RecoverOut)
def recover(region: RegionDep, body: RecoverIn, svc: ServicesDep, client: ClientDep
            ) -> dict[str, Any]:
    """Choose a new passphrase with the recovery code the office issued; signs the
    member in. Her earlier sign-ins end. Twenty wrong codes from one client address in
    15 minutes lock it out for 15 minutes (429, ``Retry-After``)."""
    key = ("recover-client", client)
    svc.limits.check(key)
    try:
        address = svc.accounts.recover(region, body.code, body.passphrase)
    except DomainError as exc:
        if exc.code == "bad-recovery":
            svc.limits.fail(key)
        raise
    svc.auth.end_all(address)
    token, expires = svc.auth.new_session(address, region=region, managed=True)
    return {"token": token, "address": address, "expiresAt": expires, "region": region,
            "managed": True, "number": svc.accounts.number_of(region, address)}
