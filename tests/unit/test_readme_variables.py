"""The README documents every ``KAKAWARI_*`` variable the code reads (issue 12 §7)."""

from __future__ import annotations

import re

from service.config import Settings
from tests.conftest import REPO


def test_every_variable_the_code_reads_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(KAKAWARI_[A-Z_]+)`", readme))
    read = {f"KAKAWARI_{name.upper()}" for name in Settings.model_fields}
    for path in [*(REPO / "service").rglob("*.py"), *(REPO / "ledger").rglob("*.py")]:
        read |= set(re.findall(r"KAKAWARI_[A-Z][A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
    assert read - documented == set()
