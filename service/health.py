"""Whether the service's storage takes writes, for ``/v1/health``: a database that is
read-only, full, locked by another process or gone, and a data directory that can't be
written or is nearly full, are reported instead of "ok"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert

from ledger.store.sql import unavailable, write_transaction

from .domain import tables as t

LOW_SPACE = 64 * 1024 * 1024
"""Free bytes under which the data directory counts as nearly full."""


def database_state(engine: Engine, now: int) -> str:
    """``ok``, or why the database takes no write: ``busy``, ``full``, ``read-only``,
    ``connection-lost``, ``unavailable``. Writes (and commits) one row."""
    try:
        with write_transaction(engine) as conn:
            conn.execute(delete(t.health))
            conn.execute(insert(t.health).values(id=1, checked_at=now))
    except Exception as exc:  # any failure is the answer
        return unavailable(exc) or "unavailable"
    return "ok"


def files_state(data_dir: Path) -> tuple[str, int | None]:
    """``ok``, ``low`` (under :data:`LOW_SPACE` free), ``full``, ``read-only`` or
    ``unavailable`` for the data directory (private details live there), and its free
    bytes."""
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError:
        return "unavailable", None
    probe = data_dir / f".health.{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
            probe.unlink(missing_ok=True)
    except OSError as exc:
        import errno

        return {errno.ENOSPC: "full", errno.EDQUOT: "full",
                errno.EROFS: "read-only"}.get(exc.errno or 0, "unavailable"), free
    return ("low" if free < LOW_SPACE else "ok"), free


def storage(engine: Engine, data_dir: Path, now: int) -> dict[str, Any]:
    """``{"database": ..., "files": ..., "freeBytes": ...}`` (see the two functions)."""
    files, free = files_state(data_dir)
    return {"database": database_state(engine, now), "files": files, "freeBytes": free}
