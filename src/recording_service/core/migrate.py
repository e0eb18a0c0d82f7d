"""Alembic is the only way a schema is created (tests included).

Alembic is imported only when migrating: a server process runs its migrations in a child process
(`upgrade_in_child`), so it never carries alembic, the migration modules or what they import.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .child import ChildFailed, call_in_child, call_in_child_async
from .db import ensure_sqlite_directory, sync_url

if TYPE_CHECKING:
    from alembic.config import Config


def migrations_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_migrations"  # wheel installs (see pyproject force-include)
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "migrations"  # source checkout / editable install


def alembic_config(database_url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url), revision)


def upgrade_in_child(database_url: str) -> None:
    """`upgrade` in a child Python process: the caller (a long-running server) keeps none of the memory
    migrating takes (alembic, every migration module and what a data migration imports: ~60 MB)."""
    # The URL (it may hold a password) goes by the environment, not the command line others can list.
    call_in_child("recording_service.core.migrate.upgrade_from_environment", env={"RECORDING_MIGRATE_URL": database_url})


def upgrade_from_environment() -> None:
    upgrade(os.environ["RECORDING_MIGRATE_URL"])


@dataclass(frozen=True)
class Lineage:
    """The code's migrations: its head, the revisions on the head's line (head included) and every revision it knows."""

    head: str
    line: frozenset[str]
    known: frozenset[str]


def lineage() -> Lineage:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = scripts.get_current_head()
    assert head is not None  # the package ships its migrations
    return Lineage(
        head,
        frozenset(rev.revision for rev in scripts.iterate_revisions(head, "base")),
        frozenset(rev.revision for rev in scripts.walk_revisions()),
    )


async def lineage_in_child() -> Lineage:
    """`lineage` read by a child process, for the same reason as `upgrade_in_child`: a server that only asks which
    revisions its code knows (readiness) need not carry alembic (~10 MB)."""
    try:
        found = await call_in_child_async("recording_service.core.migrate.lineage_as_json")
    except ChildFailed as exc:
        raise RuntimeError(f"could not read the code's migrations: {exc}") from None
    return Lineage(found["head"], frozenset(found["line"]), frozenset(found["known"]))


def lineage_as_json() -> dict[str, Any]:
    found = lineage()
    return {"head": found.head, "line": sorted(found.line), "known": sorted(found.known)}
