"""What ``redprop fund report`` and ``redprop report`` share: the street named (or the only one),
the report read in one session, and bad input said in one line on standard error."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.assess_cli import BadInput, _street
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.directory.tables import Street
from models.refusal import Refused
from storage.database import Database

T = TypeVar("T")


def check_format(fmt: str, formats: tuple[str, ...]) -> None:
    if fmt not in formats:
        raise BadInput(_("Format must be one of: {choices}").format(choices=", ".join(formats)))


async def read_street_report(
    db: Database,
    street: str | None,
    read: Callable[[AsyncSession, Street], Awaitable[T]],
    check: Callable[[], object] = lambda: None,
) -> tuple[Street, T] | None:
    """``check`` the input, find the street, ``read`` its report; None once the problem is said."""
    try:
        check()
        async with db.read_aside() as session:
            found = await _street(session, street)
            return found, await read(session, found)
    except BadInput as error:
        print(error, file=sys.stderr)
    except Refused as refused:
        print(refusal_text(refused), file=sys.stderr)
    return None
