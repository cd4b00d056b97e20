"""The bot's clock: the system's, or the system's moved forward for the sandbox and tests.

With ``bot.clock_file`` set, the file holds a number of seconds to add to the system clock,
and every process of the bot (the bot, its outbox worker, the command line) reads it again
whenever it changes, so a test or the sandbox can move the whole bot's time forward: surveys,
reminders, deadlines and quarter ends then fall due as if that time had passed. Jobs still run
at their real intervals; only what "now" is moves.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_file: str | None = None
_seen: tuple[float, int] | None = None  # the file's (mtime, size) when last read
_offset = timedelta(0)


def use_clock_file(path: str | None) -> None:
    """Read the offset from ``path`` from now on (None or "": the system clock)."""
    global _file, _seen, _offset
    _file, _seen, _offset = (path or None), None, timedelta(0)


def _current_offset() -> timedelta:
    global _seen, _offset
    if _file is None:
        return _offset
    try:
        stat = os.stat(_file)
    except OSError:
        return _offset  # not written yet: no offset, or the last one read
    if (stat.st_mtime, stat.st_size) != _seen:
        try:
            with open(_file, encoding="utf-8") as text:
                _offset = timedelta(seconds=float(text.read().strip() or 0))
            _seen = (stat.st_mtime, stat.st_size)
        except (OSError, ValueError):
            pass  # half written: the next call reads it again
    return _offset


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC) + _current_offset()


def move_clock(path: str, by: timedelta) -> timedelta:
    """Move the clock kept in ``path`` forward by ``by``; returns the new offset (tests, the sandbox)."""
    try:
        with open(path, encoding="utf-8") as text:
            current = timedelta(seconds=float(text.read().strip() or 0))
    except (OSError, ValueError):
        current = timedelta(0)
    offset = current + by
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as text:
        text.write(f"{offset.total_seconds():.6f}\n")
    os.replace(temporary, path)  # readers see the old offset or the new one, never half of it
    return offset
