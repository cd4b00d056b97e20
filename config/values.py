"""The kinds of value config.toml holds (durations, local times, per-category tables) and the
base of every section; shared by config/settings.py and config/governance.py."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from models.cases.categories import DEFAULT, ReportCategory

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: object) -> timedelta:
    """Read a duration written like ``30s``, ``15m``, ``48h`` or ``7d``."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    raise ValueError("a duration such as 30s, 15m, 48h or 7d")


def format_duration(value: timedelta) -> str:
    """Write a duration back in the largest unit that divides it."""
    seconds = int(value.total_seconds())
    for suffix, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{suffix}"
    return f"{seconds}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def category_durations(defaults: dict[str, str]) -> Any:
    return Field(default_factory=lambda: {key: parse_duration(value) for key, value in defaults.items()})


CLOCK_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")
CLOCK_RANGE = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def per_category(value: object) -> object:
    """A single duration means "this for every category" (handy as REDPROP_SURVEYS__DELAY=2s)."""
    if isinstance(value, str):
        return {"default": value}
    return value


def known_categories(value: dict[str, Any]) -> dict[str, Any]:
    """A per-category table names only report categories and has a default."""
    allowed = {category.value for category in ReportCategory} | {"default"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        choices = ", ".join(sorted(allowed))
        raise ValueError(f"unknown category {unknown[0]!r}; use one of {choices}")
    if DEFAULT not in value:
        raise ValueError("a default duration is required")
    return value


def clock_range(value: str) -> str:
    """Local hours such as 21:00-08:00, or empty for none."""
    if value.strip() and not CLOCK_RANGE.match(value):
        raise ValueError("a range of local times such as 21:00-08:00, or empty for none")
    return value.strip()


def quiet_range(value: str) -> tuple[time, time] | None:
    match = CLOCK_RANGE.match(value)
    if match is None:
        return None
    hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
    return time(hour1, minute1), time(hour2, minute2)
