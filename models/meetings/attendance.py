"""The Affairs Hall's attendance as the assessment's governance input: when a meeting is closed,
each enterprise invited to it gets one joint-meeting record (``RecordKind.MEETING``), yes if
someone coming for it attended. The assessment's meeting item is the share of these records that
say yes (docs/assessment.md, Participation), so it is the share of meetings the enterprise
attended. Closed by the office, the record counts at once; by a committee member, it waits for
the office's approval like their other records. A quarter already final is left as it is.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from fractions import Fraction

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import office_admins
from models.assessment.records import check_quarter_open
from models.assessment.tables import GovernanceRecord, RecordKind, RecordStatus
from models.base import id_of
from models.cases.access import roles_of_person
from models.directory.tables import Person, RoleKind
from models.meetings.tables import Invitation, Meeting, MeetingStatus
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.periods import Quarter
from models.refusal import Refused


async def enterprises_attended(*, session: AsyncSession, meeting: Meeting) -> dict[int, bool]:
    """Each enterprise invited to the meeting, and whether someone coming for it attended."""
    rows = await session.exec(
        select(Invitation.enterprise_id, Invitation.attended)
        .where(Invitation.meeting_id == meeting.id)
        .where(col(Invitation.enterprise_id).is_not(None))
    )
    attended: dict[int, bool] = {}
    for enterprise_id, came in rows:
        if enterprise_id is not None:
            attended[enterprise_id] = attended.get(enterprise_id, False) or bool(came)
    return attended


async def record_attendance(
    *, session: AsyncSession, meeting: Meeting, actor: Person, now: datetime, tz: tzinfo
) -> list[GovernanceRecord]:
    """The joint-meeting records of a meeting being closed (none if its quarter is final)."""
    quarter = Quarter.of(meeting.starts_at, tz)
    try:
        await check_quarter_open(
            session=session, street_id=meeting.street_id, quarter=quarter, now=now, tz=tz
        )
    except Refused:
        return []
    office = any(
        role.kind == RoleKind.OFFICE_ADMIN and role.street_id == meeting.street_id
        for role in await roles_of_person(session, actor)
    )
    records = []
    for enterprise_id, came in (await enterprises_attended(session=session, meeting=meeting)).items():
        record = GovernanceRecord(
            street_id=meeting.street_id,
            enterprise_id=enterprise_id,
            quarter=str(quarter),
            kind=RecordKind.MEETING,
            yes=came,
            note=f"Affairs Hall #{meeting.id}",
            recorded_by=id_of(actor),
            recorded_at=now,
            status=RecordStatus.APPROVED if office else RecordStatus.PENDING,
            decided_by=actor.id if office else None,
            decided_at=now if office else None,
        )
        session.add(record)
        records.append(record)
    if records and not office:  # a committee member closed it: the office approves, as any record
        await session.flush()
        for admin in await office_admins(session, meeting.street_id):
            for record in records:
                await enqueue(
                    session=session,
                    recipient=admin,
                    kind=OutboxKind.RECORD_PENDING,
                    now=now,
                    record_id=record.id,
                )
    return records


async def attendance_share(
    *, session: AsyncSession, enterprise_id: int, start: datetime, end: datetime
) -> Fraction | None:
    """The share of the held meetings in ``[start, end)`` that invited the enterprise and that it
    attended; None if it was invited to none."""
    query = (
        select(Meeting)
        .join(Invitation, col(Invitation.meeting_id) == col(Meeting.id))
        .where(Meeting.status == MeetingStatus.HELD)
        .where(col(Meeting.starts_at) >= start)
        .where(col(Meeting.starts_at) < end)
        .where(Invitation.enterprise_id == enterprise_id)
    )
    meetings = {id_of(meeting): meeting for meeting in await session.exec(query)}
    if not meetings:
        return None
    came = 0
    for meeting in meetings.values():
        came += bool((await enterprises_attended(session=session, meeting=meeting)).get(enterprise_id))
    return Fraction(came, len(meetings))
