"""The callback context every handler receives, with the database and settings at hand; the outbox wake-up."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from config.settings import Settings
from storage.database import Database

DB_KEY = "redprop.db"
SETTINGS_KEY = "redprop.settings"
OUTBOX_KEY = "redprop.outbox"


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def db(self) -> Database:
        database: Database = self.application.bot_data[DB_KEY]
        return database

    @property
    def settings(self) -> Settings:
        settings: Settings = self.application.bot_data[SETTINGS_KEY]
        return settings


RedPropApplication = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]


def wake_outbox(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Tell the running outbox sender, if any, that rows were just committed."""
    sender = application.bot_data.get(OUTBOX_KEY)
    if sender is not None:
        sender.wake()
