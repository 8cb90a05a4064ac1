"""The service's chain: the configured node, the account that sends transactions, the
deployment records of the contracts, and anchoring a region through the domain.

Configuration (``service/config.py``): ``KAKAWARI_CHAIN_RPC_URL`` (or ``--rpc``) names
any EVM JSON-RPC endpoint; ``KAKAWARI_CHAIN_PRIVATE_KEY``, or an Ethereum keystore v3
file in ``KAKAWARI_CHAIN_KEYSTORE`` unlocked with the key-encryption passphrase, is
the account that pays for transactions. Without a chain the rest of the service works.

Deployment records: ``kakawari chain deploy`` writes
``<data dir>/deployments/<chainId>.json``; the committed ``contracts/deployments/*.json``
records (public networks) are read too, and the data directory's record wins. Before
use, the runtime code at a recorded address is compared with the committed artifact,
so a restarted development node (whose contracts are gone) is reported as such.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.providers import HTTPProvider

from ledger.anchoring import AnchoringError, AnchorOutcome, AnchorRecord, anchor_log
from ledger.chain import (
    ARTIFACTS_DIR,
    ChainUnavailableError,
    Deployment,
    RetryPolicy,
    Web3ChainClient,
)
from ledger.entry import origin_for
from ledger.errors import ChainError

from .config import Settings
from .keyring import passphrase

DEPLOYMENTS_DIR = ARTIFACTS_DIR.parent / "deployments"
"""The committed deployment records (public networks)."""
RECORD_DIR = "deployments"
"""Under the data directory: records written by ``kakawari chain deploy``."""
DEV_RPC = "dev"
"""The name of the in-process development chain, refused by commands."""

#: Chain ids that only development nodes use: anchors there prove nothing to others.
DEVELOPMENT_CHAINS = {
    1337: "a development chain (Ganache, Geth --dev or py-evm)",
    31337: "a development chain (anvil or Hardhat)",
}
NETWORKS = {1: "mainnet", 10: "optimism", 137: "polygon", 8453: "base", 42161: "arbitrum",
            11155111: "sepolia", 11155420: "optimism-sepolia", 84532: "base-sepolia"}

NOT_CONFIGURED = (
    "no chain configured: pass --rpc URL or set KAKAWARI_CHAIN_RPC_URL to an EVM JSON-RPC "
    "endpoint, and KAKAWARI_CHAIN_PRIVATE_KEY (or KAKAWARI_CHAIN_KEYSTORE, a keystore v3 "
    "file) for the account that sends the transactions. To try it locally, start anvil "
    "(node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil, installed by scripts/setup) "
    "and use --rpc http://127.0.0.1:8545 with a key it prints. Everything else in Kakawari "
    "works without a chain."
)
DEV_REFUSED = (
    "the in-process development chain (py-evm) lives inside one running process and its "
    "state does not survive a restart, so a command can't anchor on it: the log would "
    "record an anchor on a chain that no longer exists. Use a node instead (anvil for "
    "development) with --rpc URL."
)


class ChainSetupError(ChainError):
    """The chain is not configured or can't be used as configured; the message says
    what to do."""


# -- the node and the account ------------------------------------------------------


def rpc_url(settings: Settings, rpc: str | None) -> str:
    url = (rpc or settings.chain_rpc_url or "").strip()
    if not url:
        raise ChainSetupError(NOT_CONFIGURED)
    if url == DEV_RPC:
        raise ChainSetupError(DEV_REFUSED)
    if not url.startswith(("http://", "https://")):
        raise ChainSetupError(f"the chain RPC URL must be http:// or https://, got {url!r:.80}")
    return url


def signing_key(settings: Settings) -> str:
    """The configured transaction key (never printed)."""
    if settings.chain_private_key is not None:
        key = settings.chain_private_key.get_secret_value().strip()
        try:
            Account.from_key(key)
        except (TypeError, ValueError):
            raise ChainSetupError(
                "KAKAWARI_CHAIN_PRIVATE_KEY is not a private key (64 hex digits)"
            ) from None
        return key
    if settings.chain_keystore is not None:
        path = settings.chain_keystore
        try:
            keyfile = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ChainSetupError(f"KAKAWARI_CHAIN_KEYSTORE {path} can't be read: {exc}") from None
        secret = passphrase(settings).decode()
        try:
            return "0x" + bytes(Account.decrypt(keyfile, secret)).hex()
        except (TypeError, ValueError, KeyError):
            raise ChainSetupError(
                f"the keystore {path} can't be unlocked with the key-encryption passphrase "
                "(KAKAWARI_PASSPHRASE or the data directory's passphrase file)"
            ) from None
    raise ChainSetupError(
        "no account to send transactions: set KAKAWARI_CHAIN_PRIVATE_KEY to its key, or "
        "KAKAWARI_CHAIN_KEYSTORE to a keystore v3 file sealed with the key-encryption "
        "passphrase"
    )


def development_note(chain_id: int) -> str | None:
    """A warning for a chain id that only development nodes use."""
    what = DEVELOPMENT_CHAINS.get(chain_id)
    if what is None:
        return None
    return f"chain {chain_id} is {what}: its state does not survive a restart of the node"


@dataclass
class ChainSession:
    """A connection to the configured node, acting as one account."""

    url: str
    w3: Web3
    key: str = field(repr=False)
    chain_id: int
    retry: RetryPolicy | None = None

    def client(self, anchor: str | None = None, badge: str | None = None,
               from_block: int = 0) -> Web3ChainClient:
        return Web3ChainClient(self.w3, self.key, anchor, badge, retry=self.retry,
                               from_block=from_block)

    @property
    def address(self) -> str:
        return str(Account.from_key(self.key).address)

    @property
    def development(self) -> str | None:
        return development_note(self.chain_id)

    def code(self, address: str) -> bytes:
        """The runtime code at ``address`` (empty if none)."""
        try:
            return bytes(self.w3.eth.get_code(to_checksum_address(address)))
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise ChainUnavailableError(f"could not read the code at {address}: {exc}") from exc
        except Exception as exc:
            raise ChainError(f"could not read the code at {address}: {exc}") from exc

    def check_code(self, name: str, address: str) -> None:
        """Refuse (ChainSetupError) an address that does not run the committed contract."""
        artifact = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        expected = keccak(hexstr=artifact["deployedBytecode"])
        code = self.code(address)
        if not code:
            hint = (" (a development node that restarted has lost it)"
                    if self.development else "")
            raise ChainSetupError(
                f"there is no contract at {address} on chain {self.chain_id}{hint}; "
                "deploy with `kakawari chain deploy`"
            )
        if keccak(code) != expected:
            raise ChainSetupError(
                f"the contract at {address} on chain {self.chain_id} is not this project's "
                f"{name} (its code differs from contracts/artifacts/{name}.json)"
            )


def connect(settings: Settings, rpc: str | None, *, signing: bool = True,
            retry: RetryPolicy | None = None) -> ChainSession:
    """Connect to the configured node. Without ``signing`` (read-only commands) a
    configured key is used if there is one, else a throwaway one (calls need a sender)."""
    url = rpc_url(settings, rpc)
    if signing:
        key = signing_key(settings)
    else:
        try:
            key = signing_key(settings)
        except ChainSetupError:
            key = "0x" + secrets.token_bytes(32).hex()
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30},
                           exception_retry_configuration=None))
    chain_id = Web3ChainClient(w3, key, retry=retry).chain_id
    return ChainSession(url, w3, key, chain_id, retry)


# -- deployment records --------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentRecord:
    """A deployment record file: where the contracts of one chain live."""

    chain_id: int
    anchor: str
    badge: str
    anchor_block: int
    path: Path
    data: dict[str, Any]


def record_path(settings: Settings, chain_id: int) -> Path:
    return settings.data_dir / RECORD_DIR / f"{chain_id}.json"


def _parse_record(path: Path) -> DeploymentRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        contracts = data["contracts"]
        return DeploymentRecord(
            int(data["chainId"]),
            to_checksum_address(contracts["KakawariAnchor"]["address"]),
            to_checksum_address(contracts["RecognitionBadge"]["address"]),
            int(contracts["KakawariAnchor"].get("block", 0)),
            path,
            data,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChainSetupError(f"deployment record {path} is damaged: {exc!r:.200}") from None


def find_deployment(settings: Settings, chain_id: int) -> DeploymentRecord | None:
    """The record for ``chain_id``: the data directory's, else a committed one."""
    own = record_path(settings, chain_id)
    if own.exists():
        return _parse_record(own)
    for path in sorted(DEPLOYMENTS_DIR.glob("*.json")):
        try:
            committed_id = int(json.loads(path.read_text(encoding="utf-8"))["chainId"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if committed_id == chain_id:
            return _parse_record(path)
    return None


def anchor_client(settings: Settings, session: ChainSession) -> Web3ChainClient:
    """A client for the recorded anchor contract of the session's chain."""
    record = find_deployment(settings, session.chain_id)
    if record is None:
        raise ChainSetupError(
            f"no Kakawari contracts are recorded for chain {session.chain_id}: deploy them "
            f"with `kakawari chain deploy` (writes {record_path(settings, session.chain_id)})"
        )
    session.check_code("KakawariAnchor", record.anchor)
    return session.client(record.anchor, record.badge, from_block=record.anchor_block)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` atomically (a crash leaves the old record or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def deploy(settings: Settings, session: ChainSession, *, replace: bool = False
           ) -> tuple[Deployment, DeploymentRecord, DeploymentRecord | None]:
    """Deploy both contracts and write the data directory's record for the chain.

    Refuses (unless ``replace``) when a record already points at live contracts: a new
    anchor contract starts every log's on-chain history afresh. Returns the deployment,
    its record and the record it replaced (if any)."""
    previous = find_deployment(settings, session.chain_id)
    if previous is not None and not replace:
        try:
            session.check_code("KakawariAnchor", previous.anchor)
        except ChainSetupError:
            pass  # its contracts are gone (a restarted development node): deploy anew
        else:
            raise ChainSetupError(
                f"Kakawari contracts are already deployed on chain {session.chain_id} "
                f"(anchor {previous.anchor}, recorded in {previous.path}); a new anchor "
                "contract starts every log's on-chain history afresh. Pass --replace to "
                "deploy new ones anyway"
            )
    deployment = session.client().deploy_contracts()
    compiler = json.loads((ARTIFACTS_DIR / "KakawariAnchor.json").read_text())["compiler"]
    deployer = session.address

    def entry(name: str, address: str, block: int | None, tx: bytes | None) -> dict[str, Any]:
        code = session.code(address)
        return {"address": address, "block": block,
                "txHash": None if tx is None else "0x" + tx.hex(),
                "deployedBytecodeKeccak256": "0x" + keccak(code).hex()}

    data: dict[str, Any] = {
        "network": NETWORKS.get(session.chain_id, f"chain-{session.chain_id}"),
        "chainId": session.chain_id,
        "deployedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "deployer": deployer,
        "compiler": str(compiler["version"]).removesuffix(".Emscripten.clang"),
        "contracts": {
            "KakawariAnchor": entry("KakawariAnchor", deployment.anchor,
                                    deployment.anchor_block, deployment.anchor_tx),
            "RecognitionBadge": {
                **entry("RecognitionBadge", deployment.badge, deployment.block,
                        deployment.badge_tx),
                "admin": deployer, "minter": deployer,
            },
        },
        "logs": {},
    }
    if session.development:
        data["development"] = session.development
    path = record_path(settings, session.chain_id)
    _write_json(path, data)
    return deployment, _parse_record(path), previous


def note_registration(settings: Settings, chain_id: int, contract: str, origin: str,
                      log_id: bytes, owner: str) -> None:
    """Add a log this service registered to the data directory's record (if that
    record is the one for ``contract``); committed records are left alone."""
    path = record_path(settings, chain_id)
    if not path.exists():
        return
    record = _parse_record(path)
    if record.anchor != to_checksum_address(contract):
        return
    data = dict(record.data)
    logs = dict(data.get("logs") or {})
    logs[origin] = {"logId": "0x" + log_id.hex(), "owner": owner, "anchorers": [owner]}
    data["logs"] = logs
    _write_json(path, data)


# -- anchoring a region ---------------------------------------------------------------


def anchor_region(regions: Any, domain: Any, chain: Web3ChainClient, region: str
                  ) -> AnchorOutcome:
    """Anchor the region's latest checkpoint; the ``Anchor`` entry is appended through
    the domain's path for service-written entries, so its projections stay in step."""

    def record(rec: AnchorRecord) -> int:
        receipts = domain.service_append(region, "Anchor", rec.fields())
        return int(receipts[0].seq)

    return anchor_log(regions.store, chain, origin_for(region), record)


__all__ = [
    "DEV_REFUSED", "NOT_CONFIGURED", "AnchoringError", "ChainSession", "ChainSetupError",
    "DeploymentRecord", "anchor_client", "anchor_region", "connect", "deploy",
    "find_deployment", "note_registration", "record_path",
]


def badge_chain(settings: Settings) -> tuple[Web3ChainClient, str] | None:
    """The chain client and badge contract the server mints with, when a chain is
    configured (``KAKAWARI_CHAIN_RPC_URL``, a signing key and a deployment record);
    None when no chain is configured. Raises :class:`ChainError` when one is configured
    but can't be used (unreachable, no record, wrong code), so the operator hears of it.
    """
    if not settings.chain_rpc_url:
        return None
    session = connect(settings, None)
    client = anchor_client(settings, session)
    record = find_deployment(settings, session.chain_id)
    assert record is not None  # anchor_client refused otherwise
    session.check_code("RecognitionBadge", record.badge)
    return client, record.badge
