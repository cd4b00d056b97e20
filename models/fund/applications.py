"""Applying for the fund: a draft by an instructor, a community party committee member or an
enterprise's staff, with its linked cases and quotes or photos; submitted, withdrawn, or
submitted again with the more information the office asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import check_office, office_admins, streets_of
from models.base import N_, id_of
from models.cases.tables import Case
from models.directory.tables import Community, Person, Role, RoleKind
from models.fund.tables import (
    FUND_STATUS_NAMES,
    FundApplication,
    FundCase,
    FundEvent,
    FundEventKind,
    FundPhoto,
    FundStatus,
    FundType,
)
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import MessageId, Refused

NOT_APPLICANT = N_(
    "Fund applications are made by instructors, community party committee members and property enterprises."
)
NO_SUCH_APPLICATION = N_("There is no such application of yours.")
NO_APPLICATION = N_("There is no such application.")  # none the person may see
UNKNOWN_CASE = N_("There is no case {number} in your street.")
NOT_NOW = N_("Application #{number} is {status} now, so this cannot be done any more.")
MAX_PHOTOS = 10
TOO_MANY_PHOTOS = N_("An application takes at most {limit} quotes or photos.")
# A case number as the bot writes it, e.g. LSW-2026-000123, also right beside Chinese text
# (where ``\b`` sees no boundary: 维修LSW-2026-000012屋顶).
CASE_NUMBER = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{1,12}-\d{4}-\d{6}(?![0-9])")


@dataclass(frozen=True)
class FundDraft:
    """What an applicant entered; the amount already in fen (models/fund/money.py)."""

    fund_type: FundType
    amount_fen: int
    purpose: str
    case_numbers: Sequence[str] = ()


async def applicant_street(*, session: AsyncSession, person: Person | None) -> int:
    """The street whose fund ``person`` may apply to; refused for anyone else."""
    if person is not None:
        roles = await session.exec(select(Role).where(Role.person_id == person.id).order_by(col(Role.id)))
        for role in roles:
            if role.kind == RoleKind.PARTY_COMMITTEE and role.community_id is not None:
                community = await session.get(Community, role.community_id)
                if community is not None:
                    return community.street_id
            if role.kind in (RoleKind.INSTRUCTOR, RoleKind.ENTERPRISE_STAFF) and role.enterprise_id:
                streets = await streets_of(session, role.enterprise_id)
                if streets:
                    return streets[0]
    raise Refused(NOT_APPLICANT)


async def add_event(
    session: AsyncSession,
    application: FundApplication,
    *,
    kind: FundEventKind,
    actor: Person | None,
    now: datetime,
    note: str | None = None,
    amount_fen: int | None = None,
) -> FundEvent:
    """Write one line of the application's history, with its status after the step."""
    event = FundEvent(
        application_id=id_of(application),
        at=now,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        status=application.status,
        note=note,
        amount_fen=amount_fen,
    )
    session.add(event)
    await session.flush()
    return event


async def _linked_cases(session: AsyncSession, street_id: int, numbers: Sequence[str]) -> list[Case]:
    cases = []
    for number in dict.fromkeys(n.upper() for n in numbers):
        case = (
            await session.exec(
                select(Case)
                .join(Community, col(Community.id) == col(Case.community_id))
                .where(Case.number == number)
                .where(Community.street_id == street_id)
            )
        ).first()
        if case is None:
            raise Refused(UNKNOWN_CASE, number=number)
        cases.append(case)
    return cases


async def create_draft(
    *, session: AsyncSession, applicant: Person, draft: FundDraft, now: datetime
) -> FundApplication:
    """A new draft application of ``applicant``'s, linked to the cases it names."""
    street_id = await applicant_street(session=session, person=applicant)
    cases = await _linked_cases(session, street_id, draft.case_numbers)
    application = FundApplication(
        street_id=street_id,
        applicant_id=id_of(applicant),
        fund_type=draft.fund_type,
        amount_fen=draft.amount_fen,
        purpose=draft.purpose,
        status=FundStatus.DRAFT,
        created_at=now,
    )
    session.add(application)
    await session.flush()
    for case in cases:
        session.add(FundCase(application_id=id_of(application), case_id=id_of(case)))
    await add_event(session, application, kind=FundEventKind.CREATED, actor=applicant, now=now)
    return application


def not_now(application: FundApplication) -> Refused:
    """The refusal of a step the application's status no longer allows, naming that status."""
    return Refused(
        NOT_NOW, number=application.id, status=MessageId(FUND_STATUS_NAMES[FundStatus(application.status)])
    )


async def own_application(
    *, session: AsyncSession, application_id: int, applicant: Person, allowed: frozenset[FundStatus]
) -> FundApplication:
    """The applicant's application, locked, in one of the ``allowed`` statuses; refused otherwise."""
    application = (
        await session.exec(
            select(FundApplication).where(FundApplication.id == application_id).with_for_update()
        )
    ).first()
    if application is None or application.applicant_id != applicant.id:
        raise Refused(NO_SUCH_APPLICATION)
    if application.status not in allowed:
        raise not_now(application)
    return application


async def _tell_office(
    session: AsyncSession, application: FundApplication, event: FundEvent, now: datetime
) -> None:
    """The office gets the application to decide, with the step (an answer to its question) that sent it."""
    for admin in await office_admins(session, application.street_id):
        await enqueue(
            session=session,
            recipient=admin,
            kind=OutboxKind.FUND_SUBMITTED,
            now=now,
            application_id=application.id,
            event_id=event.id,
        )


