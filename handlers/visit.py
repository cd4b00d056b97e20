"""/visit: an instructor records a visit ("walking in") and what it found.

``/visit CODE NOTE`` records a visit to the community or enterprise of CODE, with the note; its
card has Add a photo, Note a problem and Open a case on the spot (``vi:ph|pb|cs:<visit id>``),
each asking for its input (handlers/pending_input.py). A case is typed as ``CATEGORY
description`` and opened in the visited community with the instructor as reporter. ``/visit``
alone shows the instructor's visits this month.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callback_data import an_id, fields, one_of
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.fitting import block
from handlers.pending_input import END, WRITING, PendingInput
from locales.i18n import N_, format_time, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.cases.categories import CATEGORY_NAMES, ReportCategory
from models.cases.opening import CaseDraft
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Community, Enterprise, Person
from models.periods import parse_period
from models.refusal import Refused
from models.text import typed_text
from models.visits.tables import Visit
from models.visits.visits import (
    NOT_INSTRUCTOR,
    add_problem,
    add_visit_photo,
    check_case_on_spot,
    open_case_on_visit,
    own_visit,
    record_visit,
    visit_cases,
    visit_photos,
    visits_between,
)

logger = logging.getLogger(__name__)

PREFIX = "vi"
QUESTION = PendingInput("visit_input")
USAGE = N_(
    "To record a visit, send /visit CODE NOTE: the code of the community or enterprise you "
    "visited, then what you saw. Photos, problems and cases are added from its card."
)
CASE_FORMAT = N_(
    "Send the category, then the description, like: leak Roof over stairwell 2 leaks. Categories: {list}"
)
PROMPTS = {
    "ph": N_("Send a photo from visit #{number}. /cancel changes nothing."),
    "pb": N_("Describe the problem found on visit #{number}. /cancel changes nothing."),
    "cs": CASE_FORMAT,
}


def visit_keyboard(visit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Add a photo"), callback_data=f"{PREFIX}:ph:{visit_id}"),
                InlineKeyboardButton(_("Note a problem"), callback_data=f"{PREFIX}:pb:{visit_id}"),
            ],
            [InlineKeyboardButton(_("Open a case on the spot"), callback_data=f"{PREFIX}:cs:{visit_id}")],
        ]
    )


async def visit_text(session: AsyncSession, visit: Visit) -> str:
    where: Community | Enterprise | None = None
    if visit.community_id is not None:
        where = await session.get(Community, visit.community_id)
    elif visit.enterprise_id is not None:
        where = await session.get(Enterprise, visit.enterprise_id)
    cases = await visit_cases(session=session, visit_id=visit.id or 0)
    lines = [
        _("Visit #{number} to {place}, {time}").format(
            number=visit.id, place=where.name if where else "?", time=format_time(visit.visited_at, "short")
        ),
        block(visit.note, 1200),
        _("Photos: {count}").format(count=len(await visit_photos(session=session, visit_id=visit.id or 0))),
    ]
    if visit.problems:
        lines += [_("Problems found:"), block(visit.problems, 1200)]
    if cases:
        lines.append(_("Cases opened on the spot: {count}").format(count=len(cases)))
    return "\n".join(lines)


async def visit_command(update: Update, context: Context) -> None:
    """Record a visit, or list this month's."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    code, note = [*(message.text or "").split(maxsplit=2)[1:], "", ""][:2]  # full-width spaces too
    markup = None
    try:
        async with context.db.read() if not code else context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if not code:
                reply = await _this_month(session, person, context)
            else:
                note = typed_text(note, limit=context.settings.cases.max_text_length)
                if not note or person is None:
                    raise Refused(USAGE)
                visit = await record_visit(
                    session=session, instructor=person, code=code, note=note, now=utcnow()
                )
                reply, markup = await visit_text(session, visit), visit_keyboard(visit.id or 0)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    await message.reply_text(reply, reply_markup=markup)


async def _this_month(session: AsyncSession, person: Person | None, context: Context) -> str:
    tz, now = context.settings.bot.tzinfo, utcnow()
    start, end = parse_period(now.astimezone(tz).strftime("%Y-%m"), tz)
    visits = await visits_between(session=session, instructor=person, start=start, end=end)
    lines = [_(USAGE), "", _("Your visits this month: {count}").format(count=len(visits))]
    lines += [await visit_text(session, visit) for visit in visits[-5:]]
    return "\n\n".join(lines)


def _parse(data: str | None) -> tuple[str, int] | None:
    parts = fields(data, PREFIX, 2)
    action = one_of(parts[0], PROMPTS) if parts else None
    visit_id = an_id(parts[1]) if parts else None
    return (action, visit_id) if action is not None and visit_id is not None else None


