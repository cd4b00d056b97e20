"""The fund's messages: an application as people read it, the office's copy to decide (with its
buttons), and the applicant told of the decision or the question.

Button data: ``fa:<action>:<application id>``; the actions are read by handlers/fund.py (no
words needed) and handlers/fund_input.py (a note, an amount or a photo needed).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.fitting import block, one_line
from handlers.outgoing.parts import Outgoing, UnknownNotification, photo_parts
from locales.i18n import N_, format_time
from locales.i18n import gettext as _
from models.directory.tables import Person
from models.fund.applications import cases_of, photos_of
from models.fund.money import yuan_text
from models.fund.tables import (
    FUND_STATUS_NAMES,
    FUND_TYPE_NAMES,
    FundApplication,
    FundEvent,
    FundEventKind,
    FundStatus,
)
from models.outbox.queue import OutboxMessage

PREFIX = "fa"
PURPOSE_ROOM = 1500


def fund_data(action: str, application_id: int) -> str:
    return f"{PREFIX}:{action}:{application_id}"


async def application_text(session: AsyncSession, application: FundApplication) -> str:
    """The application's fields, its linked cases and its status, the purpose as typed."""
    applicant = await session.get(Person, application.applicant_id)
    cases = await cases_of(session=session, application_id=application.id or 0)
    photos = await photos_of(session=session, application_id=application.id or 0)
    lines = [
        _("Fund application #{number}: {fund_type}, {amount} yuan").format(
            number=application.id,
            fund_type=_(FUND_TYPE_NAMES[application.fund_type]),
            amount=yuan_text(application.amount_fen),
        ),
        _("Applicant: {name}").format(name=one_line(applicant.name) if applicant else "?"),
        _("Status: {status}").format(status=_(FUND_STATUS_NAMES[application.status])),
    ]
    if application.approved_fen is not None:
        lines.append(_("Granted: {amount} yuan").format(amount=yuan_text(application.approved_fen)))
    if cases:
        lines.append(_("Linked cases: {numbers}").format(numbers=", ".join(case.number for case in cases)))
    lines.append(_("Quotes and photos: {count}").format(count=len(photos)))
    lines.append(_("Purpose:"))
    lines.append(block(application.purpose, PURPOSE_ROOM))
    return "\n".join(lines)


def decision_keyboard(application_id: int) -> InlineKeyboardMarkup:
    """The office's four decisions, each asking for its note."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Approve"), callback_data=fund_data("ok", application_id)),
                InlineKeyboardButton(_("Approve a part"), callback_data=fund_data("pt", application_id)),
            ],
            [
                InlineKeyboardButton(_("Reject"), callback_data=fund_data("no", application_id)),
                InlineKeyboardButton(_("Ask for more"), callback_data=fund_data("mi", application_id)),
            ],
        ]
    )


def applicant_keyboard(application: FundApplication) -> InlineKeyboardMarkup | None:
    """What the applicant may do now: submit, add a quote or photo, answer, withdraw."""
    number = application.id or 0
    row = []
    if application.status == FundStatus.DRAFT:
        row.append(InlineKeyboardButton(_("Submit"), callback_data=fund_data("sb", number)))
    if application.status == FundStatus.NEEDS_INFO:
        row.append(InlineKeyboardButton(_("Answer"), callback_data=fund_data("re", number)))
    if application.status in (FundStatus.DRAFT, FundStatus.NEEDS_INFO):
        row.append(InlineKeyboardButton(_("Add a quote or photo"), callback_data=fund_data("ph", number)))
    if application.status in (FundStatus.DRAFT, FundStatus.SUBMITTED, FundStatus.NEEDS_INFO):
        row.append(InlineKeyboardButton(_("Withdraw"), callback_data=fund_data("wd", number)))
    return InlineKeyboardMarkup([row[:2], row[2:]]) if row else None


async def _application(session: AsyncSession, message: OutboxMessage) -> FundApplication:
    application_id = message.parameters().get("application_id")
    application = (
        await session.get(FundApplication, application_id) if isinstance(application_id, int) else None
    )
    if application is None:
        raise UnknownNotification(f"outbox row {message.id}: application {application_id} not found")
    return application


async def render_fund_submitted(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """An application for the office to decide, its quotes and photos first; nothing once decided."""
    application = await _application(session, message)
    if application.status != FundStatus.SUBMITTED:
        return []
    text = (
        _("A fund application waits for your decision:")
        + "\n\n"
        + await application_text(session, application)
    )
    event = await session.get(FundEvent, message.parameters().get("event_id") or 0)
    if event is not None and event.kind == FundEventKind.INFO_GIVEN and event.note:
        text += "\n\n" + _("The applicant's answer to your question:") + "\n" + block(event.note)
    photos = await photos_of(session=session, application_id=application.id or 0)
    return [*photo_parts(photos), Outgoing(text=text, reply_markup=decision_keyboard(application.id or 0))]


DECIDED_TEXTS = {
    FundEventKind.APPROVED: N_(
        "The street property office approved your fund application #{number}: {amount} yuan."
    ),
    FundEventKind.PARTLY_APPROVED: N_(
        "The street property office approved {amount} yuan of your fund application #{number}."
    ),
    FundEventKind.REJECTED: N_("The street property office rejected your fund application #{number}."),
    FundEventKind.INFO_ASKED: N_(
        "The street property office asks for more information on your fund application #{number}."
    ),
}


PROPOSED_TEXT = N_(
    "The street property office drafted a red list reward in your name: fund application #{number}, "
    "{amount} yuan. Check it, add quotes or photos if it needs them, and submit it."
)


async def render_fund_decided(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The applicant: the office's decision or question, with its note; or a reward it drafted."""
    application = await _application(session, message)
    event_id = message.parameters().get("event_id")
    event = await session.get(FundEvent, event_id) if isinstance(event_id, int) else None
    known = (*DECIDED_TEXTS, FundEventKind.CREATED)
    if event is None or event.application_id != application.id or event.kind not in known:
        raise UnknownNotification(f"outbox row {message.id}: event {event_id} not found")
    if event.kind == FundEventKind.CREATED:  # proposed from the red list (models/fund/proposals.py)
        if application.status != FundStatus.DRAFT:
            return []  # submitted or withdrawn since
        text = _(PROPOSED_TEXT).format(number=application.id, amount=yuan_text(application.amount_fen))
        text += "\n\n" + await application_text(session, application)
        return [Outgoing(text=text, reply_markup=applicant_keyboard(application))]
    text = _(DECIDED_TEXTS[event.kind]).format(number=application.id, amount=yuan_text(event.amount_fen or 0))
    text += (
        "\n"
        + _("Note ({time}):").format(time=format_time(event.at, "short"))
        + "\n"
        + block(event.note or "")
    )
    markup = None
    if event.kind == FundEventKind.INFO_ASKED:
        if application.status != FundStatus.NEEDS_INFO:
            return []  # answered or withdrawn since
        text += "\n\n" + _("Tap Answer to reply; the application then goes back to the office.")
        markup = applicant_keyboard(application)
    return [Outgoing(text=text, reply_markup=markup)]
