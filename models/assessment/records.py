"""Governance records: made in the chat, approved by the office, never deleted.

A record made by the office counts at once; one made by an instructor or a community party
committee member counts once an office admin approves it. Every record keeps who made it,
when, its note and its photo. A record is undone by a reversal record, which takes effect
the same way. The office is told of each record waiting for it, and the recorder of the
decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import RecordPower, check_office, office_admins, recording_right
from models.assessment.scheme import AssessmentScheme, PartyItem
from models.assessment.tables import (
    Assessment,
    AssessmentStatus,
    GovernanceRecord,
    RecordKind,
    RecordStatus,
    VetoEvent,
)
from models.base import N_, id_of
from models.cases.categories import ServiceDuty
from models.directory.tables import Enterprise, Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.periods import Quarter
from models.refusal import Refused

POINTS_OUT_OF_RANGE = N_("Give the points as a number from {low} to {high}, with at most one decimal.")
YES_OR_NO = N_("This record needs a yes or a no.")
UNKNOWN_ITEM = N_("This is not one of the items of this kind of record.")
OFFICE_ONLY_KIND = N_("Only the street property office records commendations and veto events.")
QUARTER_CLOSED = N_("The assessment of {quarter} is final; records for it can no longer change it.")
FUTURE_QUARTER = N_("{quarter} has not begun yet.")
NO_SUCH_RECORD = N_("There is no such record waiting for a decision.")
ALREADY_REVERSED = N_("This record has already been undone.")

# The items each kind of record takes (None: no item).
ITEMS: dict[RecordKind, frozenset[str] | None] = {
    RecordKind.MEETING: None,
    RecordKind.TASK: None,
    RecordKind.PARTY_BUILDING: frozenset(PartyItem),
    RecordKind.SPOT_CHECK: frozenset(ServiceDuty),
    RecordKind.COMMENDATION: None,
    RecordKind.VETO: frozenset(VetoEvent),
}
YES_NO_KINDS = frozenset({RecordKind.MEETING, RecordKind.TASK, RecordKind.PARTY_BUILDING})
OFFICE_KINDS = frozenset({RecordKind.COMMENDATION, RecordKind.VETO})


@dataclass(frozen=True)
class RecordDraft:
    """What a recorder entered."""

    enterprise_code: str
    quarter: Quarter
    kind: RecordKind
    item: str | None = None
    yes: bool | None = None
    points: str | None = None  # as typed, e.g. "2" or "0.5"
    note: str = ""
    photo_file_id: str | None = None


def points_in_tenths(text: str | None, *, high: Decimal) -> int:
    """Points typed by a person, as whole tenths from 0.1 to ``high``; refused otherwise."""
    refusal = Refused(POINTS_OUT_OF_RANGE, low="0.1", high=f"{high.normalize():f}")
    try:
        value = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        raise refusal from None
    if (
        not value.is_finite()
        or value != value.quantize(Decimal("0.1"))
        or not Decimal("0.1") <= value <= high
    ):
        raise refusal
    return int(value * 10)


def points_limit(kind: RecordKind, scheme: AssessmentScheme) -> Decimal | None:
    """The most points one record of ``kind`` may carry; None for a kind without points."""
    if kind == RecordKind.SPOT_CHECK:
        return scheme.participation.spot_checks
    if kind == RecordKind.COMMENDATION:
        return scheme.bonus_max
    return None


def _check(draft: RecordDraft, scheme: AssessmentScheme) -> tuple[str | None, bool | None, int | None]:
    """The item, yes/no and points the record keeps, once they fit its kind."""
    allowed = ITEMS[draft.kind]
    item = draft.item if allowed is not None else None
    if allowed is not None and item not in allowed:
        raise Refused(UNKNOWN_ITEM)
    yes = None
    if draft.kind in YES_NO_KINDS:
        if draft.yes is None:
            raise Refused(YES_OR_NO)
        yes = draft.yes
    high = points_limit(draft.kind, scheme)
    points = points_in_tenths(draft.points, high=high) if high is not None else None
    return item, yes, points


def check_quarter_begun(quarter: Quarter, *, now: datetime, tz: tzinfo) -> None:
    """Refuse a quarter that has not begun: there is nothing to record or assess in it yet."""
    if quarter > Quarter.of(now, tz):
        raise Refused(FUTURE_QUARTER, quarter=str(quarter))


async def check_quarter_open(
    *, session: AsyncSession, street_id: int, quarter: Quarter, now: datetime, tz: tzinfo
) -> None:
    """Refuse a quarter not begun, or one whose assessment is final."""
    check_quarter_begun(quarter, now=now, tz=tz)
    final = await session.exec(
        select(col(Assessment.id))
        .where(Assessment.street_id == street_id)
        .where(Assessment.quarter == str(quarter))
        .where(Assessment.status == AssessmentStatus.FINALISED)
    )
    if final.first() is not None:
        raise Refused(QUARTER_CLOSED, quarter=str(quarter))


async def make_record(
    *,
    session: AsyncSession,
    recorder: Person,
    draft: RecordDraft,
    scheme: AssessmentScheme,
    now: datetime,
    tz: tzinfo,
) -> GovernanceRecord:
    """Record a fact about an enterprise; the office's counts at once, anyone else's waits for it."""
    enterprise, right = await recording_right(
        session=session, person=recorder, enterprise_code=draft.enterprise_code
    )
    if draft.kind in OFFICE_KINDS and right.power != RecordPower.DIRECT:
        raise Refused(OFFICE_ONLY_KIND)
    item, yes, points = _check(draft, scheme)
    await check_quarter_open(
        session=session, street_id=right.street_id, quarter=draft.quarter, now=now, tz=tz
    )
    direct = right.power == RecordPower.DIRECT
    record = GovernanceRecord(
        street_id=right.street_id,
        enterprise_id=id_of(enterprise),
        quarter=str(draft.quarter),
        kind=draft.kind,
        item=item,
        yes=yes,
        points_tenths=points,
        note=draft.note,
        photo_file_id=draft.photo_file_id,
        recorded_by=id_of(recorder),
        recorded_at=now,
        status=RecordStatus.APPROVED if direct else RecordStatus.PENDING,
        decided_by=recorder.id if direct else None,
        decided_at=now if direct else None,
    )
    session.add(record)
    await session.flush()
    if not direct:
        for admin in await office_admins(session, right.street_id):
            await enqueue(
                session=session, recipient=admin, kind=OutboxKind.RECORD_PENDING, now=now, record_id=record.id
            )
    return record


async def pending_record(
    *, session: AsyncSession, record_id: int, admin: Person, lock: bool = False
) -> GovernanceRecord:
    """The record waiting for a decision that ``admin``'s office may take; refused otherwise."""
    query = select(GovernanceRecord).where(GovernanceRecord.id == record_id)
    record = (await session.exec(query.with_for_update() if lock else query)).first()
    if record is None:
        raise Refused(NO_SUCH_RECORD)
    await check_office(session=session, person=admin, street_id=record.street_id)
    if record.status != RecordStatus.PENDING:
        raise Refused(NO_SUCH_RECORD)
    return record


