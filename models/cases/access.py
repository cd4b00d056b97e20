"""Who may do what with a case: the one place the chat and the outbox ask.

Power over a case follows the directory at the moment of the action: its owner acts on it
only while they still hold a role that covers it (an instructor of its enterprise, a party
committee member of its community, an admin of its street's office), and enterprise staff
only while they work for the enterprise it was forwarded to. Permission is checked before
state, so someone with no business with a case learns nothing about it from a refusal.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.tables import OPEN_STATUSES, Case, CaseStatus, OwnerLevel
from models.cases.timeline import NOT_ALLOWED, wrong_status
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Community, Person, Role, RoleKind
from models.refusal import Refused


class Action(StrEnum):
    ACCEPT = "accept"
    FORWARD = "forward"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    NOTE = "note"
    RESOLVE = "resolve"
    WORK_DONE = "work_done"
    WITHDRAW = "withdraw"


# Which statuses each action may start from (the transition table has the last word).
ACTION_FROM: dict[Action, frozenset[CaseStatus]] = {
    Action.ACCEPT: frozenset({CaseStatus.ASSIGNED, CaseStatus.REOPENED, CaseStatus.REJECTED}),
    Action.FORWARD: frozenset({CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.REOPENED}),
    Action.REJECT: frozenset({CaseStatus.ASSIGNED}),
    Action.DUPLICATE: frozenset({CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.REJECTED}),
    Action.NOTE: frozenset(
        {CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED}
    ),
    Action.RESOLVE: frozenset({CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED}),
    Action.WORK_DONE: frozenset({CaseStatus.IN_PROGRESS}),
    Action.WITHDRAW: OPEN_STATUSES,
}

OWNER_ACTIONS = frozenset(
    {Action.ACCEPT, Action.FORWARD, Action.REJECT, Action.DUPLICATE, Action.NOTE, Action.RESOLVE}
)
STAFF_ACTIONS = frozenset({Action.NOTE, Action.WORK_DONE})
# The roles that handle cases: they have a work list (/cases).
HANDLER_ROLES = frozenset(
    {RoleKind.INSTRUCTOR, RoleKind.ENTERPRISE_STAFF, RoleKind.PARTY_COMMITTEE, RoleKind.OFFICE_ADMIN}
)


async def roles_of_person(session: AsyncSession, person: Person) -> list[Role]:
    return list(await session.exec(select(Role).where(Role.person_id == person.id)))


async def roles_cover(session: AsyncSession, case: Case, roles: list[Role]) -> bool:
    """Whether one of ``roles`` covers the case at its owner's level."""
    if case.owner_level == OwnerLevel.INSTRUCTOR:
        return any(r.kind == RoleKind.INSTRUCTOR and r.enterprise_id == case.enterprise_id for r in roles)
    if case.owner_level == OwnerLevel.PARTY_COMMITTEE:
        return any(r.kind == RoleKind.PARTY_COMMITTEE and r.community_id == case.community_id for r in roles)
    return await _office_of(session, case, roles)


async def _office_of(session: AsyncSession, case: Case, roles: list[Role]) -> bool:
    """Whether one of ``roles`` is an admin of the street property office of the case's street."""
    streets = {r.street_id for r in roles if r.kind == RoleKind.OFFICE_ADMIN}
    if not streets:
        return False
    community = await session.get(Community, case.community_id)
    return community is not None and community.street_id in streets


async def permitted_actions(*, session: AsyncSession, case: Case, person: Person) -> set[Action]:
    """What ``person``'s place in the directory lets them do with the case, whatever its status."""
    actions: set[Action] = set()
    if person.id is None:
        return actions
    roles = await roles_of_person(session, person)
    if case.owner_id == person.id:
        is_owner = await roles_cover(session, case, roles)
    else:
        is_owner = case.owner_level == OwnerLevel.OFFICE and await _office_of(session, case, roles)
    if is_owner:
        actions |= OWNER_ACTIONS
        if case.enterprise_id is None:
            actions.discard(Action.FORWARD)  # a no-property community: no enterprise to forward to
    is_staff = case.forwarded_enterprise_id is not None and any(
        role.kind == RoleKind.ENTERPRISE_STAFF and role.enterprise_id == case.forwarded_enterprise_id
        for role in roles
    )
    if is_staff:
        actions |= STAFF_ACTIONS if case.work_done_at is None else {Action.NOTE}
    if case.reporter_id == person.id:
        actions.add(Action.WITHDRAW)
    return actions


def allowed_now(case: Case, permitted: set[Action]) -> set[Action]:
    """Of the permitted actions, those the case's status allows now."""
    return {action for action in permitted if case.status in ACTION_FROM[action]}


async def allowed_actions(*, session: AsyncSession, case: Case, person: Person) -> set[Action]:
    """The actions ``person`` may take on ``case`` now: permitted, and allowed by its status."""
    return allowed_now(case, await permitted_actions(session=session, case=case, person=person))


async def authorize(*, session: AsyncSession, case: Case, person: Person, action: Action) -> None:
    """Refuse unless ``person`` may take ``action`` on the case now; permission is asked first."""
    if action not in await permitted_actions(session=session, case=case, person=person):
        raise Refused(NOT_ALLOWED)
    if case.status not in ACTION_FROM[action]:
        raise wrong_status(case)


async def case_for_action(*, session: AsyncSession, case_id: int, person: Person, action: Action) -> Case:
    """The case, if ``person`` may take ``action`` on it now (an unknown id is refused like a
    forbidden one); for asking the words an action needs before taking it."""
    case = await session.get(Case, case_id)
    if case is None:
        raise Refused(NOT_ALLOWED)
    await authorize(session=session, case=case, person=person, action=action)
    return case


async def may_handle(*, session: AsyncSession, case: Case, person: Person) -> bool:
    """Whether ``person`` handles the case: sees its card, the reporter's phone number included."""
    return bool(await permitted_actions(session=session, case=case, person=person) - {Action.WITHDRAW})


async def may_view(*, session: AsyncSession, case: Case, person: Person) -> bool:
    """Whether ``person`` may read the case's timeline: its reporter, someone who handles it, or the
    street property office of its street, which answers for every case there."""
    if case.reporter_id == person.id or await may_handle(session=session, case=case, person=person):
        return True
    return await _office_of(session, case, await roles_of_person(session, person))


async def case_handler(*, session: AsyncSession, telegram_id: int) -> Person | None:
    """The person behind a Telegram account if they hold a role that handles cases (has /cases)."""
    person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    if person is None:
        return None
    kinds = await session.exec(select(col(Role.kind)).where(Role.person_id == person.id))
    return person if {RoleKind(kind) for kind in kinds} & HANDLER_ROLES else None
