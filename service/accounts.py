"""Walletless members: an invitation code, a passphrase, a key the service holds.

An admin signs an ``Invitation`` naming the SHA-256 of a code they hand to a person.
Redeeming the code (:meth:`Accounts.redeem`) creates a secp256k1 key, seals it with the
service's key-encryption secret (scrypt + AES-GCM, :mod:`ledger.keystore`, bound to
the region and address), stores a scrypt hash of the person's passphrase, and appends
— in one transaction — a service-signed ``Custody`` entry and the person's ``Join``
signed with the new key. Afterwards the service signs a message with that key only
for a session opened with the passphrase (:meth:`sign_for`). :meth:`export` hands the
key over as an Ethereum keystore v3 JSON encrypted with the passphrase, records
``Custody`` with ``held: false`` and forgets the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from eth_account import Account
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from ledger import eip712, keystore
from ledger.errors import KeyStoreError
from ledger.messages import MESSAGE_TYPES

from .codes import code_hash, legacy_code_hash
from .domain import Domain, DomainError
from .domain import tables as t
from .domain.core import Receipt, normalize
from .domain.numbers import member_number, parse_member_number
from .domain.state import State
from .keyring import Keyring
from .regions import Signed, new_nonce

MIN_PASSPHRASE = 8


SCRYPT_R, SCRYPT_P = 8, 1


def scrypt_maxmem(n: int, r: int = SCRYPT_R, p: int = SCRYPT_P) -> int:
    """The memory OpenSSL's scrypt needs for ``n``, ``r``, ``p`` (its ``B`` and ``V``
    buffers: 128·r·p + 128·r·(n + 2) bytes). ``hashlib.scrypt`` refuses anything above
    its ``maxmem``, 32 MiB unless told, which n = 2**15, r = 8 already exceeds."""
    return 128 * r * (n + p + 2)


def _scrypt(passphrase: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P,
                          dklen=32, maxmem=scrypt_maxmem(n))


def _hash_passphrase(passphrase: str, n: int) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${n}${salt.hex()}${_scrypt(passphrase, salt, n).hex()}"


def _check_passphrase(passphrase: str, stored: str) -> bool:
    """Whether ``passphrase`` is the one ``stored`` hashes. Only a mismatch is False: a
    stored hash that cannot be read, or scrypt failing (memory), raises — a fault of
    the service is never reported to the member as a wrong passphrase."""
    kind, n, salt, digest = stored.split("$")
    if kind != "scrypt":
        raise ValueError(f"unknown passphrase hash {kind!r}")
    got = _scrypt(passphrase, bytes.fromhex(salt), int(n))
    return hmac.compare_digest(got.hex(), digest)


class Accounts:
    def __init__(self, domain: Domain, engine: Engine, keyring: Keyring | None,
                 scrypt_n: int) -> None:
        self.domain, self.engine, self.keyring, self.scrypt_n = domain, engine, keyring, scrypt_n
        # a passphrase hash no passphrase matches, checked for accounts that don't exist
        self._decoy = f"scrypt${scrypt_n}${secrets.token_hex(16)}${secrets.token_hex(32)}"

    def _open_invitation(self, region: str, digest: str) -> None:
        """DomainError unless ``digest`` names an invitation of ``region`` that is
        unused (``invitation-used``), not withdrawn (``invitation-revoked``) and current
        (``bad-invitation``); checked again when redeeming commits."""
        i = t.invitations.c
        with self.engine.connect() as conn:
            row = conn.execute(select(i.member, i.expires_at, i.revoked_seq).where(
                i.region == region, i.code_hash == digest)).first()
        if row is not None and row.member is not None:
            raise DomainError("invitation-used")
        if row is not None and row.revoked_seq is not None:
            raise DomainError("invitation-revoked")
        if row is None or row.expires_at < self.domain.regions.clock():
            raise DomainError("bad-invitation")

    def _keys(self) -> Keyring:
        if self.keyring is None:
            raise DomainError("no-service-key")
        return self.keyring

    def _label(self, region: str, address: str) -> str:
        return f"kakawari/{region} member {address}"

    def redeem(self, region: str, code: str, display_name: str, passphrase: str
               ) -> tuple[str, list[Receipt]]:
        """Create the managed member of an invitation; returns (address, entries)."""
        if len(passphrase) < MIN_PASSPHRASE:
            raise DomainError("weak-passphrase", min=MIN_PASSPHRASE)
        keys = self._keys()
        digest = self._invitation_hash(region, code)
        self._open_invitation(region, digest)  # before any scrypt: a wrong code costs nothing
        key = secrets.token_bytes(32)
        address = eip712.address_of(key)
        sealed = keystore.seal(key, keys._secret, self._label(region, address),
                               n=keys.settings.scrypt_n)
        now = self.domain.regions.clock()
        join = self._sign(region, key, "Join", {"member": address, "displayName": display_name})

        def before(state: State) -> None:
            row = state.one(t.invitations, code_hash=digest)
            if row is not None and row["member"] is not None:
                raise DomainError("invitation-used")
            if row is not None and row["revoked_seq"] is not None:
                raise DomainError("invitation-revoked")
            if row is None or row["expires_at"] < now:
                raise DomainError("bad-invitation")

        def after(conn: Connection) -> None:
            conn.execute(insert(t.accounts).values(
                region=region, address=address, sealed_key=json.dumps(sealed),
                passphrase_hash=_hash_passphrase(passphrase, self.scrypt_n), created_at=now))

        receipts = self.domain.service_append(
            region, "Custody", {"member": address, "invitation": digest, "held": True},
            then=[join], before=before, after=after)
        return address, receipts

    def _invitation_hash(self, region: str, code: str) -> str:
        """The hash an invitation of ``code`` was issued under: of the normalized code,
        or as invitations were hashed before (the code as typed)."""
        digest = code_hash(code)
        i = t.invitations.c
        with self.engine.connect() as conn:
            for candidate in (digest, legacy_code_hash(code)):
                if conn.execute(select(i.code_hash).where(
                        i.region == region, i.code_hash == candidate)).first() is not None:
                    return candidate
        return digest

    def login(self, region: str, who: str, passphrase: str) -> str:
        """The address of the managed member ``who`` names (member number, address, or
        the invitation code she joined with); DomainError ``bad-login`` unless the
        passphrase is the account's, ``passphrase-replaced`` when it was, before the
        office issued her a recovery code."""
        address = self.resolve(region, who)
        row = self._account(region, address) if address is not None else None
        # an unknown account costs the same scrypt as a known one: no telling them apart
        stored = row.passphrase_hash if row is not None else self._decoy
        if not _check_passphrase(passphrase, stored) or row is None:
            raise DomainError("bad-login")
        latest = self._latest_recovery(region, row.address)
        if latest is not None and latest.seq > (row.passphrase_seq if row.passphrase_seq
                                                is not None else -1):
            raise DomainError("passphrase-replaced")
        return str(row.address)

    def _latest_recovery(self, region: str, address: str) -> Any:
        r = t.recoveries.c
        with self.engine.connect() as conn:
            return conn.execute(select(t.recoveries).where(
                r.region == region, r.member == address).order_by(r.seq.desc()).limit(1)).first()

    def recover(self, region: str, code: str, passphrase: str) -> str:
        """Set a new passphrase with the recovery code the office issued (a ``Recovery``
        entry); returns the member's address. The code works once, until it expires,
        and only while it is her latest; the key and everything she did stay hers.
        DomainError ``bad-recovery`` otherwise."""
        if len(passphrase) < MIN_PASSPHRASE:
            raise DomainError("weak-passphrase", min=MIN_PASSPHRASE)
        r = t.recoveries.c
        with self.engine.connect() as conn:
            rec = conn.execute(select(t.recoveries).where(
                r.region == region, r.code_hash == code_hash(code))).first()
        if rec is None or rec.expires_at < self.domain.regions.clock():
            raise DomainError("bad-recovery")
        latest = self._latest_recovery(region, rec.member)
        account = self._account(region, rec.member)
        if latest.seq != rec.seq or account is None:
            raise DomainError("bad-recovery")
        if account.sealed_key is None:
            raise DomainError("not-managed", who=rec.member)
        new_hash = _hash_passphrase(passphrase, self.scrypt_n)
        a = t.accounts.c
        with self.engine.begin() as conn:
            done = conn.execute(update(t.accounts).where(
                a.region == region, a.address == rec.member,
                (a.passphrase_seq.is_(None)) | (a.passphrase_seq < rec.seq))
                .values(passphrase_hash=new_hash, passphrase_seq=rec.seq))
        if done.rowcount != 1:
            raise DomainError("bad-recovery")  # used already
        return str(rec.member)

    def number_of(self, region: str, address: str) -> str:
        """The member number of a member, as shown (``AMA-0042``)."""
        m = t.members.c
        with self.engine.connect() as conn:
            number = conn.execute(select(m.number).where(
                m.region == region, m.address == address)).scalar_one()
        return member_number(region, int(number))

    def resolve(self, region: str, who: str) -> str | None:
        """The address ``who`` names: a 0x address, a member number of ``region``, or
        the invitation code a member redeemed."""
        text = who.strip()
        if len(text) == 42 and text[:2].lower() == "0x":
            return text.lower()
        number = parse_member_number(region, text)
        if number is None:
            i = t.invitations.c
            with self.engine.connect() as conn:
                row = conn.execute(select(i.member).where(
                    i.region == region, i.code_hash == self._invitation_hash(region, text),
                    i.member.is_not(None))).first()
            return None if row is None else str(row[0])
        m = t.members.c
        with self.engine.connect() as conn:
            row = conn.execute(select(m.address).where(
                m.region == region, m.number == number)).first()
        return None if row is None else str(row[0])

    def _account(self, region: str, address: str) -> Any:
        a = t.accounts.c
        with self.engine.connect() as conn:
            return conn.execute(select(t.accounts).where(
                a.region == region, a.address == address)).first()

    def _key(self, region: str, address: str) -> bytes:
        row = self._account(region, address)
        if row is None or row.sealed_key is None:
            raise DomainError("not-managed", who=address)
        try:
            return keystore.unseal(json.loads(row.sealed_key), self._keys()._secret,
                                   self._label(region, address))
        except (KeyStoreError, ValueError):
            raise DomainError("no-service-key") from None

    def _sign(self, region: str, key: bytes, type_: str, fields: dict[str, Any]) -> Signed:
        mtype = MESSAGE_TYPES[type_]
        raw = {"region": region, "nonce": new_nonce(), "issuedAt": self.domain.regions.clock(),
               **fields, mtype.signer_field: eip712.address_of(key)}
        message = normalize(type_, raw)
        facts = self.domain.regions.facts(region)
        return Signed(type_, message, eip712.sign_message(key, facts.domain, mtype, message))

    def sign_for(self, region: str, address: str, type_: str, fields: dict[str, Any]) -> Signed:
        """``type_`` signed with the member's held key; ``fields`` are the message's
        fields other than region, signer, nonce and issuedAt."""
        mtype = MESSAGE_TYPES.get(type_)
        if mtype is None:
            raise DomainError("bad-message", reason=f"Unknown message type {type_!r}.")
        extra = {"region", "nonce", "issuedAt", mtype.signer_field} & set(fields)
        if extra:
            raise DomainError("bad-message",
                              reason=f"The service fills in {', '.join(sorted(extra))}.")
        return self._sign(region, self._key(region, address), type_, fields)

    def export(self, region: str, address: str, passphrase: str) -> dict[str, Any]:
        """The key as a keystore v3 JSON encrypted with ``passphrase``; the service then
        records that it no longer holds it and forgets it."""
        self.login(region, address, passphrase)
        key = self._key(region, address)
        row = self._account(region, address)

        def after(conn: Connection) -> None:
            a = t.accounts.c
            conn.execute(update(t.accounts).where(a.region == region, a.address == address)
                         .values(sealed_key=None))

        custody = self._custody(region, address)
        self.domain.service_append(
            region, "Custody", {"member": address, "invitation": custody, "held": False},
            after=after)
        del row
        work = max(self.scrypt_n * 8, 2**14)
        encrypted: dict[str, Any] = Account.encrypt(key, passphrase, kdf="scrypt",
                                                     iterations=work)
        return encrypted

    def _custody(self, region: str, address: str) -> str:
        c = t.custody.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.invitation).where(c.region == region,
                                                          c.member == address)).first()
        if row is None:
            raise DomainError("not-managed", who=address)
        return str(row[0])
