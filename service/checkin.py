"""Rotating check-in codes for a quest's check-in window (issue 14).

While a ``CheckInWindow`` is open, the organiser's phone shows a QR code of a link that
carries a short code. The code is an HMAC of the window (quest and the entry that
opened it) and the current time step, under a key only the server holds (derived from
the region's service key), so it changes every :data:`STEP` seconds and a photo sent
to someone at home stops working within two steps. The code is checked when the
participant records the activity; it is not written to the log — what the log holds
is the participant's signed claim and, later, the organiser's signed review of it.

Pure functions: time and key are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

STEP = 20
"""Seconds a code is shown before the next one."""
ACCEPTED_STEPS = 2
"""A code is accepted during its own step and the next one (a scan near the end of a
step still works)."""


def window_key(service_key: bytes) -> bytes:
    """The server's check-in key for a region, derived from its service key."""
    return hashlib.sha256(b"kakawari check-in codes\n" + service_key).digest()


def code_at(key: bytes, quest: str, window_seq: int, now: int) -> str:
    """The code shown at ``now`` for the window opened by entry ``window_seq``."""
    return _code(key, quest, window_seq, now // STEP)


def _code(key: bytes, quest: str, window_seq: int, step: int) -> str:
    mac = hmac.new(key, f"{quest}\n{window_seq}\n{step}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().rstrip("=")


def expires_at(now: int) -> int:
    """When the code shown at ``now`` stops being shown (it is accepted a step longer)."""
    return (now // STEP + 1) * STEP


def is_valid(key: bytes, quest: str, window_seq: int, now: int, code: str) -> bool:
    """Whether ``code`` is the code of this window at ``now`` or one step before."""
    given = code.strip().upper().encode("utf-8", "replace")  # any text a link may carry
    step = now // STEP
    return any(hmac.compare_digest(given, _code(key, quest, window_seq, step - back).encode())
               for back in range(ACCEPTED_STEPS))
