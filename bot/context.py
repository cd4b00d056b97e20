"""The callback context every handler receives, with the database and settings at hand."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from models.db import Database

DB_KEY = "redprop.db"
SETTINGS_KEY = "redprop.settings"


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
