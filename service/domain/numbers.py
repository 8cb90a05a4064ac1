"""Member numbers: short, region-prefixed numbers people can read out and type.

A member's number is her place in the order of the region's ``Join`` entries (the
first member to join is 1), so a replay of the log gives every member the same number
the live service gave. It is written ``<REGION>-<nnnn>`` (``AMA-0042``), at least four
digits. :func:`parse_member_number` reads what a person types: any case, full-width
characters (NFKC), with or without the prefix, hyphens or spaces (``ama 42``, ``42``).
"""

from __future__ import annotations

import re
import unicodedata

DASHES = "-‐‑‒–—―−ーｰ－"
_SEPARATORS = re.compile(f"[\\s{re.escape(DASHES)}]+")


def member_number(region: str, number: int) -> str:
    """``number`` as it is shown: ``AMA-0042``."""
    return f"{region.upper()}-{number:04d}"


def parse_member_number(region: str, text: str) -> int | None:
    """The number ``text`` names in ``region``, or None when it names none."""
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    prefix = _SEPARATORS.sub("", region.upper())
    if plain.startswith(prefix) and not plain[len(prefix):][:1].isalpha():
        plain = plain[len(prefix):]
    if not plain.isascii() or not plain.isdigit() or len(plain) > 9:
        return None
    number = int(plain)
    return number if number >= 1 else None