def _categories() -> str:
    """The categories as typed, each with its name in the reader's language: ``leak (漏水)``."""
    return ", ".join(f"{category.value} ({_(CATEGORY_NAMES[category])})" for category in ReportCategory)


def _category(word: str) -> ReportCategory | None:
    """A category by its code or by its name in the reader's language."""
    by_name = {_(name).lower(): category for category, name in CATEGORY_NAMES.items()}
    word = word.strip().lower()
    return by_name.get(word) or next((c for c in ReportCategory if c.value == word), None)


async def ask(update: Update, context: Context) -> int | None:
    """Check the press in the domain, then ask for the photo, the problem or the case."""
    parsed = await QUESTION.pressed(update, context, _parse)
    if parsed is None:
        return None
    action, number = parsed

    async def check(session: AsyncSession, person: Person | None) -> object:
        if action == "cs":
            return await check_case_on_spot(session=session, visit_id=number, instructor=person)
        return await own_visit(session=session, visit_id=number, instructor=person)

    prompt = _(PROMPTS[action]).format(number=number, list=_categories())
    return await QUESTION.ask(update, context, check, prompt, action=action, id=number)


def _case_draft(text: str, key: str) -> CaseDraft:
    word, description = [*text.split(maxsplit=1), "", ""][:2]
    category = _category(word)
    if category is None or not description.strip():
        raise Refused(CASE_FORMAT, list=_categories())
    return CaseDraft(key=key, category=category, description=description.strip())


async def receive_text(update: Update, context: Context) -> int:
    """Note the problem, or open the case on the spot."""
    message, user, question = update.effective_message, update.effective_user, QUESTION.question(context)
    parsed = _parse(f"{PREFIX}:{question.get('action')}:{question.get('id')}") if question else None
    if message is None or user is None or parsed is None:
        return await QUESTION.lost(update, context)
    action, number = parsed
    typed = await QUESTION.typed_as(
        update,
        context,
        # The key is the message's: the same message delivered twice opens one case.
        lambda text: (
            text,
            _case_draft(text, f"visit-{user.id}-{message.message_id}") if action == "cs" else None,
        ),
        photo_wanted=action == "ph",
    )
    if typed is None:
        return WRITING
    text, draft = typed
    settings = context.settings
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NOT_INSTRUCTOR)
            if draft is None:
                await add_problem(session=session, visit_id=number, instructor=person, text=text)
                done = _("Problem noted.")
            else:
                opened = await open_case_on_visit(
                    session=session,
                    visit_id=number,
                    instructor=person,
                    draft=draft,
                    deadlines=settings.cases.report_rules.deadlines(draft.category),
                    now=utcnow(),
                    tz=settings.bot.tzinfo,
                )
                owner = opened.owner.name if opened.owner is not None else _("the street property office")
                done = _("Case {number} opened; it went to {owner}.").format(
                    number=opened.case.number, owner=owner
                )
    except Refused as refused:
        QUESTION.forget(context)
        await message.reply_text(refusal_text(refused))
        return END
    logger.info("visit %s: %s by user %s", number, action, user.id)
    QUESTION.forget(context)
    wake_outbox(context.application)
    await message.reply_text(done)
    return END


async def receive_photo(update: Update, context: Context) -> int:
    """Attach the photo to the visit."""
    message, user, question = update.effective_message, update.effective_user, QUESTION.question(context)
    parsed = _parse(f"{PREFIX}:{question.get('action')}:{question.get('id')}") if question else None
    if message is None or user is None or parsed is None or not message.photo:
        return await QUESTION.lost(update, context)
    if parsed[0] != "ph":
        await message.reply_text(_("Please send this as text, or /cancel."))
        return WRITING
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NOT_INSTRUCTOR)
            visit = await add_visit_photo(
                session=session, visit_id=parsed[1], instructor=person, file_id=message.photo[-1].file_id
            )
            text = await visit_text(session, visit)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
    else:
        await message.reply_text(_("Added.") + "\n\n" + text, reply_markup=visit_keyboard(parsed[1]))
    QUESTION.forget(context)
    return END


def conversation() -> Any:
    entry = CallbackQueryHandler(ask, pattern=rf"^{PREFIX}:(ph|pb|cs):\d{{1,12}}$")
    return QUESTION.conversation(entry=entry, text=receive_text, photo=receive_photo)


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("visit", visit_command, filters=filters.ChatType.PRIVATE))


def register_input(application: RedPropApplication) -> None:
    """The visit's questions go with the other typed answers, before the draft conversations."""
    application.add_handler(conversation())
