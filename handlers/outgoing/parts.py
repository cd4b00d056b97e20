"""One outgoing Bot API call, as a renderer describes it, and the signature every renderer has."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove

from models.directory.tables import Person
from models.outbox.queue import OutboxMessage

# Telegram takes at most ten photos in one media group.
MEDIA_GROUP_SIZE = 10


class UnknownNotification(ValueError):
    """The row's kind, case or event cannot be rendered; the row is marked failed."""


@dataclass(frozen=True)
class Document:
    """A file the bot sends, such as a report for the street office to pass on."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call: a document if one is given, else photos (one photo or a media group) if
    any are given, else a text message. The text is the caption of a document or photo."""

    text: str = ""
    reply_markup: InlineKeyboardMarkup | ReplyKeyboardRemove | None = None
    photo_file_ids: list[str] = field(default_factory=list)
    document: Document | None = None


def photo_parts(file_ids: list[str]) -> list[Outgoing]:
    """The photos as media groups of at most ten (one alone goes as a photo)."""
    return [
        Outgoing(photo_file_ids=file_ids[start : start + MEDIA_GROUP_SIZE])
        for start in range(0, len(file_ids), MEDIA_GROUP_SIZE)
    ]


# What renders one outbox kind: ``await render(session, message, recipient, now)`` returns the
# calls that deliver the row, in order; an empty list means there is nothing to say any more
# (the case moved on, the survey was answered), and the row is superseded.
Renderer = Callable[[AsyncSession, OutboxMessage, Person, datetime], Awaitable[list[Outgoing]]]