# The applicant's own steps: from which statuses, to which, and whether the office is told.
_STEPS: dict[FundEventKind, tuple[frozenset[FundStatus], FundStatus, bool]] = {
    FundEventKind.SUBMITTED: (frozenset({FundStatus.DRAFT}), FundStatus.SUBMITTED, True),
    FundEventKind.INFO_GIVEN: (frozenset({FundStatus.NEEDS_INFO}), FundStatus.SUBMITTED, True),
    FundEventKind.WITHDRAWN: (
        frozenset({FundStatus.DRAFT, FundStatus.SUBMITTED, FundStatus.NEEDS_INFO}),
        FundStatus.WITHDRAWN,
        False,
    ),
}


async def _applicant_step(
    session: AsyncSession,
    step: FundEventKind,
    application_id: int,
    applicant: Person,
    now: datetime,
    note: str | None = None,
) -> FundApplication:
    allowed, to, tell_office = _STEPS[step]
    application = await own_application(
        session=session, application_id=application_id, applicant=applicant, allowed=allowed
    )
    application.status = to
    if step == FundEventKind.SUBMITTED:
        application.submitted_at = now
    session.add(application)
    event = await add_event(session, application, kind=step, actor=applicant, now=now, note=note)
    if tell_office:
        await _tell_office(session, application, event, now)
    return application


async def submit_application(
    *, session: AsyncSession, application_id: int, applicant: Person, now: datetime
) -> FundApplication:
    """Send a draft to the street property office, which is told."""
    return await _applicant_step(session, FundEventKind.SUBMITTED, application_id, applicant, now)


async def give_information(
    *, session: AsyncSession, application_id: int, applicant: Person, text: str, now: datetime
) -> FundApplication:
    """The applicant's answer to the office's question: the application is submitted again."""
    return await _applicant_step(session, FundEventKind.INFO_GIVEN, application_id, applicant, now, text)


async def withdraw_application(
    *, session: AsyncSession, application_id: int, applicant: Person, now: datetime
) -> FundApplication:
    """The applicant withdraws an application not decided yet."""
    return await _applicant_step(session, FundEventKind.WITHDRAWN, application_id, applicant, now)


async def add_photo(
    *, session: AsyncSession, application_id: int, applicant: Person, file_id: str, now: datetime
) -> FundApplication:
    """Attach a quote or photo to an application still open to it (draft, or asked for more)."""
    application = await own_application(
        session=session,
        application_id=application_id,
        applicant=applicant,
        allowed=frozenset({FundStatus.DRAFT, FundStatus.NEEDS_INFO}),
    )
    photos = await photos_of(session=session, application_id=id_of(application))
    if len(photos) >= MAX_PHOTOS:
        raise Refused(TOO_MANY_PHOTOS, limit=MAX_PHOTOS)
    session.add(FundPhoto(application_id=id_of(application), file_id=file_id, added_at=now))
    await add_event(session, application, kind=FundEventKind.PHOTO, actor=applicant, now=now)
    return application


async def photos_of(*, session: AsyncSession, application_id: int) -> list[str]:
    rows = await session.exec(
        select(FundPhoto.file_id)
        .where(FundPhoto.application_id == application_id)
        .order_by(col(FundPhoto.id))
    )
    return list(rows)


async def cases_of(*, session: AsyncSession, application_id: int) -> list[Case]:
    rows = await session.exec(
        select(Case)
        .join(FundCase, col(FundCase.case_id) == col(Case.id))
        .where(FundCase.application_id == application_id)
        .order_by(col(Case.id))
    )
    return list(rows)


async def history_of(*, session: AsyncSession, application_id: int) -> list[FundEvent]:
    rows = await session.exec(
        select(FundEvent).where(FundEvent.application_id == application_id).order_by(col(FundEvent.id))
    )
    return list(rows)


async def applications_of(
    *, session: AsyncSession, applicant: Person, limit: int = 10
) -> list[FundApplication]:
    """The applicant's latest applications, newest first."""
    rows = await session.exec(
        select(FundApplication)
        .where(FundApplication.applicant_id == applicant.id)
        .order_by(col(FundApplication.id).desc())
        .limit(limit)
    )
    return list(rows)


async def waiting_applications(*, session: AsyncSession, street_id: int) -> list[FundApplication]:
    """The street's applications waiting for the office's decision, oldest first."""
    rows = await session.exec(
        select(FundApplication)
        .where(FundApplication.street_id == street_id)
        .where(FundApplication.status == FundStatus.SUBMITTED)
        .order_by(col(FundApplication.id))
    )
    return list(rows)


async def visible_application(
    *, session: AsyncSession, application_id: int, person: Person | None
) -> tuple[FundApplication, bool]:
    """The application ``person`` may see, and whether they see it as its street's office: its
    applicant sees it always, the office once it is submitted; anyone else is refused."""
    application = await session.get(FundApplication, application_id)
    if person is None or application is None:
        raise Refused(NO_APPLICATION)
    own = application.applicant_id == person.id
    try:
        await check_office(session=session, person=person, street_id=application.street_id)
        office = True
    except Refused:
        office = False
    if not own and (not office or application.status == FundStatus.DRAFT):
        raise Refused(NO_APPLICATION)
    return application, office
