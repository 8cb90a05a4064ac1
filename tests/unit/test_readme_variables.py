"""The README documents every ``KAKAWARI_*`` variable the code reads (issue 12 §7)."""

from __future__ import annotations

import re

from service.config import Settings
from tests.conftest import REPO


def test_every_variable_the_code_reads_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(KAKAWARI_[A-Z_]+)`", readme))
    read = {f"KAKAWARI_{name.upper()}" for name in Settings.model_fields}
    families = set()  # a docstring's KAKAWARI_SMTP_*: some of them must be documented
    for path in [*(REPO / "service").rglob("*.py"), *(REPO / "ledger").rglob("*.py")]:
        for name, star in re.findall(r"(KAKAWARI_[A-Z][A-Z_]*[A-Z])(_\*)?",
                                     path.read_text(encoding="utf-8")):
            (families if star else read).add(name)
    assert read - documented == set()
    assert {f for f in families if not any(d.startswith(f + "_") for d in documented)} == set()
