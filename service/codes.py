"""One-time codes people are handed on paper: invitations and recovery codes.

A code is 12 characters of Crockford's base32 (digits and capitals without I, L, O, U)
in three groups, ``K7QM-3WXP-9RTD`` (60 random bits). What a person types is read
with :func:`normalize_code`: NFKC (full-width characters), capitals, no spaces or
hyphens of any kind, and Crockford's reading of look-alikes (O → 0, I and L → 1), so
``k7qm 3wxp 9rtd`` and ``Ｋ７ＱＭ－３ＷＸＰ－９ＲＴＤ`` are the same code. The log holds
only :func:`code_hash`, the SHA-256 of the normalized code; the web app computes the
same (service/static/js/codes.js).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP = 3, 4
DASHES = "-‐‑‒–—―−ーｰ－_"
_SEPARATORS = re.compile(f"[\\s{re.escape(DASHES)}]+")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code as it is printed: ``K7QM-3WXP-9RTD``."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP))
    return "-".join(chars[i:i + GROUP] for i in range(0, len(chars), GROUP))


def normalize_code(code: str) -> str:
    """The code ``code`` names, however it was typed (see the module docs)."""
    text = unicodedata.normalize("NFKC", code)
    return _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)


def display_code(code: str) -> str:
    """A normalized code of the usual length in its printed groups; others as they are."""
    plain = normalize_code(code)
    if len(plain) != GROUPS * GROUP:
        return plain
    return "-".join(plain[i:i + GROUP] for i in range(0, len(plain), GROUP))


def code_hash(code: str) -> str:
    """``0x`` + SHA-256 of the normalized code: what ``Invitation`` and ``Recovery``
    entries hold."""
    return "0x" + hashlib.sha256(normalize_code(code).encode("utf-8")).hexdigest()


def legacy_code_hash(code: str) -> str:
    """How invitations were hashed before codes were normalized (the code as typed,
    trimmed): still accepted for invitations issued then."""
    return "0x" + hashlib.sha256(code.strip().encode("utf-8")).hexdigest()
