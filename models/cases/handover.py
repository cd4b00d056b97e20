"""When the directory takes a role away, the person's open cases go on to someone who holds it.

Power over a case follows the directory (models/cases/access.py), so a person whose role was
removed could no longer act on the cases they own; this hands each such case to whoever the
routing rules pick at the same level (another instructor of the enterprise, another member of
the community's party committee, another admin of the street's office; else one level up),
in the caller's transaction, with a timeline line saying why, and the card goes to the new owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.access import roles_cover, roles_of_person
from models.cases.routing import Routing, RoutingReason, route_case, route_up
from models.cases.tables import OPEN_STATUSES, Case, OwnerLevel
from models.cases.timeline import give_to
from models.directory.tables import Community, Person


@dataclass(frozen=True)
class HandedOn:
    """One case that changed hands: its number, who had it, who has it now (None: nobody reachable)."""

    number: str
    previous: str
    owner: str | None


async def _same_level(
    session: AsyncSession, case: Case, community: Community, previous: int, now: datetime
) -> Routing:
    exclude = {previous}
    if case.owner_level == OwnerLevel.INSTRUCTOR:
        return await route_case(session=session, community=community, now=now, exclude=exclude)
    below = (
        OwnerLevel.INSTRUCTOR
        if case.owner_level == OwnerLevel.PARTY_COMMITTEE
        else OwnerLevel.PARTY_COMMITTEE
    )
    return await route_up(
        session=session, community=community, level=below, exclude=exclude, escalating=False
    )


async def hand_on_uncovered_cases(
    *, session: AsyncSession, person_ids: Iterable[int], now: datetime
) -> list[HandedOn]:
    """Give the open cases these people own, and no longer hold a role for, to whoever now does."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    owned = await session.exec(
        select(Case)
        .where(col(Case.owner_id).in_(ids))
        .where(col(Case.status).in_(list(OPEN_STATUSES)))
        .order_by(col(Case.id))
        .with_for_update()
    )
    handed = []
    for case in list(owned):
        person = await session.get(Person, case.owner_id)
        assert person is not None and person.id is not None
        if await roles_cover(session, case, await roles_of_person(session, person)):
            continue
        community = await session.get(Community, case.community_id)
        assert community is not None
        routing = await _same_level(session, case, community, person.id, now)
        await give_to(
            session,
            case,
            replace(
                routing, reason=RoutingReason.HANDED_ON, params={**routing.params, "previous": person.name}
            ),
            now,
        )
        handed.append(HandedOn(case.number, person.name, routing.owner.name if routing.owner else None))
    return handed
