"""The outbox's messages about itself, for the street property office: a case card that could
not be delivered (at once), and the daily summary of what could not be delivered."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.outgoing.fitting import one_line
from handlers.outgoing.parts import Outgoing, UnknownNotification
from locales.i18n import gettext as _
from locales.i18n import ngettext
from models.cases.tables import Case
from models.directory.tables import Person
from models.outbox.queue import OutboxMessage


async def render_card_undelivered(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The office: a case card could not be delivered, and whether the case moved up for it."""
    case = await session.get(Case, message.case_id) if message.case_id is not None else None
    if case is None:
        raise UnknownNotification(f"outbox row {message.id}: case {message.case_id} not found")
    params = message.parameters()
    name = one_line(str(params.get("recipient_name") or "")) or _("its recipient")
    lines = [
        _("⚠️ The card of case {number} could not be delivered to {name}.").format(
            number=case.number, name=name
        )
    ]
    if params.get("moved"):
        owner = await session.get(Person, case.owner_id) if case.owner_id is not None else None
        if owner is not None:
            lines.append(_("The case moved one level up, to {name}.").format(name=one_line(owner.name)))
        else:
            lines.append(_("The case moved one level up, but nobody there can take it."))
    lines.append(_("The server's operator sees the details with: redprop outbox status"))
    return [Outgoing(text="\n".join(lines))]


async def render_delivery_summary(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The office, daily: messages that could not be delivered in the last day, and those retrying."""
    params = message.parameters()
    day = date.fromisoformat(str(params.get("day") or now.date().isoformat()))
    failed, uncertain, retrying = (int(params.get(key) or 0) for key in ("failed", "uncertain", "retrying"))
    lines = [_("Delivery summary for {day}").format(day=day.isoformat())]
    if failed:
        lines.append(
            ngettext(
                "{count} message could not be delivered.", "{count} messages could not be delivered.", failed
            ).format(count=failed)
        )
    if uncertain:
        lines.append(
            ngettext(
                "{count} message may or may not have arrived (Telegram never answered).",
                "{count} messages may or may not have arrived (Telegram never answered).",
                uncertain,
            ).format(count=uncertain)
        )
    if retrying:
        lines.append(
            ngettext(
                "{count} message is still being retried.",
                "{count} messages are still being retried.",
                retrying,
            ).format(count=retrying)
        )
    cases = [str(number) for number in params.get("cases") or []]
    if cases:
        more = int(params.get("more_cases") or 0)
        listed = ", ".join(cases) + (_(" and {count} more").format(count=more) if more else "")
        lines.append(_("Cases concerned: {cases}").format(cases=listed))
    lines.append(_("The server's operator sees the details with: redprop outbox status"))
    return [Outgoing(text="\n".join(lines))]
