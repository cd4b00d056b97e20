"""What /record and /records show: the enterprise buttons, the kinds of record and their items,
the questions /record asks, and the record as it will be saved; /record's draft and states.

Callback data of /record: ``rec:e:<enterprise id>`` an enterprise, ``rec:ep:<page>`` a page of
them, ``rec:k:<kind>``, ``rec:i:<item>``, ``rec:y|n`` yes or no, ``rec:q:<quarter>``,
``rec:np`` no photo, ``rec:ok:<draft key>`` Confirm, ``rec:cancel``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.draft_flow import DraftFlow
from handlers.outgoing.scores import record_text
from handlers.paging import page_count, with_page_buttons
from handlers.replies import answer_unused
from locales.i18n import N_, per_language
from locales.i18n import gettext as _
from models.assessment.records import ITEMS, OFFICE_KINDS
from models.assessment.scheme import PARTY_ITEM_NAMES
from models.assessment.tables import RECORD_KIND_NAMES, VETO_NAMES, GovernanceRecord, RecordKind, RecordStatus
from models.base import utcnow
from models.cases.categories import DUTY_NAMES
from models.directory.tables import Enterprise
from models.periods import Quarter

PREFIX = "rec"
ENTERPRISE_DATA = f"{PREFIX}:e:"
ENTERPRISE_PAGE = f"{PREFIX}:ep:"
KIND_DATA = f"{PREFIX}:k:"
ITEM_DATA = f"{PREFIX}:i:"
YES, NO = f"{PREFIX}:y", f"{PREFIX}:n"
QUARTER_DATA = f"{PREFIX}:q:"
NO_PHOTO = f"{PREFIX}:np"
CONFIRM_DATA = f"{PREFIX}:ok:"  # + the draft key, so an old summary never confirms a newer draft
CANCEL = f"{PREFIX}:cancel"
ENTERPRISES_PER_PAGE = 8

KIND = "record"
ENTERPRISE, RECORD_KIND, ITEM, VALUE, QUARTER, NOTE, PHOTO, CONFIRMING = range(8)

WRITE_THE_NOTE = N_("Please write the note in words: what happened, when, who was there.")
FLOW = DraftFlow(
    kind=KIND,
    cancelled=N_("Record cancelled. Nothing was saved."),
    discarded=N_("Your unfinished governance record was discarded."),
    busy=N_("You are making a governance record. Finish it, or send /cancel to stop it."),
    expired=N_(
        "Your unfinished governance record was discarded after {duration}. Send /record to start again."
    ),
)
record_step = FLOW.step

VALUE_QUESTIONS: dict[RecordKind, str] = {
    RecordKind.MEETING: N_("Did {enterprise} attend the joint meeting?"),
    RecordKind.TASK: N_("Did {enterprise} complete the task by its deadline?"),
    RecordKind.PARTY_BUILDING: N_("{item}: is this in place at {enterprise}?"),
    RecordKind.SPOT_CHECK: N_(
        "How many points does this fault cost {enterprise}? Type a number from 0.1 to {high}, like 1.5."
    ),
    RecordKind.COMMENDATION: N_(
        "How many bonus points for {enterprise}? Type a number from 0.1 to {high}, like 1.5."
    ),
}


def item_names(kind: RecordKind) -> dict[str, str]:
    """The items a kind of record takes, value → message id (none for a kind without items)."""
    names: Mapping[Any, str] = {}
    if kind == RecordKind.PARTY_BUILDING:
        names = PARTY_ITEM_NAMES
    elif kind == RecordKind.SPOT_CHECK:
        names = DUTY_NAMES
    elif kind == RecordKind.VETO:
        names = VETO_NAMES
    allowed = ITEMS[kind] or frozenset()
    return {str(item): name for item, name in names.items() if item in allowed}


def enterprise_keyboard(
    enterprises: list[Enterprise], page: int, choose: Callable[[Enterprise], str], turn: Callable[[int], str]
) -> InlineKeyboardMarkup:
    """One page of enterprise buttons, with the buttons to the pages either side."""
    pages = page_count(len(enterprises), ENTERPRISES_PER_PAGE)
    page = min(max(page, 0), pages - 1)
    shown = enterprises[page * ENTERPRISES_PER_PAGE : (page + 1) * ENTERPRISES_PER_PAGE]
    rows = [[InlineKeyboardButton(enterprise.name, callback_data=choose(enterprise))] for enterprise in shown]
    return with_page_buttons(rows, page, pages, turn)


def _pairs(buttons: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


@per_language
def kind_keyboard(office: bool) -> InlineKeyboardMarkup:
    """The kinds of record; commendations and veto events for the office only."""
    return _pairs(
        [
            InlineKeyboardButton(_(RECORD_KIND_NAMES[kind]), callback_data=f"{KIND_DATA}{kind.value}")
            for kind in RecordKind
            if office or kind not in OFFICE_KINDS
        ]
    )


@per_language
def item_keyboard(kind: RecordKind) -> InlineKeyboardMarkup:
    return _pairs(
        [
            InlineKeyboardButton(_(name), callback_data=f"{ITEM_DATA}{item}")
            for item, name in item_names(kind).items()
        ]
    )


@per_language
def yes_no_keyboard() -> InlineKeyboardMarkup:
    return _pairs(
        [
            InlineKeyboardButton(_("✓ Yes"), callback_data=YES),
            InlineKeyboardButton(_("✗ No"), callback_data=NO),
        ]
    )


def quarter_keyboard(current: Quarter) -> InlineKeyboardMarkup:
    return _pairs(
        [
            InlineKeyboardButton(
                _("This quarter ({quarter})").format(quarter=current),
                callback_data=f"{QUARTER_DATA}{current}",
            ),
            InlineKeyboardButton(
                _("Previous quarter ({quarter})").format(quarter=current.previous),
                callback_data=f"{QUARTER_DATA}{current.previous}",
            ),
        ]
    )


@per_language
def photo_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("No photo"), callback_data=NO_PHOTO)]])


def confirm_keyboard(draft: dict[str, Any]) -> InlineKeyboardMarkup:
    return _pairs(
        [
            InlineKeyboardButton(_("Confirm"), callback_data=f"{CONFIRM_DATA}{draft['key']}"),
            InlineKeyboardButton(_("Cancel"), callback_data=CANCEL),
        ]
    )


def value_question(draft: dict[str, Any], high: object) -> str:
    kind = RecordKind(draft["kind"])
    item = item_names(kind).get(str(draft.get("item")), "")
    return _(VALUE_QUESTIONS[kind]).format(enterprise=draft["name"], item=_(item) if item else "", high=high)


def as_record(draft: dict[str, Any]) -> GovernanceRecord:
    """The draft as the record it will make (not saved), for :func:`record_text`."""
    points = draft.get("points")
    return GovernanceRecord(
        street_id=0,
        enterprise_id=int(draft["enterprise"]),
        quarter=str(draft["quarter"]),
        kind=RecordKind(draft["kind"]),
        item=draft.get("item"),
        yes=draft.get("yes"),
        points_tenths=int(Fraction(str(points)) * 10) if points is not None else None,
        note=str(draft.get("note") or ""),
        recorded_by=0,
        recorded_at=utcnow(),
        status=RecordStatus.PENDING,
    )


def summary(draft: dict[str, Any]) -> str:
    """The record to confirm, the photo, and how it will take effect."""
    lines = [
        _("Please check the record:"),
        "",
        record_text(as_record(draft), str(draft["name"])),
        "",
        _("Photo: attached") if draft.get("photo") else _("Photo: none"),
        _("It counts at once.")
        if draft.get("office")
        else _("It takes effect once the street property office approves it."),
    ]
    return "\n".join(lines)


async def chosen(update: Update, text: str) -> None:
    """Acknowledge a press and leave its message saying what was chosen, without buttons."""
    query = update.callback_query
    if query is None:
        return
    with answer_unused():
        await query.answer()
        await query.edit_message_text(text)
