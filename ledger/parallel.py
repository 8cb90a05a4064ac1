"""Checking entries in worker processes, for the verifiers of a whole log.

The per-entry checks (:func:`ledger.verify.check_entry_bytes`: parsing, canonical form,
EIP-712 hashing, signature recovery) depend on nothing but the entry and the facts of
the log's first entry, so they can run on every CPU while one process folds the tree
and does what must be done in order. Both ``kakawari verify``
(:mod:`ledger.integrity`) and ``kakawari audit verify`` (:mod:`ledger.audit.verifier`)
use this module.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

from .verify import RegionFacts, check_entry_bytes

__all__ = ["PARALLEL_MIN_ENTRIES", "check_chunk", "default_jobs", "fork_is_safe", "process_pool"]

PARALLEL_MIN_ENTRIES = 20_000
"""Below this many entries, starting worker processes costs more than it saves."""


def default_jobs() -> int:
    """Worker processes for verification: one per CPU, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))


def fork_is_safe() -> bool:
    """Whether this process may fork: it runs no other thread (a lock another thread
    holds at the fork would stay held in the child) and the platform can."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes: forked when :func:`fork_is_safe` (cheap, nothing
    imported again), spawned otherwise."""
    context = multiprocessing.get_context("fork" if fork_is_safe() else "spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=gc.disable)


# Workers only check entries: what they allocate holds no reference cycles and is freed
# by reference counting, so the cyclic garbage collector is switched off in them.


def check_chunk(origin: str, facts: RegionFacts, start: int,
                datas: list[bytes]) -> list[bytes]:
    """Worker: check entries ``start, start+1, ...`` of ``origin``; raises
    :class:`~ledger.errors.VerificationError` naming the first bad one. Returns their
    signing digests (:attr:`~ledger.entry.Entry.digest`)."""
    digests = []
    for offset, data in enumerate(datas):
        digest = check_entry_bytes(origin, start + offset, data, facts)[0].digest
        assert digest is not None  # check_entry sets it
        digests.append(digest)
    return digests
