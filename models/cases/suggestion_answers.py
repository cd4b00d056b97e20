"""Suggestions that get answers: routed to the community party committee and the paired
instructor, answered once with an outcome (adopted, noted, or passed to the Red Property Affairs
Hall's agenda), the author told; counted per community and per instructor.

"Passed to the agenda" is the suggestion's outcome here; models/meetings/agenda.py makes it an
item of the next meeting of its community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, update
from sqlalchemy import select as sql_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, utcnow
from models.cases.routing import shared_enterprise
from models.cases.tables import Suggestion, SuggestionOutcome
from models.directory.tables import Community, Person, Role, RoleKind
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import Refused

NOT_YOURS = N_("Only the community's party committee and its instructor answer this suggestion.")
ALREADY_ANSWERED = N_("This suggestion has already been answered.")


async def _serving_enterprise(session: AsyncSession, community: Community, now: datetime) -> int | None:
    """The community's enterprise, or the one looking after it under shared property."""
    if community.enterprise_id is not None:
        return community.enterprise_id
    shared = await shared_enterprise(session=session, community=community, now=now)
    return shared.id if shared is not None else None


def _instructors_of(enterprise_id: int) -> Any:
    return (
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == RoleKind.INSTRUCTOR)
        .where(Role.enterprise_id == enterprise_id)
        .order_by(col(Role.id))
    )


async def _community_instructor(session: AsyncSession, community: Community, now: datetime) -> Person | None:
    """The first instructor paired with the community's enterprise (or its shared-property one)."""
    enterprise_id = await _serving_enterprise(session, community, now)
    if enterprise_id is None:
        return None
    return (await session.exec(_instructors_of(enterprise_id))).first()


async def _committee(session: AsyncSession, community_id: int) -> list[Person]:
    rows = await session.exec(
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == RoleKind.PARTY_COMMITTEE)
        .where(Role.community_id == community_id)
        .order_by(col(Person.id))
    )
    return list(rows)


async def route_suggestion(*, session: AsyncSession, suggestion: Suggestion, now: datetime) -> None:
    """Send a new suggestion to the community party committee and the paired instructor."""
    community = await session.get(Community, suggestion.community_id)
    assert community is not None
    instructor = await _community_instructor(session, community, now)
    suggestion.instructor_id = instructor.id if instructor is not None else None
    session.add(suggestion)
    recipients = await _committee(session, suggestion.community_id)
    if instructor is not None and instructor.id not in {person.id for person in recipients}:
        recipients.append(instructor)
    for person in recipients:
        await enqueue(
            session=session,
            recipient=person,
            kind=OutboxKind.SUGGESTION_NEW,
            now=now,
            suggestion_id=suggestion.id,
        )


async def may_answer(*, session: AsyncSession, suggestion: Suggestion, person: Person | None) -> bool:
    """The community's party committee members, and the instructor it was routed to while they
    are still an instructor of the enterprise serving the community (the directory may have moved them)."""
    if person is None:
        return False
    if suggestion.instructor_id is not None and suggestion.instructor_id == person.id:
        community = await session.get(Community, suggestion.community_id)
        enterprise_id = await _serving_enterprise(session, community, utcnow()) if community else None
        if enterprise_id is not None:
            instructors = await session.exec(_instructors_of(enterprise_id))
            if any(instructor.id == person.id for instructor in instructors):
                return True
    return any(member.id == person.id for member in await _committee(session, suggestion.community_id))


async def suggestion_to_answer(
    *, session: AsyncSession, suggestion_id: int, person: Person | None
) -> Suggestion:
    """The unanswered suggestion ``person`` may answer; refused otherwise."""
    suggestion = await session.get(Suggestion, suggestion_id)
    if suggestion is None or not await may_answer(session=session, suggestion=suggestion, person=person):
        raise Refused(NOT_YOURS)
    if suggestion.outcome is not None:
        raise Refused(ALREADY_ANSWERED)
    return suggestion


async def answer_suggestion(
    *,
    session: AsyncSession,
    suggestion_id: int,
    person: Person,
    outcome: SuggestionOutcome,
    answer: str,
    now: datetime,
) -> Suggestion:
    """Answer a suggestion once, with its outcome; the author is told."""
    suggestion = await suggestion_to_answer(session=session, suggestion_id=suggestion_id, person=person)
    # Conditional: of two answers at once, only the first is kept.
    moved = await session.exec(
        update(Suggestion)
        .where(col(Suggestion.id) == suggestion_id)
        .where(col(Suggestion.outcome).is_(None))
        .values(outcome=outcome, answer=answer, answered_by=person.id, answered_at=now)
    )
    if moved.rowcount != 1:
        raise Refused(ALREADY_ANSWERED)
    await session.refresh(suggestion)
    author = await session.get(Person, suggestion.author_id)
    if author is not None:
        await enqueue(
            session=session,
            recipient=author,
            kind=OutboxKind.SUGGESTION_ANSWERED,
            now=now,
            suggestion_id=suggestion_id,
        )
    return suggestion


@dataclass(frozen=True)
class SuggestionCounts:
    """Suggestions received, answered and adopted (and passed to the agenda) by one group."""

    key: int | None
    received: int
    answered: int
    adopted: int
    agenda: int


async def suggestion_counts(
    *, session: AsyncSession, street_id: int, start: datetime, end: datetime, by: str
) -> list[SuggestionCounts]:
    """The street's suggestions received in [start, end), grouped ``by`` "community" or "instructor"."""
    group = col(Suggestion.community_id) if by == "community" else col(Suggestion.instructor_id)
    answered = func.count(col(Suggestion.outcome))
    adopted = func.sum(case((col(Suggestion.outcome) == SuggestionOutcome.ADOPTED.value, 1), else_=0))
    agenda = func.sum(case((col(Suggestion.outcome) == SuggestionOutcome.AGENDA.value, 1), else_=0))
    query: Any = (
        sql_select(group, func.count(col(Suggestion.id)), answered, adopted, agenda)
        .join(Community, col(Community.id) == col(Suggestion.community_id))
        .where(col(Community.street_id) == street_id)
        .where(col(Suggestion.created_at) >= start)
        .where(col(Suggestion.created_at) < end)
        .group_by(group)
        .order_by(group)
    )
    rows = await session.exec(query)
    return [SuggestionCounts(key, int(n), int(a or 0), int(d or 0), int(g or 0)) for key, n, a, d, g in rows]