async def decide_record(
    *,
    session: AsyncSession,
    record_id: int,
    admin: Person,
    approve: bool,
    note: str,
    now: datetime,
    tz: tzinfo,
) -> GovernanceRecord:
    """The office approves or rejects a waiting record, with a note; the recorder is told."""
    record = await pending_record(session=session, record_id=record_id, admin=admin, lock=True)
    if approve:
        await check_quarter_open(
            session=session, street_id=record.street_id, quarter=Quarter.parse(record.quarter), now=now, tz=tz
        )
    record.status = RecordStatus.APPROVED if approve else RecordStatus.REJECTED
    record.decided_by, record.decided_at, record.decision_note = admin.id, now, note
    session.add(record)
    recorder = await session.get(Person, record.recorded_by)
    if recorder is not None:
        await enqueue(
            session=session, recipient=recorder, kind=OutboxKind.RECORD_DECIDED, now=now, record_id=record.id
        )
    await session.flush()
    return record


async def _undone(session: AsyncSession, record_ids: list[int]) -> set[int]:
    """Which of the records are undone, or waiting to be, by a reversal record."""
    rows = await session.exec(
        select(col(GovernanceRecord.reverses_id))
        .where(col(GovernanceRecord.reverses_id).in_(record_ids))
        .where(col(GovernanceRecord.status).in_([RecordStatus.APPROVED, RecordStatus.PENDING]))
    )
    return {record_id for record_id in rows if record_id is not None}


