"""Alembic is the only way a schema is created (tests included)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from .db import ensure_sqlite_directory, sync_url


def migrations_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_migrations"  # wheel installs (see pyproject force-include)
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "migrations"  # source checkout / editable install


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url), revision)
