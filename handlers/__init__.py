"""The chat surface: one module per feature, each with ``register(application)``."""

from __future__ import annotations

from handlers import (
    case_input,
    cases,
    draft_expiry,
    errors,
    language,
    locale,
    mycases,
    profile,
    report,
    start,
    stats,
    suggest,
    survey_view,
    surveys,
)
from handlers.context import RedPropApplication


def register_all(application: RedPropApplication) -> None:
    """Add every feature's handlers; the locale goes first and the catch-alls last."""
    register_renderers()
    locale.register(application)
    # Survey answers go before the conversations: a tap or a comment in the middle of one answers
    # the survey and leaves the conversation where it was.
    surveys.register(application)
    # Conversations go before /start and /help, so their /start and /help fallbacks can end them.
    case_input.register(application)
    profile.register(application)
    report.register(application)
    suggest.register(application)
    start.register(application)
    language.register(application)
    cases.register(application)
    mycases.register(application)
    stats.register(application)
    errors.register(application)


def register_renderers() -> None:
    """Make every outbox kind renderable, for an outbox worker that has no handlers."""
    survey_view.register_renderers()
    draft_expiry.register_renderers()
