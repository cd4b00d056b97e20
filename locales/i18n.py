"""Translations and local formatting.

The catalogs are the ``.po`` files under ``locales/``; they are compiled in memory at start,
so a fresh checkout needs no build step. The active locale lives in a context variable that
:func:`use_locale` sets for each update (and each scheduled message), so one user's language
never leaks into another's reply.
"""

from __future__ import annotations

import gettext as _gettext
import io
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import cache, wraps
from importlib import resources
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from config.settings import SUPPORTED_LOCALES
from models.base import N_
from models.refusal import MessageId, Refused

P = ParamSpec("P")
T = TypeVar("T")

__all__ = [
    "N_",
    "_",
    "format_number",
    "format_time",
    "gettext",
    "locale_for",
    "ngettext",
    "refusal_text",
    "use_locale",
]

DOMAIN = "messages"
_current: ContextVar[str] = ContextVar("locale", default=SUPPORTED_LOCALES[0])
# The configured time zone is the same for every reader, so it is plain module state.
_zone = ZoneInfo("Asia/Shanghai")

# Telegram language codes (IETF tags) that mean Simplified Chinese.
_CHINESE = {"zh", "zh-hans", "zh-cn", "zh-sg", "zh-hans-cn", "zh-hans-sg"}


def po_path(locale: str) -> resources.abc.Traversable:
    return resources.files("locales").joinpath(locale, "LC_MESSAGES", f"{DOMAIN}.po")


@cache
def translations(locale: str) -> _gettext.GNUTranslations:
    """The compiled catalog of one locale."""
    with po_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def locale_for(*, stored: str | None, language_code: str | None, default: str) -> str:
    """Pick the locale: the stored choice, else the Telegram language, else the default."""
    if stored in SUPPORTED_LOCALES:
        return stored
    if language_code:
        code = language_code.strip().lower().replace("_", "-")
        if code in _CHINESE:
            return "zh_CN"
        if code == "en" or code.startswith("en-"):
            return "en"
    return default


def set_locale(locale: str) -> None:
    """Make ``locale`` the language of everything translated from here on in this context."""
    _current.set(locale if locale in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0])


def set_timezone(zone: ZoneInfo) -> None:
    global _zone
    _zone = zone


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate in ``locale`` inside the block, e.g. for one outgoing message."""
    token = _current.set(locale if locale in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0])
    try:
        yield
    finally:
        _current.reset(token)


def per_language(build: Callable[P, T]) -> Callable[P, T]:
    """Build once per language and arguments, and hand out that one object after.

    For what depends only on them, like a keyboard: a Telegram object cannot change once made,
    so the same one can be sent any number of times.
    """

    made: dict[tuple[Any, ...], T] = {}

    @wraps(build)
    def in_current_language(*args: P.args, **kwargs: P.kwargs) -> T:
        locale = current_locale()
        key = (locale, args, tuple(sorted(kwargs.items())))
        if key not in made:
            with use_locale(locale):
                made[key] = build(*args, **kwargs)
        return made[key]

    return in_current_language


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def refusal_text(refused: Refused) -> str:
    """A refusal of the domain in the reader's language, its message-id parameters translated too."""
    params = {
        name: gettext(value) if isinstance(value, MessageId) else value
        for name, value in refused.params.items()
    }
    return gettext(refused.message).format(**params)


def format_time(moment: datetime, fmt: str = "medium") -> str:
    """A date and time in the configured time zone, written the way the reader's locale writes it."""
    return _babel_datetime(moment, fmt, tzinfo=_zone, locale=Locale.parse(_current.get()))


def format_number(number: float) -> str:
    return format_decimal(number, locale=Locale.parse(_current.get()))


def language_name(locale: str) -> str:
    """The language's own name for itself: 中文, English."""
    return {"zh_CN": "中文", "en": "English"}[locale]


def display_width(text: str) -> int:
    """Columns the text takes in a terminal or a spreadsheet: Chinese characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def percent(rate: float | None) -> str:
    """A rate as a percentage with one decimal, or "-" for none."""
    return "-" if rate is None else f"{rate * 100:.1f}%"


def short_duration(value: timedelta | None) -> str:
    """A duration in its two largest units: "2d 3h", "3h 05m", "12m", "40s"; "-" for none."""
    if value is None:
        return "-"
    minutes, seconds = divmod(int(value.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("{days}d {hours}h").format(days=days, hours=hours)
    if hours:
        return _("{hours}h {minutes:02d}m").format(hours=hours, minutes=minutes)
    if minutes:
        return _("{minutes}m").format(minutes=minutes)
    return _("{seconds}s").format(seconds=seconds)


def duration_in_words(delta: timedelta) -> str:
    """A duration in words in the reader's language: "2 hours", "2小时"."""
    return format_timedelta(delta, threshold=1.0, locale=Locale.parse(_current.get()))
