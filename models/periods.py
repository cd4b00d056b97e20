"""Periods people name: a quarter (``2026Q3``), a month (``2026-09``) or days (``FROM..TO``).

Each runs from local midnight to local midnight in the street's time zone and is handed to the
database in UTC. Years outside 2000–2100 are refused, so no date arithmetic overflows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from models.base import N_
from models.refusal import Refused

BAD_PERIOD = N_(
    "Write the period as a quarter (2026Q3), a month (2026-09) or FROM..TO (2026-07-01..2026-09-30)."
)
BAD_QUARTER = N_("Write the quarter like 2026Q3: a year from 2000 to 2100, Q, and 1 to 4.")
FIRST_YEAR, LAST_YEAR = 2000, 2100

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The start of ``day`` in ``tz``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, e.g. ``Quarter(2026, 3)``, written ``2026Q3``."""

    year: int
    number: int  # 1 to 4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026Q3`` (or ``2026q3``); anything else, or a year outside 2000–2100, is refused."""
        match = _QUARTER.match(text.strip())
        if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise Refused(BAD_QUARTER)
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: datetime, tz: tzinfo) -> Quarter:
        """The quarter ``moment`` falls in, in the time zone ``tz``."""
        local = moment.astimezone(tz)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year, self.number - 1) if self.number > 1 else Quarter(self.year - 1, 4)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year, self.number + 1) if self.number < 4 else Quarter(self.year + 1, 1)

    def days(self) -> tuple[date, date]:
        """The first day of the quarter and the first day after it."""
        return _month_start(self.year, 3 * self.number - 2), _month_start(self.year, 3 * self.number + 1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """``[start, end)`` from local midnight to local midnight, in UTC."""
        first, after = self.days()
        return local_midnight(first, tz), local_midnight(after, tz)


def parse_period(text: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """``2026Q3``, ``2026-09`` or ``2026-07-01..2026-09-30`` (both days included) → ``[start, end)``
    from local midnight to local midnight, in UTC."""
    text = text.strip()
    try:
        if match := _QUARTER.match(text):
            first, after = Quarter(int(match.group(1)), int(match.group(2))).days()
        elif match := _MONTH.match(text):
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12:
                raise Refused(BAD_PERIOD)
            first, after = _month_start(year, month), _month_start(year, month + 1)
        elif match := _RANGE.match(text):
            first, last = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
            if not FIRST_YEAR <= last.year <= LAST_YEAR:  # before the day after it is reckoned
                raise Refused(BAD_PERIOD)
            after = last + timedelta(days=1)
        else:
            raise Refused(BAD_PERIOD)
    except ValueError:  # e.g. 2026-02-30
        raise Refused(BAD_PERIOD) from None
    if after <= first or first.year < FIRST_YEAR or after.year > LAST_YEAR + 1:
        raise Refused(BAD_PERIOD)
    return local_midnight(first, tz), local_midnight(after, tz)
