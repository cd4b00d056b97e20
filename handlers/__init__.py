"""The chat surface: one module per feature, each with ``register(application)``."""

from __future__ import annotations

from bot.context import RedPropApplication
from handlers import errors, language, locale, start


def register_all(application: RedPropApplication) -> None:
    """Add every feature's handlers; the locale goes first and the catch-alls last."""
    locale.register(application)
    start.register(application)
    language.register(application)
    errors.register(application)
