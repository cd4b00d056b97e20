"""/fund: the property management fund in the chat.

``/fund TYPE AMOUNT PURPOSE`` makes a draft application (TYPE: reward, subsidy, party or
repair, or 奖励, 补贴, 党建, 维修; AMOUNT in yuan; case numbers such as LSW-2026-000012 in the
purpose link those cases); its card has Submit, Add a quote or photo, and Withdraw. ``/fund``
alone lists the person's applications (for the office: those waiting for a decision, and the
year's budgets); ``/fund NUMBER`` shows one with its history. ``/fund budget TYPE YUAN [YEAR]``
sets a budget (the office). Callback data ``fa:sb|wd:<id>`` submits or withdraws at once; the
decisions and other inputs that need words are in handlers/fund_input.py.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import an_id, fields, one_of
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.fitting import block, one_line
from handlers.outgoing.fund import PREFIX, applicant_keyboard, application_text, decision_keyboard
from handlers.picker import edit_text
from handlers.replies import refuse_button
from locales.i18n import N_, format_time, refusal_text
from locales.i18n import gettext as _
from models.assessment.access import office_street
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.fund.applications import (
    CASE_NUMBER,
    NOT_APPLICANT,
    FundDraft,
    applications_of,
    create_draft,
    history_of,
    submit_application,
    visible_application,
    waiting_applications,
    withdraw_application,
)
from models.fund.applications import NO_SUCH_APPLICATION as NOT_YOURS
from models.fund.budgets import BAD_YEAR, budget_lines, check_year, set_budget
from models.fund.money import FEN_PER_YUAN, parse_yuan, yuan_text
from models.fund.proposals import PURPOSE, propose_red_list_rewards
from models.fund.tables import FUND_STATUS_NAMES, FUND_TYPE_NAMES, FundApplication, FundStatus, FundType
from models.periods import Quarter
from models.refusal import Refused
from models.text import typed_text

logger = logging.getLogger(__name__)

TYPE_WORDS: dict[str, FundType] = {
    "reward": FundType.REWARD,
    "奖励": FundType.REWARD,
    "subsidy": FundType.SUBSIDY,
    "补贴": FundType.SUBSIDY,
    "party": FundType.PARTY_BUILDING,
    "party_building": FundType.PARTY_BUILDING,
    "党建": FundType.PARTY_BUILDING,
    "repair": FundType.REPAIR,
    "维修": FundType.REPAIR,
}
USAGE = N_(
    "To apply to the property management fund, send\n"
    "/fund TYPE AMOUNT PURPOSE\n"
    "TYPE: reward, subsidy, party or repair; AMOUNT in yuan, like 12000.50. "
    "Name case numbers (like LSW-2026-000012) in the purpose to link those cases."
)
UNKNOWN_TYPE = N_("Unknown fund type “{word}”: use reward, subsidy, party or repair.")
NO_PURPOSE = N_("Please write the purpose after the amount.")
EVENT_NAMES: dict[str, str] = {
    "created": N_("Drafted"),
    "photo": N_("Quote or photo added"),
    "submitted": N_("Submitted"),
    "info_asked": N_("More information asked"),
    "info_given": N_("Information given"),
    "approved": N_("Approved"),
    "partly_approved": N_("Partly approved"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}


def fund_type_of(word: str) -> FundType:
    fund_type = TYPE_WORDS.get(word.strip().lower())
    if fund_type is None:
        raise Refused(UNKNOWN_TYPE, word=word.strip())
    return fund_type


def parse_application(text: str, *, limit: int) -> FundDraft:
    """``TYPE AMOUNT PURPOSE`` as typed after /fund; refused with the reason otherwise."""
    parts = text.strip().split(maxsplit=2)
    if len(parts) < 2:
        raise Refused(USAGE)
    fund_type, amount = fund_type_of(parts[0]), parse_yuan(parts[1])
    purpose = typed_text(parts[2] if len(parts) > 2 else "", limit=limit)
    if not purpose:
        raise Refused(NO_PURPOSE)
    return FundDraft(fund_type, amount, purpose, CASE_NUMBER.findall(purpose))


async def _history(session: AsyncSession, application: FundApplication) -> str:
    lines = [_("History:")]
    for event in await history_of(session=session, application_id=application.id or 0):
        actor = await session.get(Person, event.actor_id) if event.actor_id else None
        who = one_line(actor.name) if actor else ""
        line = f"{format_time(event.at, 'short')} {_(EVENT_NAMES[event.kind])} — {who}"
        if event.amount_fen is not None:
            line += " · " + _("{amount} yuan").format(amount=yuan_text(event.amount_fen))
        lines.append(line)
        if event.note:
            lines.append(block(event.note, 300))
    return "\n".join(lines)


async def _overview(session: AsyncSession, person: Person | None, now: datetime, context: Context) -> str:
    """The person's applications; for the office also those waiting and the year's budgets."""
    if person is None:
        return _(USAGE)
    lines = [_(USAGE)]
    own = await applications_of(session=session, applicant=person)
    if own:
        lines += ["", _("Your applications:")] + [_line(application) for application in own]
    try:
        street_id = await office_street(session=session, person=person)
    except Refused:
        return "\n".join(lines)
    waiting = await waiting_applications(session=session, street_id=street_id)
    lines += ["", _("Waiting for a decision (send /fund NUMBER to decide):")]
    lines += [_line(application) for application in waiting] or [_("none")]
    lines += [
        "",
        await budgets_text(session, street_id, now.astimezone(context.settings.bot.tzinfo).year, context),
    ]
    return "\n".join(lines)


async def budgets_text(session: AsyncSession, street_id: int, year: int, context: Context) -> str:
    lines = [_("Budgets of {year} (budget / granted / left, yuan):").format(year=year)]
    for line in await budget_lines(
        session=session, street_id=street_id, year=year, configured=context.settings.fund.budget_fen
    ):
        lines.append(
            f"{_(FUND_TYPE_NAMES[line.fund_type])}: {yuan_text(line.budget_fen)} / "
            f"{yuan_text(line.granted_fen)} / {yuan_text(line.left_fen)}"
        )
    return "\n".join(lines)


def _line(application: FundApplication) -> str:
    fund_type, status = _(FUND_TYPE_NAMES[application.fund_type]), _(FUND_STATUS_NAMES[application.status])
    return f"#{application.id} {fund_type} {yuan_text(application.amount_fen)} — {status}"


async def _budget(session: AsyncSession, person: Person | None, args: list[str], context: Context) -> str:
    """``budget [YEAR]`` shows the budgets, ``budget TYPE YUAN [YEAR]`` sets one (the office)."""
    now = utcnow()
    street_id = await office_street(session=session, person=person)
    assert person is not None
    year = now.astimezone(context.settings.bot.tzinfo).year
    if len(args) == 3 or (len(args) == 1 and args[0].isdigit()):  # the year: alone, or after TYPE and YUAN
        if not re.fullmatch(r"\d{4}", args[-1]):
            raise Refused(BAD_YEAR)
        year = check_year(int(args.pop()))
    if args:
        if len(args) != 2:
            raise Refused(N_("Send /fund budget TYPE YUAN [YEAR], like /fund budget repair 500000 2026."))
        fund_type, amount = fund_type_of(args[0]), parse_yuan(args[1], zero=True)  # 0 closes the fund
        await set_budget(
            session=session,
            admin=person,
            street_id=street_id,
            year=year,
            fund_type=fund_type,
            amount_fen=amount,
            now=now,
        )
    return await budgets_text(session, street_id, year, context)


async def _propose(session: AsyncSession, person: Person | None, quarter: str, context: Context) -> str:
    """Reward drafts for the red list of a final quarter, in its instructors' names (the office)."""
    street_id = await office_street(session=session, person=person)
    assert person is not None
    drafts = await propose_red_list_rewards(
        session=session,
        admin=person,
        street_id=street_id,
        quarter=Quarter.parse(quarter),
        amount_fen=context.settings.fund.red_list_reward * FEN_PER_YUAN,
        purpose=_(PURPOSE),
        scheme=context.settings.assessment.scheme,
        tz=context.settings.bot.tzinfo,
        now=utcnow(),
    )
    if not drafts:
        return _("No new reward drafts: each red-list enterprise has its draft already, or no instructor.")
    lines = [_("Reward drafts proposed; their instructors check and submit them:")]
    return "\n".join(lines + [_line(application) for application in drafts])


