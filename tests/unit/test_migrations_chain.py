"""The service's Alembic migrations form one line, s0001 → s0002 → …, each file named
after its revision: parallel work that adds migrations must leave exactly one head."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from service.db import MIGRATIONS


def test_migrations_are_one_numbered_line() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    line = list(reversed(list(scripts.walk_revisions())))
    assert [s.revision for s in line] == [f"s{i:04d}" for i in range(1, len(line) + 1)]
    for script in line:
        assert script.path is not None and script.path.rsplit("/", 1)[-1].startswith(
            script.revision + "_")
