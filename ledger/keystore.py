"""Sealing secret keys at rest: scrypt key derivation and AES-256-GCM.

A sealed key is a small JSON object::

    {"kakawari-sealed": 1, "label": "...", "kdf": {"name": "scrypt", "n": 32768,
     "r": 8, "p": 1, "salt": "<b64>"}, "nonce": "<b64>", "ciphertext": "<b64>"}

The label names what the key is for (``kakawari/ama checkpoint``) and is bound to the
ciphertext as associated data, together with the KDF parameters, so a sealed file
can't be swapped for another key's or opened with weakened parameters. The
passphrase is passed in; this module reads no environment and no files.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .canonical import canonical_bytes
from .errors import KeyStoreError

FORMAT = 1
DEFAULT_SCRYPT_N = 2**15
MIN_SCRYPT_N = 2**10
MAX_SCRYPT_N = 2**20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (TypeError, ValueError) as exc:
        raise KeyStoreError(f"sealed key: {what} is not base64") from exc


def _derive(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not passphrase:
        raise KeyStoreError("the key-encryption passphrase is empty")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _aad(label: str, kdf: dict[str, Any]) -> bytes:
    return canonical_bytes({"kakawari-sealed": FORMAT, "label": label, "kdf": kdf})


def seal(
    secret: bytes, passphrase: bytes, label: str, *, n: int = DEFAULT_SCRYPT_N
) -> dict[str, Any]:
    """Encrypt ``secret`` under ``passphrase``; returns the JSON-ready sealed object."""
    if not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N or n & (n - 1):
        raise KeyStoreError(f"scrypt n must be a power of two in [{MIN_SCRYPT_N}, {MAX_SCRYPT_N}]")
    salt = os.urandom(16)
    kdf = {"name": "scrypt", "n": n, "r": 8, "p": 1, "salt": _b64(salt)}
    key = _derive(passphrase, salt, n, 8, 1)
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, secret, _aad(label, kdf))
    return {
        "kakawari-sealed": FORMAT,
        "label": label,
        "kdf": kdf,
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }


def unseal(sealed: Any, passphrase: bytes, label: str) -> bytes:
    """Decrypt a sealed object made by :func:`seal` for the same ``label``.

    Raises :class:`KeyStoreError` for a wrong passphrase, a different label, damaged
    data or parameters outside the accepted range.
    """
    if not isinstance(sealed, dict) or sealed.get("kakawari-sealed") != FORMAT:
        raise KeyStoreError("not a Kakawari sealed key (format 1)")
    if sealed.get("label") != label:
        raise KeyStoreError(f"sealed key is for {sealed.get('label')!r}, expected {label!r}")
    kdf = sealed.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise KeyStoreError("sealed key: unsupported key derivation")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if not (isinstance(n, int) and MIN_SCRYPT_N <= n <= MAX_SCRYPT_N and not n & (n - 1)):
        raise KeyStoreError("sealed key: scrypt n out of range")
    if r != 8 or p != 1:
        raise KeyStoreError("sealed key: unsupported scrypt r/p")
    salt = _unb64(kdf.get("salt"), "salt")
    nonce = _unb64(sealed.get("nonce"), "nonce")
    ciphertext = _unb64(sealed.get("ciphertext"), "ciphertext")
    if len(nonce) != 12 or len(salt) < 16:
        raise KeyStoreError("sealed key: bad nonce or salt length")
    key = _derive(passphrase, salt, n, r, p)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _aad(label, kdf))
    except InvalidTag:
        raise KeyStoreError(
            f"can't open the {label} key: wrong passphrase, or the key file is damaged"
        ) from None
