"""Regions: creating one, and appending signed entries to its log.

This is the one place that turns a signed message into a log entry: it checks the
message's type and signature (the same fast path the verifier uses), builds the entry
at the next sequence number inside the store's append lock, and has the region's
checkpoint key sign the new tree head in the same transaction. The recognition rules
of ``service/`` sit on top of :meth:`Regions.append`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ledger import eip712
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.cosignature import Cosigner, format_cosigner_vkey
from ledger.entry import Entry, origin_for
from ledger.errors import EntryError, LedgerError, SignatureError
from ledger.messages import MESSAGE_TYPES
from ledger.note import Signer, new_signer_keys, parse_skey, parse_vkey
from ledger.store import AppendTx, LogStore
from ledger.verify import GENESIS_TYPE, RegionFacts

from .keyring import Keyring, KeyringError

Clock = Callable[[], int]


def witness_name(region: str) -> str:
    """The key name of a region's witness: ``kakawari/<region>/witness``."""
    return f"{origin_for(region)}/witness"


def verify_note(note: str, vkey: str) -> tuple[int, bytes]:
    """The store's checkpoint check: the note is signed by ``vkey``; (size, root)."""
    cp = open_checkpoint(note, parse_vkey(vkey))
    return cp.size, cp.root


def new_nonce() -> int:
    """A random nonce for service-written messages (53 bits: exact in JSON)."""
    return secrets.randbits(53)


@dataclass(frozen=True)
class Signed:
    """A typed message and its signature, as a client submits it."""

    type: str
    message: dict[str, Any]
    signature: str


class RegionError(Exception):
    """A region operation the operator asked for can't be done (exists, unknown...)."""


@dataclass(frozen=True)
class CreatedRegion:
    region: str
    origin: str
    vkey: str
    service: str
    admin: str
    admin_key_created: bool
    witness_vkey: str


