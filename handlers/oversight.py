"""The escalated level's buttons on an escalated case: urge, reassign, take over, agenda.

``e:urge|take|ag:<case id>`` act at once; ``e:re:<case id>`` lists who may take the case
(``e:to:<case id>:<person id>``, or ``e:ent:<case id>`` for the enterprise). Extending a deadline
needs words: ``handlers/oversight_input.py``. Every press is authorized in the domain.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from handlers.callback_data import an_id, fields, one_of
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.escalation import ENTERPRISE, OVERSIGHT_PREFIX, TO, oversight_card
from handlers.replies import refuse_button
from locales.i18n import N_, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.cases.tables import Case
from models.cases.timeline import NOT_ALLOWED
from models.directory.people import find_person_by_telegram_id
from models.escalation.oversight import (
    Oversight,
    overseen_case,
    put_on_agenda,
    reassign,
    reassign_candidates,
    reassign_to_enterprise,
    take_over,
    urge_owner,
)
from models.refusal import Refused

logger = logging.getLogger(__name__)

Operation = Callable[..., Awaitable[Case]]
DIRECT: dict[str, tuple[Operation, str]] = {
    Oversight.URGE: (urge_owner, N_("The owner is urged; the timeline records it.")),
    Oversight.TAKE: (take_over, N_("The case is yours now; its card is in /cases.")),
    Oversight.AGENDA: (put_on_agenda, N_("The case is on the next Affairs Hall's agenda.")),
    ENTERPRISE: (reassign_to_enterprise, N_("The enterprise's staff have the case now.")),
}


def parse(data: str | None) -> tuple[str, int, int | None] | None:
    """``e:urge:12`` → ("urge", 12, None), ``e:to:12:7`` → ("to", 12, 7); None if malformed."""
    three = fields(data, OVERSIGHT_PREFIX, 3)
    if three is not None:
        if three[0] != TO or (case_id := an_id(three[1])) is None or (person := an_id(three[2])) is None:
            return None
        return TO, case_id, person
    two = fields(data, OVERSIGHT_PREFIX, 2)
    allowed = {*DIRECT, Oversight.REASSIGN, Oversight.EXTEND}
    if two is None or (action := one_of(two[0], allowed)) is None or (case_id := an_id(two[1])) is None:
        return None
    return action, case_id, None


async def _redraw(update: Update, context: Context, case_id: int, telegram_id: int) -> None:
    query = update.callback_query
    async with context.db.read() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        case = await session.get(Case, case_id)
        if person is None or case is None or query is None:
            return
        text, markup = await oversight_card(session=session, case=case, viewer=person, now=utcnow())
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        logger.info("could not redraw an escalation card: %s", error)


async def act(update: Update, context: Context) -> None:
    """Urge, take over, put on the agenda, give to the enterprise or to a person; redraw the card."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse(query.data if query is not None else None)
    if query is None or user is None or parsed is None or parsed[0] in (Oversight.REASSIGN, Oversight.EXTEND):
        await refuse_button(update, context)
        return
    action, case_id, person_id = parsed
    try:
        async with context.db.write() as session:
            actor = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if actor is None:
                raise Refused(NOT_ALLOWED)
            now = utcnow()
            if action == TO and person_id is not None:
                await reassign(session=session, case_id=case_id, actor=actor, person_id=person_id, now=now)
                done = _("Reassigned; the new owner has the case's card.")
            else:
                operation, message = DIRECT[action]
                await operation(session=session, case_id=case_id, actor=actor, now=now)
                done = _(message)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    logger.info("case %s: oversight %s by user %s", case_id, action, user.id)
    wake_outbox(context.application)
    await query.answer(done)
    await _redraw(update, context, case_id, user.id)


async def choose_owner(update: Update, context: Context) -> None:
    """List who may take the case: its instructors, committee members and the enterprise."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse(query.data if query is not None else None)
    if query is None or user is None or parsed is None or parsed[0] != Oversight.REASSIGN:
        await refuse_button(update, context)
        return
    case_id = parsed[1]
    try:
        async with context.db.read() as session:
            actor = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if actor is None:
                raise Refused(NOT_ALLOWED)
            case, _level = await overseen_case(session=session, case_id=case_id, person=actor, lock=False)
            candidates = await reassign_candidates(session=session, case=case)
            number, enterprise = case.number, case.enterprise_id
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    rows = [
        [
            InlineKeyboardButton(
                person.name or "?", callback_data=f"{OVERSIGHT_PREFIX}:{TO}:{case_id}:{person.id}"
            )
        ]
        for person, _owner_level in candidates
    ]
    if enterprise is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    _("The property enterprise"), callback_data=f"{OVERSIGHT_PREFIX}:{ENTERPRISE}:{case_id}"
                )
            ]
        )
    await query.answer()
    await context.bot.send_message(
        user.id,
        _("Case {number}: who should take it?").format(number=number),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def register(application: RedPropApplication) -> None:
    direct = "|".join(DIRECT)
    application.add_handler(
        CallbackQueryHandler(act, pattern=rf"^{OVERSIGHT_PREFIX}:(({direct}):\d+|{TO}:\d+:\d+)$")
    )
    application.add_handler(
        CallbackQueryHandler(choose_owner, pattern=rf"^{OVERSIGHT_PREFIX}:{Oversight.REASSIGN.value}:\d+$")
    )
