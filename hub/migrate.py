"""Apply Alembic migrations from code (``hub db upgrade`` and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from hub.settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision``; must run outside an event loop."""
    command.upgrade(alembic_config(database_url), revision)