class Regions:
    """The regions of one store and data directory."""

    def __init__(self, store: LogStore, keyring: Keyring | None, clock: Clock | None = None):
        self.store = store
        self.keyring = keyring
        self.clock: Clock = clock or (lambda: int(time.time()))
        self._facts: dict[str, RegionFacts] = {}
        self._signers: dict[str, Callable[[int, bytes], str]] = {}
        self._service_keys: dict[str, bytes] = {}
        self._cosigners: dict[str, Cosigner] = {}

    # -- keys ---------------------------------------------------------------------------

    def _keys(self) -> Keyring:
        if self.keyring is None:
            raise KeyringError("this command needs the region keys (no keyring opened)")
        return self.keyring

    def checkpoint_signer(self, region: str) -> Callable[[int, bytes], str]:
        signer = self._signers.get(region)
        if signer is None:
            note_signer = parse_skey(self._keys().load(region, "checkpoint").decode())
            origin = origin_for(region)

            def signer(size: int, root: bytes, _s: Signer = note_signer) -> str:
                return sign_checkpoint(Checkpoint(origin, size, root), _s)

            self._signers[region] = signer
        return signer

    def service_key(self, region: str) -> bytes:
        key = self._service_keys.get(region)
        if key is None:
            key = self._service_keys[region] = self._keys().load(region, "service")
        return key

    def witness_cosigner(self, region: str) -> Cosigner:
        """The region's witness key (C2SP cosignature/v1, Ed25519), named
        ``kakawari/<region>/witness``. A region created before witnessing existed gets
        its key (sealed like the others) the first time it is asked for."""
        cosigner = self._cosigners.get(region)
        if cosigner is None:
            keys = self._keys()
            if not keys.has(region, "witness"):
                keys.store(region, "witness", secrets.token_bytes(32))
            cosigner = Cosigner(witness_name(region), keys.load(region, "witness"))
            keys.write_public(region, "witness.vkey", format_cosigner_vkey(cosigner.verifier))
            self._cosigners[region] = cosigner
        return cosigner

    def admin_key(self, region: str) -> bytes:
        """The operator's admin key when ``init`` created one (KeyringError otherwise)."""
        return self._keys().load(region, "admin")

    # -- regions ------------------------------------------------------------------------

    def exists(self, region: str) -> bool:
        return origin_for(region) in self.store.logs()

    def create(self, region: str, name: str, admin: str | None = None) -> CreatedRegion:
        """Create the region's keys and log, with a first ``Region`` entry naming its admin.

        Without ``admin``, an admin key is created, sealed in the keyring, and its
        address returned. The chain id of the signing domain is fixed here for good.
        """
        keys = self._keys()
        origin = origin_for(region)
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise RegionError("a region name is 1-100 characters")
        if self.exists(region) or keys.has(region, "checkpoint"):
            raise RegionError(f"region {region!r} already exists")
        admin_key = None
        if admin is None:
            admin_key = secrets.token_bytes(32)
            admin = eip712.address_of(admin_key)
        skey, vkey = new_signer_keys(origin)
        service_key = secrets.token_bytes(32)
        keys.store(region, "checkpoint", skey.encode())
        keys.store(region, "service", service_key)
        if admin_key is not None:
            keys.store(region, "admin", admin_key)
        witness_seed = secrets.token_bytes(32)
        keys.store(region, "witness", witness_seed)
        self.store.create_log(origin, vkey)
        service = eip712.address_of(service_key)
        message = {
            "region": region,
            "name": name.strip(),
            "chainId": keys.settings.chain_id,
            "service": service,
            "admin": admin,
            "checkpointKey": vkey,
            "nonce": new_nonce(),
            "issuedAt": self.clock(),
        }
        domain = eip712.Domain(chain_id=keys.settings.chain_id)
        mtype = MESSAGE_TYPES[GENESIS_TYPE]
        message = eip712.normalize_message(mtype, message)
        signature = eip712.sign_message(service_key, domain, mtype, message)
        self._append(region, [Signed(GENESIS_TYPE, message, signature)], domain)
        cosigner = self._cosigners[region] = Cosigner(witness_name(region), witness_seed)
        witness = format_cosigner_vkey(cosigner.verifier)
        keys.write_public(region, "witness.vkey", witness)
        return CreatedRegion(
            region, origin, vkey, service, str(message["admin"]), admin_key is not None, witness
        )

    def facts(self, region: str) -> RegionFacts:
        """What the region's first entry fixed (chain id, service key, admin...)."""
        facts = self._facts.get(region)
        if facts is None:
            rows = self.store.entries(origin_for(region), 0, 1)
            if not rows:
                raise RegionError(f"region {region!r} has no first entry")
            m = Entry.from_bytes(rows[0][1]).message
            facts = RegionFacts(
                m["region"], m["name"], m["chainId"], m["service"], m["admin"],
                m["checkpointKey"],
            )
            self._facts[region] = facts
        return facts

    # -- appending ----------------------------------------------------------------------

    def service_signed(self, region: str, type_: str, fields: dict[str, Any]) -> Signed:
        """A message of a service-written type, signed with the region's service key."""
        facts = self.facts(region)
        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(
            mtype,
            {"region": region, "service": facts.service, "nonce": new_nonce(),
             "issuedAt": self.clock(), **fields},
        )
        signature = eip712.sign_message(self.service_key(region), facts.domain, mtype, message)
        return Signed(type_, message, signature)

    def append(self, region: str, items: Sequence[Signed]) -> list[tuple[int, bytes]]:
        """Append signed messages as consecutive entries, atomically, and sign the new
        checkpoint. Raises :class:`LedgerError` (signature, type, size) for any bad item
        and appends nothing then."""
        with self.transaction(region) as tx:
            return [tx.append(item) for item in items]

    @contextmanager
    def transaction(self, region: str) -> Iterator[RegionTx]:
        """``with regions.transaction(region) as tx:`` holds the log's append lock.

        Inside, rules can read the current state through ``tx.connection`` (the SQL
        store's transaction connection; None for the in-memory store), append with
        ``tx.append(signed)``, and write projection rows through the same connection:
        everything commits together with the new signed checkpoint, or nothing does.
        """
        facts = self.facts(region)
        with self._transaction(region, facts.domain) as tx:
            yield tx

    @contextmanager
    def _transaction(self, region: str, domain: eip712.Domain) -> Iterator[RegionTx]:
        origin = origin_for(region)
        with self.store.appending(origin, self.checkpoint_signer(region)) as tx:
            yield RegionTx(origin, tx, domain, self.clock())

    def _append(
        self, region: str, items: Sequence[Signed], domain: eip712.Domain
    ) -> list[tuple[int, bytes]]:
        with self._transaction(region, domain) as tx:
            return [tx.append(item) for item in items]


class RegionTx:
    """One append transaction on a region's log; see :meth:`Regions.transaction`."""

    def __init__(self, origin: str, tx: AppendTx, domain: eip712.Domain, now: int) -> None:
        self.origin, self.domain, self.now = origin, domain, now
        self._tx = tx
        self.entries: list[Entry] = []

    @property
    def connection(self) -> Any:
        return getattr(self._tx, "connection", None)

    @property
    def size(self) -> int:
        return self._tx.size

    def append(self, item: Signed) -> tuple[int, bytes]:
        """Check ``item``'s type and signature and append it as the next entry."""
        _, signer = _check(item, self.domain)
        entry = Entry(self.origin, self._tx.size, self.now, item.type, signer, item.message,
                      item.signature)
        result = self._tx.append(entry.to_bytes())
        self.entries.append(entry)
        return result


def _check(item: Signed, domain: eip712.Domain) -> tuple[Signed, str]:
    """The item's type is known, its message canonical and signed by its signer field."""
    mtype = MESSAGE_TYPES.get(item.type)
    if mtype is None:
        raise EntryError(f"unknown message type {item.type!r}")
    eip712.check_canonical(mtype, item.message)
    signer = item.message[mtype.signer_field]
    digest = eip712.signing_digest(domain, mtype, item.message)
    if eip712.recover_signer(digest, item.signature) != signer:
        raise SignatureError(f"the signature is not by the {mtype.signer_field} {signer}")
    return item, signer


__all__ = [
    "CreatedRegion",
    "LedgerError",
    "RegionError",
    "RegionTx",
    "Regions",
    "Signed",
    "verify_note",
    "witness_name",
]
