"""Request and response bodies of the API, for validation and the OpenAPI document.

The body models of signed messages are generated from :data:`ledger.messages.MESSAGE_TYPES`,
so the documented fields are exactly the signed ones. Values are accepted in every form
a wallet sends (addresses in any case, integers as numbers or strings); the service
turns them into the canonical form before checking the signature.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, create_model

from ledger.messages import MESSAGE_TYPES

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])]
Bytes32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Signature = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                                 description="65 bytes r‖s‖v as 0x-hex (EIP-712 signature)")]
UintText = Annotated[str, Field(pattern=r"^(0x[0-9a-fA-F]{1,16}|[0-9]{1,16})$")]


def _field(typ: str) -> Any:
    if typ == "string":
        return StrictStr
    if typ == "address":
        return Address
    if typ == "bytes32":
        return Bytes32
    if typ == "bool":
        return StrictBool
    if typ == "address[]":
        return Annotated[list[Address], Field(max_length=64)]
    bits = int(typ.removeprefix("uint"))
    top = min(2**bits - 1, 2**53 - 1)
    return Annotated[int, Field(ge=0, le=top)] | UintText


def _message_model(name: str) -> type[BaseModel]:
    mtype = MESSAGE_TYPES[name]
    fields: dict[str, Any] = {f: (_field(typ), ...) for f, typ in mtype.fields}
    model: type[BaseModel] = create_model(
        f"{name}Message", __config__=ConfigDict(extra="forbid"), **fields)
    model.__doc__ = f"EIP-712 `{mtype.encode_type()}`, signed by `{mtype.signer_field}`."
    return model


def _signed_model(name: str) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        f"Signed{name}", __config__=ConfigDict(extra="forbid"),
        message=(_message_model(name), ...), signature=(Signature, ...))
    model.__doc__ = f"A `{name}` message and its EIP-712 signature."
    return model


SIGNED: dict[str, type[BaseModel]] = {
    name: _signed_model(name) for name in MESSAGE_TYPES
}


class EntryReceipt(BaseModel):
    seq: int = Field(description="The entry's position in the region log")
    type: str
    leafHash: str = Field(description="RFC 9162 leaf hash, 0x-hex")
    id: str | None = Field(default=None, description="Id of a claim or quest")


class Submitted(BaseModel):
    """What a signed request appended: its entry, then the service's consequences
    (recognitions on approval)."""

    id: str | None = Field(default=None, description="Id of the claim or quest created")
    entries: list[EntryReceipt]


class NonceOut(BaseModel):
    nonce: str
    expiresAt: int


class SiweIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: StrictStr = Field(max_length=4096, description="The EIP-4361 message text")
    signature: Signature


class TokenOut(BaseModel):
    token: str = Field(description="Bearer token for the Authorization header")
    address: str
    expiresAt: int
    region: str | None = None
    managed: bool = False


class MeOut(BaseModel):
    address: str
    region: str | None
    managed: bool
    expiresAt: int


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: StrictStr = Field(min_length=6, max_length=128)
    displayName: StrictStr = Field(min_length=1, max_length=64)
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class RedeemOut(BaseModel):
    address: str
    token: str
    expiresAt: int
    entries: list[EntryReceipt]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: Address
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class ManagedIn(BaseModel):
    """The fields of a message other than region, signer, nonce and issuedAt, which the
    service fills in before signing with the member's held key."""

    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(default_factory=dict)


class DetailsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(max_length=200)
    type: StrictStr = Field(max_length=100, description="Media type, e.g. image/jpeg")
    data: StrictStr = Field(description="Base64 content")


class Details(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr = Field(default="", max_length=20_000)
    files: list[DetailsFile] = Field(default_factory=list, max_length=10)


class DetailsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    salt: StrictStr = Field(pattern=r"^0x([0-9a-fA-F]{2}){16,64}$")
    details: Details


class BadgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member: Address


class Page(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:kakawari:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What happened, for the member"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}