async def record_to_reverse(
    *, session: AsyncSession, record_id: int, person: Person
) -> tuple[GovernanceRecord, Enterprise]:
    """The approved record ``person`` may undo, and its enterprise; refused otherwise."""
    original = await session.get(GovernanceRecord, record_id)
    if original is None or original.status != RecordStatus.APPROVED or original.reverses_id is not None:
        raise Refused(NO_SUCH_RECORD)
    if await _undone(session, [record_id]):
        raise Refused(ALREADY_REVERSED)
    enterprise = await session.get(Enterprise, original.enterprise_id)
    assert enterprise is not None
    _, right = await recording_right(session=session, person=person, enterprise_code=enterprise.code)
    if original.kind in OFFICE_KINDS and right.power != RecordPower.DIRECT:
        raise Refused(OFFICE_ONLY_KIND)
    return original, enterprise


async def reverse_record(
    *,
    session: AsyncSession,
    record_id: int,
    person: Person,
    note: str,
    scheme: AssessmentScheme,
    now: datetime,
    tz: tzinfo,
) -> GovernanceRecord:
    """Undo an approved record by a reversal record (taking effect like any record of ``person``'s)."""
    original, enterprise = await record_to_reverse(session=session, record_id=record_id, person=person)
    draft = RecordDraft(
        enterprise_code=enterprise.code,
        quarter=Quarter.parse(original.quarter),
        kind=original.kind,
        item=original.item,
        yes=original.yes,
        points=None if original.points_tenths is None else str(Decimal(original.points_tenths) / 10),
        note=note,
    )
    reversal = await make_record(session=session, recorder=person, draft=draft, scheme=scheme, now=now, tz=tz)
    reversal.reverses_id = original.id
    session.add(reversal)
    await session.flush()
    return reversal


async def records_of(*, session: AsyncSession, street_id: int, quarter: Quarter) -> list[GovernanceRecord]:
    """Every record of the street's quarter, in the order made (for the workbook and audits)."""
    rows = await session.exec(
        select(GovernanceRecord)
        .where(GovernanceRecord.street_id == street_id)
        .where(GovernanceRecord.quarter == str(quarter))
        .order_by(col(GovernanceRecord.id))
    )
    return list(rows)


@dataclass(frozen=True)
class RecordEntry:
    """A record as a list shows it: whether it is undone (or waiting to be), whether it may be."""

    record: GovernanceRecord
    undone: bool
    may_undo: bool


async def records_about(
    *, session: AsyncSession, person: Person | None, enterprise_code: str, quarter: Quarter
) -> tuple[Enterprise, list[RecordEntry]]:
    """The enterprise's records of the quarter, newest first, for someone who may record about it."""
    enterprise, right = await recording_right(session=session, person=person, enterprise_code=enterprise_code)
    records = list(
        await session.exec(
            select(GovernanceRecord)
            .where(GovernanceRecord.enterprise_id == enterprise.id)
            .where(GovernanceRecord.quarter == str(quarter))
            .order_by(col(GovernanceRecord.id).desc())
        )
    )
    undone = await _undone(session, [record.id or 0 for record in records])
    entries = [
        RecordEntry(
            record=record,
            undone=record.id in undone,
            may_undo=record.status == RecordStatus.APPROVED
            and record.reverses_id is None
            and record.id not in undone
            and (record.kind not in OFFICE_KINDS or right.power == RecordPower.DIRECT),
        )
        for record in records
    ]
    return enterprise, entries
