"""Alembic migrations shipped with the package; applied by ``redprop db upgrade`` and at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import bot.persistence.chat_state  # noqa: F401  (the chat state table, kept with the bot)
from models import metadata
from storage.database import ensure_sqlite_folder

MIGRATIONS = Path(__file__).parent

__all__ = ["alembic_config", "metadata", "upgrade"]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an ini file underneath: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every pending migration. Runs its own event loop: call it outside one (or in a thread)."""
    ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), revision)
