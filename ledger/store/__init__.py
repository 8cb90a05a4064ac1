"""Storage of logs: entries, complete-subtree hashes and signed checkpoints.

- :class:`LogStore` (``base``): the interface, with every read, proof and check built
  on a few primitives;
- :class:`MemoryStore` (``memory``): in memory, for unit tests;
- :class:`SqlStore` / :func:`open_store` (``sql``): SQLite or PostgreSQL via SQLAlchemy,
  schema by Alembic migrations, append-only enforced by triggers.
"""

from .base import (
    AppendTx,
    CheckpointSigner,
    LogInfo,
    LogStore,
    NoteVerifier,
    StoredCheckpoint,
)
from .memory import MemoryStore

__all__ = [
    "AppendTx",
    "CheckpointSigner",
    "LogInfo",
    "LogStore",
    "MemoryStore",
    "NoteVerifier",
    "StoredCheckpoint",
]
