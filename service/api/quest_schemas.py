"""Bodies of the quest, check-in and perk routes (issue 14)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SignUpOut(BaseModel):
    member: str = Field(description="Who signed up")
    displayName: str = Field(description="Their name")
    managed: bool = Field(description="Whether the service holds their key")
    seq: int = Field(description="Seq of their latest `SignUp` entry")
    time: int = Field(description="When they signed up")
    recorded: bool = Field(description="Whether they are named on a claim answering the quest")


class SignUps(BaseModel):
    quest: str = Field(description="The quest")
    capacity: int = Field(description="Most sign-ups (0: no limit)")
    full: bool = Field(description="Whether every place is taken")
    items: list[SignUpOut] = Field(description="People signed up now, in the order they did")


class CheckInCode(BaseModel):
    quest: str = Field(description="The quest")
    window: int = Field(description="Seq of the `CheckInWindow` entry")
    code: str = Field(description="The code shown now")
    url: str = Field(description="The link the QR code holds (opens a pre-filled activity)")
    qr: str = Field(description="The QR code of `url` as an SVG data URI")
    step: int = Field(description="Seconds a code is shown")
    expiresAt: int = Field(description="When the next code replaces it")
    closesAt: int = Field(description="When check-in closes")


class CheckInIn(BaseModel):
    """A check-in: the code scanned and the activity recorded, either signed
    (``message`` and ``signature`` of a `Claim`) or, for a member whose key the service
    holds, as ``fields`` for it to sign."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=4, max_length=40, description="The code from the QR link")
    message: dict[str, Any] | None = Field(
        default=None, description="The signed `Claim` message (wallet users)")
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130}$",
                                  description="Its EIP-712 signature")
    fields: dict[str, Any] | None = Field(default=None, description="The `Claim`'s fields "
                                          "(managed members)")


class Perk(BaseModel):
    id: str = Field(description="Perk id: signing digest of the `Perk` entry that listed it")
    seq: int = Field(description="Seq of that entry")
    updatedSeq: int = Field(description="Seq of the latest `Perk` entry for it")
    admin: str = Field(description="The admin who listed it")
    title: str = Field(description="What it is")
    description: str = Field(description="More about it")
    cost: int = Field(description="Points it costs")
    stock: int = Field(description="How many there are in all")
    redeemed: int = Field(description="Redemptions not cancelled")
    left: int = Field(description="How many can still be redeemed")
    validUntil: int = Field(description="Redeemable until")
    place: str = Field(description="Where to collect it")


class Perks(BaseModel):
    items: list[Perk] = Field(description="Perks, newest first")


class RedemptionOut(BaseModel):
    id: str = Field(description="Redemption id: signing digest of the `Redemption`")
    seq: int = Field(description="Seq of the `Redemption` entry")
    member: str = Field(description="Who redeemed")
    displayName: str = Field(description="Their name")
    perk: str = Field(description="The perk")
    perkTitle: str = Field(description="Its title")
    place: str = Field(description="Where to collect it")
    cost: int = Field(description="Points spent")
    status: Literal["requested", "handed-over", "cancelled"] = Field(
        description="requested, handed-over (by the office) or cancelled (points returned)")
    statusSeq: int | None = Field(description="Seq of the `RedemptionStatus` entry")
    reason: str = Field(description="Reason given with the status")
    time: int = Field(description="When it was redeemed")


class RedemptionPage(BaseModel):
    total: int = Field(description="Items matching, over all pages")
    offset: int = Field(description="Items skipped")
    limit: int = Field(description="Page size asked for")
    items: list[RedemptionOut] = Field(description="Redemptions, newest first")


class Balance(BaseModel):
    lifetimePoints: int = Field(description="Every point ever credited (levels follow these)")
    redeemedPoints: int = Field(description="Points spent on perks (not cancelled)")
    spendablePoints: int = Field(description="Lifetime minus redeemed: what perks can "
                                 "still be redeemed with. Points are never transferred or "
                                 "exchanged for money.")
