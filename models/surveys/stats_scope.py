"""Who may see which survey numbers in the chat: the street office its street, a community
party committee member their community. The one authorization check for ``/stats``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.directory.tables import Community, Person, Role, RoleKind, Street
from models.refusal import Refused

STATS_NOT_ALLOWED = N_("These numbers are for the street property office and the community party committees.")


@dataclass(frozen=True)
class StatsScope:
    """One street or one community, with its name to show."""

    name: str
    street_id: int | None = None
    community_id: int | None = None


async def stats_scope(*, session: AsyncSession, person: Person | None) -> StatsScope:
    """The widest area whose numbers ``person`` may see, or :class:`Refused`."""
    if person is None:
        raise Refused(STATS_NOT_ALLOWED)
    roles = list(await session.exec(select(Role).where(Role.person_id == person.id).order_by(col(Role.id))))
    # An office admin's street contains every community a committee member could also see.
    for role in roles:
        if role.kind == RoleKind.OFFICE_ADMIN and role.street_id is not None:
            street = await session.get(Street, role.street_id)
            if street is not None:
                return StatsScope(name=street.name, street_id=street.id)
    for role in roles:
        if role.kind == RoleKind.PARTY_COMMITTEE and role.community_id is not None:
            community = await session.get(Community, role.community_id)
            if community is not None:
                return StatsScope(name=community.name, community_id=community.id)
    raise Refused(STATS_NOT_ALLOWED)
