"""Scheduling an Affairs Hall: who may, whom it invites, their answers, the reminder the day before.

A street office admin schedules for communities of their street; a community party committee
member only for their own community. A meeting in the past is refused. The invitations, the
reminder and the answers' buttons go through the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.access import roles_of_person
from models.directory.tables import Community, Person, Role, RoleKind
from models.meetings.tables import Invitation, Meeting, MeetingCommunity, MeetingStatus
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import Refused

IN_THE_PAST = N_("The meeting must be in the future.")
NOT_AN_ADMIN = N_(
    "Only a street office admin, or a community party committee member for their own community, "
    "can schedule the Affairs Hall."
)
UNKNOWN_COMMUNITY = N_("There is no community with the code {code}.")
NO_COMMUNITIES = N_("Name at least one community.")
STALE = N_("This meeting's agenda has changed or the meeting is over; nothing was changed.")
REMIND_BEFORE = timedelta(days=1)
FOR_ENTERPRISE = frozenset({RoleKind.ENTERPRISE_HEAD, RoleKind.PARTY_BRANCH_CONTACT})


async def communities_by_code(*, session: AsyncSession, codes: list[str]) -> list[Community]:
    """The communities of these codes, in order; an unknown code is refused."""
    if not codes:
        raise Refused(NO_COMMUNITIES)
    found = []
    for code in codes:
        community = (await session.exec(select(Community).where(Community.code == code))).first()
        if community is None:
            raise Refused(UNKNOWN_COMMUNITY, code=code)
        found.append(community)
    return found


async def may_run(*, session: AsyncSession, person: Person, communities: list[Community]) -> bool:
    """Whether ``person`` may schedule (and run) a meeting for these communities."""
    roles = await roles_of_person(session, person)
    offices = {role.street_id for role in roles if role.kind == RoleKind.OFFICE_ADMIN}
    committees = {role.community_id for role in roles if role.kind == RoleKind.PARTY_COMMITTEE}
    streets = {community.street_id for community in communities}
    if len(streets) == 1 and streets <= offices:
        return True
    return len(communities) == 1 and communities[0].id in committees


async def meeting_communities(*, session: AsyncSession, meeting: Meeting) -> list[Community]:
    query = (
        select(Community)
        .join(MeetingCommunity, col(MeetingCommunity.community_id) == col(Community.id))
        .where(MeetingCommunity.meeting_id == meeting.id)
        .order_by(col(Community.id))
    )
    return list(await session.exec(query))


async def invitees(
    *, session: AsyncSession, communities: list[Community]
) -> dict[int, tuple[Person, int | None]]:
    """Everyone the meeting invites, with the enterprise they come for: the communities' party
    committee and owners' committee members, and their enterprises' heads, party-branch contacts
    and instructors."""
    community_ids = [id_of(community) for community in communities]
    enterprise_ids = [c.enterprise_id for c in communities if c.enterprise_id is not None]
    query = (
        select(Person, Role)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(
            or_(
                and_(
                    col(Role.kind).in_([RoleKind.PARTY_COMMITTEE, RoleKind.OWNERS_COMMITTEE]),
                    col(Role.community_id).in_(community_ids),
                ),
                and_(
                    col(Role.kind).in_(
                        [RoleKind.ENTERPRISE_HEAD, RoleKind.PARTY_BRANCH_CONTACT, RoleKind.INSTRUCTOR]
                    ),
                    col(Role.enterprise_id).in_(enterprise_ids),
                ),
            )
        )
        .order_by(col(Person.id))
    )
    found: dict[int, tuple[Person, int | None]] = {}
    for person, role in await session.exec(query):
        # Heads and party-branch contacts come for their enterprise: its attendance counts.
        enterprise = role.enterprise_id if role.kind in FOR_ENTERPRISE else None
        previous = found.get(id_of(person))
        found[id_of(person)] = (person, enterprise if enterprise is not None else previous and previous[1])
    return found


async def schedule_meeting(
    *,
    session: AsyncSession,
    actor: Person,
    starts_at: datetime,
    place: str,
    community_codes: list[str],
    now: datetime,
) -> Meeting:
    """Schedule the meeting, invite everyone concerned and build the draft agenda."""
    communities = await communities_by_code(session=session, codes=community_codes)
    if not await may_run(session=session, person=actor, communities=communities):
        raise Refused(NOT_AN_ADMIN)
    if starts_at <= now:
        raise Refused(IN_THE_PAST)
    meeting = Meeting(
        street_id=communities[0].street_id,
        scheduled_by=id_of(actor),
        starts_at=starts_at,
        place=place,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    for community in communities:
        session.add(MeetingCommunity(meeting_id=id_of(meeting), community_id=id_of(community)))
    for person, enterprise_id in (await invitees(session=session, communities=communities)).values():
        invitation = Invitation(
            meeting_id=id_of(meeting), person_id=id_of(person), enterprise_id=enterprise_id
        )
        session.add(invitation)
        await session.flush()
        await enqueue(
            session=session,
            recipient=person,
            kind=OutboxKind.MEETING_INVITATION,
            now=now,
            invitation_id=invitation.id,
        )
    return meeting


async def open_meeting(*, session: AsyncSession, meeting_id: int) -> Meeting:
    """A meeting whose agenda may still change; a held (or unknown) one is refused as stale."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
        raise Refused(STALE)
    return meeting


async def answer_invitation(
    *, session: AsyncSession, invitation_id: int, person: Person, coming: bool, now: datetime
) -> Invitation:
    """The invitee says they come or not (again: the last answer counts)."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.person_id != person.id:
        raise Refused(STALE)
    await open_meeting(session=session, meeting_id=invitation.meeting_id)
    invitation.coming = coming
    session.add(invitation)
    return invitation


async def due_meeting_reminders(*, session: AsyncSession, now: datetime, limit: int) -> list[int]:
    """Remind the invitees of meetings starting within a day, once each (a conditional UPDATE)."""
    query = (
        select(Invitation, Person)
        .join(Meeting, col(Meeting.id) == col(Invitation.meeting_id))
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .where(Meeting.status == MeetingStatus.SCHEDULED)
        .where(col(Meeting.starts_at) > now)
        .where(col(Meeting.starts_at) <= now + REMIND_BEFORE)
        .where(col(Invitation.reminded_at).is_(None))
        .where(or_(col(Invitation.coming).is_(None), col(Invitation.coming).is_(True)))
        .limit(limit)
    )
    reminded = []
    for invitation, person in list(await session.exec(query)):
        result = await session.exec(
            update(Invitation)
            .where(col(Invitation.id) == invitation.id)
            .where(col(Invitation.reminded_at).is_(None))
            .values(reminded_at=now)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            await enqueue(
                session=session,
                recipient=person,
                kind=OutboxKind.MEETING_REMINDER,
                now=now,
                invitation_id=invitation.id,
            )
            reminded.append(id_of(invitation))
    return reminded


async def visible_meetings(*, session: AsyncSession, person: Person) -> list[tuple[Meeting, bool]]:
    """The scheduled meetings ``person`` is invited to or runs, soonest first, each with whether
    they run it."""
    invited = set(await session.exec(select(Invitation.meeting_id).where(Invitation.person_id == person.id)))
    found = []
    query = (
        select(Meeting).where(col(Meeting.status) == MeetingStatus.SCHEDULED).order_by(col(Meeting.starts_at))
    )
    for meeting in list(await session.exec(query)):
        communities = await meeting_communities(session=session, meeting=meeting)
        runs = await may_run(session=session, person=person, communities=communities)
        if runs or meeting.id in invited:
            found.append((meeting, runs))
    return found
