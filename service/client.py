"""A small client of the Kakawari HTTP API that signs locally.

The member's key stays on their machine, in an Ethereum keystore v3 file (scrypt,
encrypted with their passphrase; any wallet can import it). Messages are signed with
the EIP-712 domain the server reports for the region (``GET /v1/typed-data``).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from ledger import eip712
from ledger.messages import MESSAGE_TYPES

KEYSTORE_WORK = 2**16  # scrypt n of new key files: ~0.2 s to open


class ClientError(Exception):
    """The server refused (its problem detail is the message) or could not be reached."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kakawari" / "key.json"


def save_key(path: Path, key: bytes, passphrase: str) -> str:
    """Write ``key`` as a keystore v3 file (mode 0600, never overwriting); its address."""
    encrypted = Account.encrypt(key, passphrase, kdf="scrypt", iterations=KEYSTORE_WORK)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(encrypted, f)
    return eip712.address_of(key)


def load_key(path: Path, passphrase: str) -> bytes:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ClientError(f"no key at {path}; create one with: kakawari key new") from None
    except ValueError:
        raise ClientError(f"{path} is not a keystore JSON file") from None
    try:
        return bytes(Account.decrypt(data, passphrase))
    except ValueError:
        raise ClientError(f"wrong passphrase for {path}") from None


@dataclass
class Client:
    server: str
    region: str
    key: bytes | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.rstrip("/"), timeout=self.timeout)
        self._domain: eip712.Domain | None = None
        self.token: str | None = None

    @property
    def address(self) -> str:
        if self.key is None:
            raise ClientError("this command needs your key (--key)")
        return eip712.address_of(self.key)

    def _check(self, r: httpx.Response) -> Any:
        if r.status_code >= 400:
            try:
                problem = r.json()
                raise ClientError(f"{problem.get('title')}: {problem.get('detail')}",
                                  r.status_code, problem.get("code"))
            except ValueError:
                raise ClientError(f"HTTP {r.status_code}: {r.text[:200]}", r.status_code) from None
        return r.json() if r.content else None

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self.http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"can't reach {self.server}: {exc}") from None
        return self._check(r)

    def domain(self) -> eip712.Domain:
        if self._domain is None:
            typed = self.request("GET", "/v1/typed-data", params={"region": self.region})
            self._domain = eip712.Domain(int(typed["domain"]["chainId"]))
        return self._domain

    def sign(self, type_: str, fields: dict[str, Any]) -> dict[str, Any]:
        """``{"message", "signature"}`` of ``type_`` with region, signer, nonce and
        issuedAt filled in."""
        import time

        assert self.key is not None
        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(mtype, {
            "region": self.region, "nonce": secrets.randbits(53), "issuedAt": int(time.time()),
            mtype.signer_field: self.address, **fields})
        signature = eip712.sign_message(self.key, self.domain(), mtype, message)
        return {"message": message, "signature": signature}

    def submit(self, path: str, type_: str, fields: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = self.request("POST", f"/v1/regions/{self.region}{path}",
                                           json=self.sign(type_, fields))
        return out

    def sign_in(self) -> str:
        """SIWE (EIP-4361) sign-in; keeps and returns the bearer token."""
        from datetime import UTC, datetime

        from eth_account.messages import encode_defunct

        nonce = self.request("GET", "/v1/auth/nonce")["nonce"]
        host = httpx.URL(self.server).netloc.decode()
        checksummed = Account.from_key(self.key).address
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = (f"{host} wants you to sign in with your Ethereum account:\n{checksummed}\n\n"
                f"Sign in to Kakawari\n\nURI: {self.server}\nVersion: 1\n"
                f"Chain ID: {self.domain().chain_id}\nNonce: {nonce}\nIssued At: {now}")
        signed = Account.sign_message(encode_defunct(text=text), self.key)
        sig = signed.signature.hex()
        out = self.request("POST", "/v1/auth/siwe",
                           json={"message": text, "signature": "0x" + sig.removeprefix("0x")})
        self.token = str(out["token"])
        return self.token
