"""Who may do what in the assessment, asked of the directory at the moment of the action.

The street property office runs it (publishes, decides, finalises, records directly);
instructors and community party committee members record for the enterprises they work with,
which takes effect once the office approves; an enterprise's staff and instructors see its
breakdown, and its staff appeal. Nobody records about an enterprise they work for.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind
from models.refusal import Refused

NOT_OFFICE = N_("Only the street property office can do this.")
NOT_RECORDER = N_(
    "Governance records are made by the street property office, community party committees and instructors."
)
OWN_ENTERPRISE = N_("You work for {enterprise}, so you cannot record about it.")
UNKNOWN_ENTERPRISE = N_("No property enterprise with the code “{code}” works in your street.")
NOT_YOUR_SCORES = N_("The scores are for the street property office and the community party committees.")
NO_ENTERPRISE_OF_YOURS = N_("Only an enterprise's staff and its instructors see its score.")


class RecordPower(StrEnum):
    DIRECT = "direct"  # the office: the record counts at once
    FOR_APPROVAL = "for_approval"  # an instructor or a committee member: the office approves it


async def _roles(session: AsyncSession, person: Person) -> list[Role]:
    return list(await session.exec(select(Role).where(Role.person_id == person.id).order_by(col(Role.id))))


async def office_street(*, session: AsyncSession, person: Person | None) -> int:
    """The street whose property office ``person`` works for, or refused."""
    if person is not None:
        for role in await _roles(session, person):
            if role.kind == RoleKind.OFFICE_ADMIN and role.street_id is not None:
                return role.street_id
    raise Refused(NOT_OFFICE)


async def check_office(*, session: AsyncSession, person: Person | None, street_id: int) -> None:
    """Refuse unless ``person`` is an admin of that street's property office."""
    if person is not None:
        for role in await _roles(session, person):
            if role.kind == RoleKind.OFFICE_ADMIN and role.street_id == street_id:
                return
    raise Refused(NOT_OFFICE)


async def streets_of(session: AsyncSession, enterprise_id: int) -> list[int]:
    """The streets where the enterprise manages communities, in the order of their ids."""
    rows = await session.exec(
        select(col(Community.street_id))
        .where(col(Community.enterprise_id) == enterprise_id)
        .order_by(col(Community.id))
    )
    return list(dict.fromkeys(rows))


@dataclass(frozen=True)
class RecordingRight:
    """How a person's record about an enterprise takes effect, and for which street."""

    power: RecordPower
    street_id: int


async def recording_right(
    *, session: AsyncSession, person: Person | None, enterprise_code: str
) -> tuple[Enterprise, RecordingRight]:
    """The enterprise by its code, and how ``person`` may record about it; refused otherwise."""
    if person is None:
        raise Refused(NOT_RECORDER)
    code = enterprise_code.strip().lower()
    enterprise = (await session.exec(select(Enterprise).where(col(Enterprise.code) == code))).first()
    roles = await _roles(session, person)
    if enterprise is None:
        raise Refused(UNKNOWN_ENTERPRISE, code=enterprise_code.strip())
    if any(r.kind == RoleKind.ENTERPRISE_STAFF and r.enterprise_id == enterprise.id for r in roles):
        raise Refused(OWN_ENTERPRISE, enterprise=enterprise.name)
    streets = await streets_of(session, enterprise.id or 0)
    for role in roles:
        if role.kind == RoleKind.OFFICE_ADMIN and role.street_id in streets:
            return enterprise, RecordingRight(RecordPower.DIRECT, role.street_id)
    if any(role.kind == RoleKind.OFFICE_ADMIN for role in roles):
        raise Refused(UNKNOWN_ENTERPRISE, code=enterprise_code.strip())
    for role in roles:
        if role.kind == RoleKind.INSTRUCTOR and role.enterprise_id == enterprise.id and streets:
            return enterprise, RecordingRight(RecordPower.FOR_APPROVAL, streets[0])
        if role.kind == RoleKind.PARTY_COMMITTEE and role.community_id is not None:
            community = await session.get(Community, role.community_id)
            if community is not None and community.enterprise_id == enterprise.id:
                return enterprise, RecordingRight(RecordPower.FOR_APPROVAL, community.street_id)
    raise Refused(NOT_RECORDER)


