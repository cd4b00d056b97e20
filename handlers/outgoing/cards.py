"""The case card: what an instructor, the enterprise or the office sees of a case, with its buttons.

Callback data for case actions is ``c:<action>:<case id>`` (see ``models.cases.access.Action``);
the work list uses ``c:pg:<page>`` (a page of /cases) and ``c:open:<case id>`` (show a card).
Every press is authorized again in the domain, so a card can never do more than its viewer may.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callback_data import a_page, an_id, fields, one_of
from handlers.outgoing.fitting import TEXT_LIMIT, block, length, one_line
from locales.i18n import N_, format_time
from locales.i18n import gettext as _
from models.cases.access import Action, allowed_now, permitted_actions
from models.cases.categories import CATEGORY_NAMES, ReportCategory
from models.cases.routing import reason_text
from models.cases.tables import STATUS_NAMES, Case, CaseEvent, CasePhoto
from models.cases.worklist import is_overdue
from models.directory.tables import Community, Enterprise, Person

CASE_PREFIX = "c"
PAGE = "pg"  # c:pg:<page>: a page of the /cases list
OPEN = "open"  # c:open:<case id>: show a case's card

ACTION_LABELS: dict[Action, str] = {
    Action.ACCEPT: N_("Accept"),
    Action.FORWARD: N_("Forward to enterprise"),
    Action.REJECT: N_("Not our responsibility"),
    Action.DUPLICATE: N_("Duplicate of…"),
    Action.NOTE: N_("Add progress note"),
    Action.RESOLVE: N_("Resolve"),
    Action.WORK_DONE: N_("Work done"),
    Action.WITHDRAW: N_("Withdraw"),
}
# Button order on a card.
CARD_ACTIONS = (
    Action.ACCEPT,
    Action.FORWARD,
    Action.NOTE,
    Action.RESOLVE,
    Action.WORK_DONE,
    Action.REJECT,
    Action.DUPLICATE,
)


def action_data(action: Action, case_id: int) -> str:
    return f"{CASE_PREFIX}:{action.value}:{case_id}"


def parse_action_data(data: str) -> tuple[Action, int] | None:
    """``c:accept:12`` → (Action.ACCEPT, 12); anything malformed → None."""
    parts = fields(data, CASE_PREFIX, 2)
    if (
        parts is None
        or (action := one_of(parts[0], set(Action))) is None
        or (case_id := an_id(parts[1])) is None
    ):
        return None
    return Action(action), case_id


def page_data(page: int) -> str:
    return f"{CASE_PREFIX}:{PAGE}:{page}"


def open_data(case_id: int) -> str:
    return f"{CASE_PREFIX}:{OPEN}:{case_id}"


def parse_number_data(data: str, kind: str) -> int | None:
    """``c:pg:2`` with kind ``pg`` → 2 (a page), ``c:open:12`` → 12 (a case id); anything else → None."""
    parts = fields(data, CASE_PREFIX, 2)
    if parts is None or parts[0] != kind:
        return None
    return a_page(parts[1]) if kind == PAGE else an_id(parts[1])


def status_name(case: Case) -> str:
    return _(STATUS_NAMES[case.status])


def category_name(case: Case) -> str:
    try:
        return _(CATEGORY_NAMES[ReportCategory(case.category)])
    except ValueError:
        return case.category


async def case_card(
    *, session: AsyncSession, case: Case, viewer: Person, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card text and the buttons for the actions ``viewer`` may take now."""
    reporter = await session.get(Person, case.reporter_id)
    community = await session.get(Community, case.community_id)
    permitted = await permitted_actions(session=session, case=case, person=viewer)
    actions = allowed_now(case, permitted)
    handles = bool(permitted - {Action.WITHDRAW})
    lines = [
        _("Case {number}").format(number=case.number)
        + (" ⚠️ " + _("overdue") if is_overdue(case, now) else ""),
        _("Category: {category}").format(category=category_name(case)),
        _("Status: {status}").format(status=status_name(case)),
        _("Community: {community}").format(community=community.name if community else "?"),
    ]
    if case.building:
        lines.append(_("Building: {building}").format(building=one_line(case.building)))
    if reporter is not None:
        lines.append(_("Reported by: {name}").format(name=one_line(reporter.name) or "—"))
        # Phone numbers are for the people handling the case, and only when the resident shared one.
        if handles and reporter.phone and reporter.phone_shared:
            lines.append(_("Phone: {phone}").format(phone=reporter.phone))
    lines.append(_("Reported: {time}").format(time=format_time(case.created_at, "short")))
    if case.first_response_at is None:
        lines.append(_("Respond by: {time}").format(time=format_time(case.response_due_at, "short")))
    lines.append(_("Resolve by: {time}").format(time=format_time(case.resolution_due_at, "short")))
    if case.latitude is not None and case.longitude is not None:
        lines.append(_("Location: {lat:.5f}, {lon:.5f}").format(lat=case.latitude, lon=case.longitude))
    photos = (
        await session.exec(
            select(func.count(col(CasePhoto.id)))
            .where(CasePhoto.case_id == case.id)
            .where(col(CasePhoto.event_id).is_(None))
        )
    ).one()
    if photos:
        lines.append(_("Photos: {count}").format(count=photos))
    if case.forwarded_enterprise_id is not None:
        enterprise = await session.get(Enterprise, case.forwarded_enterprise_id)
        lines.append(
            _("Forwarded to: {enterprise}").format(enterprise=enterprise.name if enterprise else "?")
        )
        if case.work_done_at is not None and case.is_open:
            lines.append(
                _("Work done: {time}; waiting for the resolution to be confirmed.").format(
                    time=format_time(case.work_done_at, "short")
                )
            )
    if case.duplicate_of_id is not None:
        original = await session.get(Case, case.duplicate_of_id)
        lines.append(_("Duplicate of: {number}").format(number=original.number if original else "?"))
    fields = "\n".join(lines)
    # The resident's words apart from the fields, so they cannot pass for one of them.
    text = fields + "\n\n" + block(case.description, TEXT_LIMIT - length(fields) - 2)
    buttons = [
        InlineKeyboardButton(_(ACTION_LABELS[action]), callback_data=action_data(action, case.id or 0))
        for action in CARD_ACTIONS
        if action in actions
    ]
    keyboard = (
        InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)]) if buttons else None
    )
    return text, keyboard


def routing_reason(event: CaseEvent) -> str:
    """Why routing chose the case's owner, translated, with its placeholders filled."""
    text = reason_text(event.reason or "")
    if text is None:
        return ""
    params: dict[str, Any] = json.loads(event.reason_params) if event.reason_params else {}
    try:
        return _(text).format(**params)
    except (KeyError, IndexError, ValueError):
        return _(text)