async def fund_command(update: Update, context: Context) -> None:
    """Apply, list, show one application, or see and set the budgets."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    text = (message.text or "").partition(" ")[2].strip()
    args = text.split()
    now = utcnow()
    markup: InlineKeyboardMarkup | None = None
    # The overview and one application only read: they need not wait for the writer's turn.
    viewing = not args or (len(args) == 1 and an_id(args[0].lstrip("#")) is not None)
    try:
        async with context.db.read() if viewing else context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if not args:
                reply = await _overview(session, person, now, context)
            elif args[0].lower() in ("budget", "预算"):
                reply = await _budget(session, person, args[1:], context)
            elif args[0].lower() == "propose" and len(args) == 2:
                reply = await _propose(session, person, args[1], context)
            elif len(args) == 1 and an_id(args[0].lstrip("#")) is not None:
                reply, markup = await _one(session, person, an_id(args[0].lstrip("#")) or 0)
            else:
                if person is None:
                    raise Refused(NOT_APPLICANT)
                draft = parse_application(text, limit=context.settings.cases.max_text_length)
                application = await create_draft(session=session, applicant=person, draft=draft, now=now)
                reply = _("Draft saved. Add quotes or photos if you have them, then tap Submit.") + "\n\n"
                reply += await application_text(session, application)
                markup = applicant_keyboard(application)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    await message.reply_text(reply, reply_markup=markup)


async def _one(
    session: AsyncSession, person: Person | None, application_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One application with its history, for its applicant or its street's office."""
    application, office = await visible_application(
        session=session, application_id=application_id, person=person
    )
    assert person is not None  # visible_application refuses nobody
    text = await application_text(session, application) + "\n\n" + await _history(session, application)
    if office and application.status == FundStatus.SUBMITTED:
        return text, decision_keyboard(application.id or 0)
    return text, applicant_keyboard(application) if application.applicant_id == person.id else None


async def fund_button(update: Update, context: Context) -> None:
    """Submit or withdraw the application behind the button (checked in the domain)."""
    query, user = update.callback_query, update.effective_user
    parts = fields(query.data if query is not None else None, PREFIX, 2)
    action = one_of(parts[0], ("sb", "wd")) if parts else None
    application_id = an_id(parts[1]) if parts else None
    if query is None or user is None or action is None or application_id is None:
        await refuse_button(update, context)
        return
    now = utcnow()
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NOT_YOURS)
            operation = submit_application if action == "sb" else withdraw_application
            application = await operation(
                session=session, application_id=application_id, applicant=person, now=now
            )
            text = await application_text(session, application)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    logger.info("fund: %s application %s by user %s", action, application_id, user.id)
    wake_outbox(context.application)
    done = (
        _("Submitted to the street property office; you will be told.") if action == "sb" else _("Withdrawn.")
    )
    await query.answer()
    await edit_text(update, done + "\n\n" + text, applicant_keyboard(application))


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("fund", fund_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(fund_button, pattern=rf"^{PREFIX}:(sb|wd):\d{{1,12}}$"))