async def recordable_enterprises(*, session: AsyncSession, person: Person | None) -> list[Enterprise]:
    """The enterprises ``person`` may record about, by name: the office its streets', an instructor
    those they are paired with, a committee member their communities'; never one they work for.
    Refused for anyone who makes no records."""
    roles = await _roles(session, person) if person is not None else []
    streets = [r.street_id for r in roles if r.kind == RoleKind.OFFICE_ADMIN and r.street_id]
    paired = [r.enterprise_id for r in roles if r.kind == RoleKind.INSTRUCTOR and r.enterprise_id]
    communities = [r.community_id for r in roles if r.kind == RoleKind.PARTY_COMMITTEE and r.community_id]
    if not (streets or paired or communities):
        raise Refused(NOT_RECORDER)
    # As in recording_right: an office admin records about the enterprises of their streets only.
    about: ColumnElement[bool]
    if streets:
        about = col(Enterprise.id).in_(
            select(col(Community.enterprise_id)).where(col(Community.street_id).in_(streets))
        )
    else:
        about = col(Enterprise.id).in_(paired) | col(Enterprise.id).in_(
            select(col(Community.enterprise_id)).where(col(Community.id).in_(communities))
        )
    own = [r.enterprise_id for r in roles if r.kind == RoleKind.ENTERPRISE_STAFF and r.enterprise_id]
    rows = await session.exec(
        select(Enterprise)
        .where(about)
        .where(col(Enterprise.id).not_in(own))
        .order_by(col(Enterprise.name), col(Enterprise.id))
    )
    return list(rows)


@dataclass(frozen=True)
class RankingScope:
    """What a person sees of a street's ranking: all of it (the office), or some enterprises."""

    street_id: int
    enterprise_ids: frozenset[int] | None  # None: every enterprise of the street
    is_office: bool


async def ranking_scope(*, session: AsyncSession, person: Person | None) -> RankingScope:
    """The office sees its street; a committee member the enterprises of their communities."""
    if person is not None:
        roles = await _roles(session, person)
        for role in roles:
            if role.kind == RoleKind.OFFICE_ADMIN and role.street_id is not None:
                return RankingScope(role.street_id, None, True)
        communities = [r.community_id for r in roles if r.kind == RoleKind.PARTY_COMMITTEE and r.community_id]
        if communities:
            rows = list(await session.exec(select(Community).where(col(Community.id).in_(communities))))
            enterprises = frozenset(c.enterprise_id for c in rows if c.enterprise_id is not None)
            return RankingScope(rows[0].street_id, enterprises, False)
    raise Refused(NOT_YOUR_SCORES)


async def own_enterprises(*, session: AsyncSession, person: Person | None) -> list[Enterprise]:
    """The enterprises whose score ``person`` may see: where they are staff or instructor."""
    if person is not None:
        kinds = (RoleKind.ENTERPRISE_STAFF, RoleKind.INSTRUCTOR)
        ids = [r.enterprise_id for r in await _roles(session, person) if r.kind in kinds and r.enterprise_id]
        if ids:
            rows = await session.exec(
                select(Enterprise).where(col(Enterprise.id).in_(ids)).order_by(col(Enterprise.id))
            )
            return list(rows)
    raise Refused(NO_ENTERPRISE_OF_YOURS)


async def is_staff_of(*, session: AsyncSession, person: Person, enterprise_id: int) -> bool:
    return any(
        role.kind == RoleKind.ENTERPRISE_STAFF and role.enterprise_id == enterprise_id
        for role in await _roles(session, person)
    )


async def office_admins(session: AsyncSession, street_id: int) -> list[Person]:
    """The street property office's admins."""
    rows = await session.exec(
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == RoleKind.OFFICE_ADMIN)
        .where(Role.street_id == street_id)
        .order_by(col(Person.id))
    )
    return list(rows)
