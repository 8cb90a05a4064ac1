"""What goes on the paper an office hands a member: the link that carries her code,
and that link as a QR code (segno), so she types only her name and passphrase."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno

from .codes import display_code

KINDS = {"invitation": "signin", "recovery": "recover"}
"""Kinds of card and the web app's view their link opens."""


def card_link(base_url: str, kind: str, region: str, code: str) -> str:
    """``<base>/#/<view>?region=<region>&code=<code>`` for the web app."""
    view = KINDS[kind]
    return (f"{base_url.rstrip('/')}/#/{view}?region={quote(region, safe='')}"
            f"&code={quote(display_code(code), safe='-')}")


def qr_svg(text: str, *, scale: int = 6) -> str:
    """``text`` as a QR code (error correction M), an SVG document without XML header."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True,
        title="QR", dark="#000", light="#fff")
    return out.getvalue().decode("ascii")
