"""The schema check without Alembic gives Alembic's answers.

``storage.db.is_current`` runs in every command that opens the database and at the daemon's
start; it reads the head revision from the migration scripts' lines and the stamped one from
``alembic_version`` with SQLAlchemy alone, so that those processes never import Alembic
(docs/performance.md). These tests hold it to Alembic's own reading, on both backends.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import MIGRATIONS_DIR, alembic_config, head_revision, is_current, make_engine


def alembic_head(scripts: Path) -> str | None:
    return ScriptDirectory(str(scripts)).get_current_head()


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert head_revision() == alembic_head(MIGRATIONS_DIR)


@pytest.mark.parametrize("target", [None, "0001", "0002", "head"])
def test_is_current_agrees_with_alembic_at_every_stage(
    database_url: str, target: str | None
) -> None:
    engine = make_engine(database_url)
    try:
        if target is not None:
            command.upgrade(alembic_config(engine), target)
        with engine.connect() as connection:
            stamped = MigrationContext.configure(connection).get_current_revision()
        assert is_current(engine) == (stamped == alembic_head(MIGRATIONS_DIR))
        assert is_current(engine) == (target == "head")
    finally:
        engine.dispose()


def write_scripts(folder: Path, scripts: dict[str, str]) -> Path:
    (folder / "versions").mkdir(parents=True)
    for name, text in scripts.items():
        (folder / "versions" / name).write_text(text, encoding="utf-8")
    return folder


ANNOTATED = {  # type annotations and a docstring naming the revision, as Alembic writes them
    "a.py": '"""first\n\nRevision ID: a1\n"""\nrevision: str = "a1"\ndown_revision = None\n',
    "b.py": "revision: str = 'b2'\ndown_revision: str | None = 'a1'\n",
    "__init__.py": "",
}
MERGED = {  # two branches merged: left to Alembic's own reading
    "a.py": 'revision = "a"\ndown_revision = None\n',
    "b.py": 'revision = "b"\ndown_revision = "a"\n',
    "c.py": 'revision = "c"\ndown_revision = "a"\n',
    "d.py": 'revision = "d"\ndown_revision = ("b", "c")\n',
}


@pytest.mark.parametrize(
    ("scripts", "head"), [(ANNOTATED, "b2"), (MERGED, "d")], ids=["annotated", "merge"]
)
def test_the_head_of_odd_scripts_is_alembics(
    tmp_path: Path, scripts: dict[str, str], head: str
) -> None:
    folder = write_scripts(tmp_path, scripts)
    assert head_revision(folder) == head == alembic_head(folder)
