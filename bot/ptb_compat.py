"""What the bot takes from python-telegram-bot beyond its public API, all in this one module.

tests/bot/test_ptb_compat.py checks each of these against the installed PTB, so an upgrade
that changes them fails there first.

- The persistence's type names (``telegram.ext._utils.types``): PTB's ``BasePersistence``
  methods are annotated with them, and PTB exports them nowhere public.
- Time periods as :class:`~datetime.timedelta`: PTB 22 warns whenever a ``RetryAfter`` is made
  (its constructor reads its own ``retry_after``) unless ``PTB_TIMEDELTA`` opts in to the
  ``timedelta`` that PTB 23 will return anyway. The bot reads no other time period.
"""

from __future__ import annotations

import os
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

__all__ = ["CDCData", "ConversationDict", "ConversationKey", "retry_seconds", "use_timedelta_periods"]


def use_timedelta_periods() -> None:
    """Opt in to PTB's ``timedelta`` time periods for this process (and the processes it starts)."""
    os.environ["PTB_TIMEDELTA"] = "true"


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked to wait, whether PTB gives an int (its old way) or a timedelta."""
    value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
