"""The web app's one stylesheet stays well-formed: a lost ``}`` (as a merge once left
after the KPI page's ``@media print``) silently moves every later rule into print
only, and the phone's bottom bar, member number and certificate lose their styles."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).parents[2] / "service" / "static" / "app.css"


def test_every_block_of_the_stylesheet_is_closed_where_it_should_be() -> None:
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "''", text)
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for ch in line:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, f"app.css:{number}: a '}}' closes nothing"
        # rules at the top level start in column 0; nested ones are indented
        if line.startswith((".", "#", "@", ":", "[", "*")) and "{" in line:
            assert depth <= 1 or line.startswith("@"), f"app.css:{number} is nested unawares"
    assert depth == 0, f"app.css ends with {depth} block(s) open"
