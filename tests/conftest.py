"""Shared test configuration.

Tests that need PostgreSQL or anvil are marked; when CI=true they must not skip, so a
missing service fails the run instead of hiding it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: machines here are shared and a slow example is not a failed
# one (speed is measured by scripts/bench*, never asserted in tests).
settings.register_profile("kakawari", deadline=None)
settings.load_profile("kakawari")

REPO = Path(__file__).resolve().parents[1]
SHARED_VECTORS = REPO.parent / "shared" / "vectors"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail in CI, where every test must run."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)
