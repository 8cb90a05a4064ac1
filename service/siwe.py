"""Sign-In with Ethereum (EIP-4361): parse the message, check it, recover its signer.

Pure: the caller passes the service's public origin(s), the chain ids it serves and the
time; it still has to consume the nonce. A message is accepted only for one of those
origins (EIP-4361 "Verifying a message": the ``domain`` is the origin's authority, the
``scheme`` when given is its scheme, the ``URI`` is on that origin) and chain ids —
never for whatever ``Host`` a request names, which a phishing page chooses.

The signature is EIP-191 ``personal_sign`` over the message's UTF-8 bytes (what
``ethers.Wallet.signMessage`` and wallets' ``personal_sign`` produce); recovery is
low-s only, as for log entries. Refusals raise :class:`SiweError` with a reason a
person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from eth_utils.crypto import keccak

from ledger import eip712
from ledger.errors import SignatureError
from ledger.messages import MessageType

_HEADER = re.compile(
    r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+\-.]*)://)?(?P<domain>[^\s/?#]+) wants you to sign in "
    r"with your Ethereum account:$"
)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^[a-zA-Z0-9]{8,}$")
_FIELDS = ("URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time",
           "Not Before", "Request ID")
MAX_MESSAGE = 4096


class SiweError(ValueError):
    """The sign-in message or its signature is not acceptable."""


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    scheme: str | None
    address: str  # lowercase
    statement: str | None
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: int
    expiration_time: int | None
    not_before: int | None
    request_id: str | None
    resources: tuple[str, ...]


def _time(value: str, name: str) -> int:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SiweError(f"{name} is not an RFC 3339 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise SiweError(f"{name} must carry a time zone (e.g. Z)")
    return int(parsed.timestamp())


def parse(text: str) -> SiweMessage:
    """Parse an EIP-4361 message (ABNF of the EIP's "Message Format")."""
    if not isinstance(text, str) or len(text) > MAX_MESSAGE:
        raise SiweError(f"a sign-in message is text of at most {MAX_MESSAGE} characters")
    lines = text.split("\n")
    header = _HEADER.match(lines[0]) if lines else None
    if header is None:
        raise SiweError("the first line must be '<domain> wants you to sign in with your "
                        "Ethereum account:'")
    if len(lines) < 3 or not _ADDRESS.match(lines[1]):
        raise SiweError("the second line must be the 0x address")
    address = lines[1]
    if address[2:] != address[2:].lower() and address[2:] != address[2:].upper():
        try:
            eip712.normalize_message(_ADDR_TYPE, {"a": address})
        except Exception:
            raise SiweError("the address has a wrong EIP-55 checksum") from None
    i = 2
    if lines[i] != "":
        raise SiweError("an empty line must follow the address")
    i += 1
    statement = None
    if i < len(lines) and lines[i] and not lines[i].startswith("URI: "):
        statement = lines[i]
        i += 1
    if i < len(lines) and lines[i] == "":
        i += 1
    values: dict[str, str] = {}
    resources: list[str] = []
    expected = list(_FIELDS)
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "Resources:":
            while i < len(lines) and lines[i].startswith("- "):
                resources.append(lines[i][2:])
                i += 1
            if i != len(lines):
                raise SiweError("nothing may follow the resources")
            break
        name, sep, value = line.partition(": ")
        if not sep or name not in expected:
            raise SiweError(f"unexpected line {line[:60]!r}")
        expected = expected[expected.index(name) + 1:]
        values[name] = value
    for required in ("URI", "Version", "Chain ID", "Nonce", "Issued At"):
        if required not in values:
            raise SiweError(f"the message has no {required}")
    if values["Version"] != "1":
        raise SiweError("Version must be 1")
    if not values["Chain ID"].isdigit():
        raise SiweError("Chain ID must be a number")
    if not _NONCE.match(values["Nonce"]):
        raise SiweError("Nonce must be at least 8 letters or digits")
    return SiweMessage(
        domain=header.group("domain"), scheme=header.group("scheme"), address=address.lower(),
        statement=statement,
        uri=values["URI"], version="1", chain_id=int(values["Chain ID"]),
        nonce=values["Nonce"], issued_at=_time(values["Issued At"], "Issued At"),
        expiration_time=_time(values["Expiration Time"], "Expiration Time")
        if "Expiration Time" in values else None,
        not_before=_time(values["Not Before"], "Not Before") if "Not Before" in values else None,
        request_id=values.get("Request ID"), resources=tuple(resources),
    )


_ADDR_TYPE = MessageType("A", (("a", "address"),), "a")


def personal_digest(text: str) -> bytes:
    """EIP-191 version 0x45: keccak256("\\x19Ethereum Signed Message:\\n" + len + bytes)."""
    data = text.encode("utf-8")
    return bytes(keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data))


LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
"""Hosts accepted on any port when no public origin is configured (development)."""


def _origin(url: str) -> tuple[str, str] | None:
    """``(scheme, authority)`` of an http(s) URL, lowercase; None if it is not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def _for_origin(message: SiweMessage, origins: Sequence[str] | None) -> bool:
    """Whether domain, scheme and URI of ``message`` name one of ``origins`` (None:
    any loopback address, for development)."""
    uri = _origin(message.uri)
    if uri is None or uri[1] != message.domain.lower():
        return False
    if message.scheme is not None and message.scheme.lower() != uri[0]:
        return False
    if origins is None:
        host = uri[1].rsplit(":", 1)[0] if not uri[1].endswith("]") else uri[1]
        return host in LOOPBACK
    return any(_origin(o) == uri for o in origins)


def verify(text: str, signature: str, *, origins: Sequence[str] | None,
           chain_ids: Collection[int], now: int, skew: int = 300,
           max_age: int = 900) -> SiweMessage:
    """The parsed message if ``signature`` is its signer's and it is current, for one of
    ``origins`` (``scheme://host[:port]``; None: loopback addresses only) and one of
    ``chain_ids``; the caller still has to consume the nonce once. Raises SiweError."""
    message = parse(text)
    if not _for_origin(message, origins):
        where = ", ".join(origins) if origins is not None else "a local address"
        raise SiweError(f"the message is for {message.domain!r} ({message.uri[:80]!r}); "
                        f"this service signs in at {where} only")
    if message.chain_id not in chain_ids:
        raise SiweError(f"Chain ID {message.chain_id} is not a chain of this service "
                        f"({', '.join(str(c) for c in sorted(chain_ids))})")
    try:
        signer = eip712.recover_signer(personal_digest(text), signature)
    except SignatureError as exc:
        raise SiweError(f"bad signature: {exc}") from None
    if signer != message.address:
        raise SiweError("the signature is not by the address in the message")
    if message.issued_at > now + skew or message.issued_at < now - max_age:
        raise SiweError("the message was not issued just now; sign in again")
    if message.expiration_time is not None and message.expiration_time <= now:
        raise SiweError("the message has expired; sign in again")
    if message.not_before is not None and message.not_before > now + skew:
        raise SiweError("the message is not valid yet")
    return message
