"""Who owns a case: the paired instructor, else up the three-level chain.

Paired instructor of the community's enterprise (several: the one with the fewest open
cases) → for a no-property community, the instructor of the enterprise that took it over
under shared property → the community party committee → the street property office.
Every case always has an owner level; the decision and its reason go into the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import N_, UTCDateTime, id_of, timestamp_field
from models.cases.tables import OPEN_STATUSES, Case, OwnerLevel
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind


class SharedProperty(SQLModel, table=True):
    """A good enterprise taking over ("packaging") a no-property community."""

    __tablename__ = "shared_property"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = timestamp_field()


@dataclass(frozen=True)
class Routing:
    level: OwnerLevel
    owner: Person | None
    reason: RoutingReason
    params: dict[str, Any] = field(default_factory=dict)
    # For a new case: the enterprise that answers for the community (its own, or the one
    # looking after it under shared property), whoever the owner turned out to be.
    enterprise_id: int | None = None


class RoutingReason(StrEnum):
    """Why a case went to its owner; stored in the timeline as this stable code, not as text."""

    INSTRUCTOR = "instructor"
    SHARED = "shared"
    COMMITTEE = "committee"
    COMMITTEE_UP = "committee_up"
    OFFICE = "office"
    OFFICE_UP = "office_up"
    HANDED_ON = "handed_on"  # the directory took the owner's role away


REASON_TEXTS: dict[RoutingReason, str] = {
    RoutingReason.INSTRUCTOR: N_("Assigned to the instructor paired with {enterprise}."),
    RoutingReason.SHARED: N_(
        "No property enterprise; {enterprise} looks after this community under shared property."
    ),
    RoutingReason.COMMITTEE: N_(
        "No instructor reachable for this community; its party committee ({community}) takes it."
    ),
    RoutingReason.COMMITTEE_UP: N_("Escalated to the community party committee of {community}."),
    RoutingReason.OFFICE: N_("Nobody else reachable: the street property office takes it."),
    RoutingReason.OFFICE_UP: N_("Escalated to the street property office."),
    RoutingReason.HANDED_ON: N_("{previous} no longer handles this case in the directory; it was handed on."),
}


def reason_text(code: str) -> str | None:
    """The message id (to translate) for a stored reason code; None for an unknown code."""
    try:
        return REASON_TEXTS[RoutingReason(code)]
    except ValueError:
        return None


@cache
def _least_loaded_query(kind: RoleKind, scope: str, excluding: bool) -> SelectOfScalar[Person]:
    """The query of :func:`_least_loaded`, built once per shape; the values are parameters."""
    open_cases = (
        select(func.count(col(Case.id)))
        .where(col(Case.owner_id) == col(Person.id))
        .where(col(Case.status).in_(list(OPEN_STATUSES)))
        .scalar_subquery()
    )
    query = (
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == kind)
        .where(col(Person.telegram_id).is_not(None))
        .where(col(Person.reachable).is_(True))
        .where(getattr(Role, scope) == bindparam("scope"))
        .order_by(open_cases, col(Person.id))
        .limit(1)
    )
    if excluding:
        query = query.where(col(Person.id).not_in(bindparam("exclude", expanding=True)))
    return query


async def _least_loaded(
    *, session: AsyncSession, kind: RoleKind, exclude: set[int], scope: str, value: int
) -> Person | None:
    """The reachable holder of a role within ``scope`` (a :class:`Role` column equal to ``value``)
    who has the fewest open cases (ties: longest registered)."""
    query = _least_loaded_query(kind, scope, bool(exclude))
    params: dict[str, Any] = {"scope": value, "exclude": sorted(exclude)} if exclude else {"scope": value}
    return (await session.exec(query, params=params)).first()


async def shared_enterprise(
    *, session: AsyncSession, community: Community, now: datetime
) -> Enterprise | None:
    """The enterprise currently looking after a no-property community, if any."""
    query = (
        select(Enterprise)
        .join(SharedProperty, col(SharedProperty.enterprise_id) == col(Enterprise.id))
        .where(SharedProperty.community_id == community.id)
        .where(col(SharedProperty.started_at) <= now)
        .where((col(SharedProperty.ended_at).is_(None)) | (col(SharedProperty.ended_at) > now))
        .order_by(col(SharedProperty.started_at).desc())
    )
    return (await session.exec(query)).first()


async def route_case(
    *, session: AsyncSession, community: Community, now: datetime, exclude: set[int] | None = None
) -> Routing:
    """Decide who owns a new case from ``community``."""
    exclude = exclude or set()
    enterprise = None
    reason = RoutingReason.INSTRUCTOR
    if community.enterprise_id is not None:
        enterprise = await session.get(Enterprise, community.enterprise_id)
    else:
        enterprise = await shared_enterprise(session=session, community=community, now=now)
        reason = RoutingReason.SHARED
    if enterprise is not None:
        instructor = await _least_loaded(
            session=session,
            kind=RoleKind.INSTRUCTOR,
            exclude=exclude,
            scope="enterprise_id",
            value=id_of(enterprise),
        )
        if instructor is not None:
            params = {"enterprise": enterprise.name}
            return Routing(OwnerLevel.INSTRUCTOR, instructor, reason, params, enterprise.id)
    above = await route_up(
        session=session, community=community, level=OwnerLevel.INSTRUCTOR, exclude=exclude, escalating=False
    )
    return replace(above, enterprise_id=enterprise.id if enterprise is not None else None)


async def route_up(
    *,
    session: AsyncSession,
    community: Community,
    level: OwnerLevel,
    exclude: set[int] | None = None,
    escalating: bool = True,
) -> Routing:
    """The owner one level above ``level`` (the office stays the office, with another admin if any)."""
    exclude = exclude or set()
    if level == OwnerLevel.INSTRUCTOR:
        member = await _least_loaded(
            session=session,
            kind=RoleKind.PARTY_COMMITTEE,
            exclude=exclude,
            scope="community_id",
            value=id_of(community),
        )
        if member is not None:
            reason = RoutingReason.COMMITTEE_UP if escalating else RoutingReason.COMMITTEE
            return Routing(OwnerLevel.PARTY_COMMITTEE, member, reason, {"community": community.name})
    admin = await _least_loaded(
        session=session,
        kind=RoleKind.OFFICE_ADMIN,
        exclude=exclude,
        scope="street_id",
        value=community.street_id,
    )
    return Routing(OwnerLevel.OFFICE, admin, RoutingReason.OFFICE_UP if escalating else RoutingReason.OFFICE)
