"""Where a resident lives and how to reach them: community, building/unit, and a shared phone.

A resident joins a community through its QR poster link (by the community's code) or by
picking street then community; the building/unit is optional free text. A phone number is
only ever the resident's own, shared through Telegram's contact button.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.directory.tables import Community, Person, Street
from models.refusal import Refused

COMMUNITY_PREFIX = "c-"  # the /start payload of a community's QR poster: c-<community code>
MAX_BUILDING_LENGTH = 100  # the column's size

UNKNOWN_COMMUNITY = N_("This community code is not known. Please choose your community from the list.")
NOT_IN_STREET = N_("This community is not in the street you chose.")
BUILDING_TOO_LONG = N_("Please keep the building and unit to {limit} characters or fewer.")
NOT_YOUR_CONTACT = N_("Please share your own contact with the button, not someone else's.")


@dataclass(frozen=True)
class Residence:
    """What /profile shows: the person with their community and its street, if chosen."""

    person: Person
    community: Community | None
    street: Street | None


async def _place(session: AsyncSession, person: Person, community: Community) -> Community:
    if person.community_id != community.id:
        # A building/unit belongs to the old community; it would mislead in the new one.
        person.building = None
    person.community_id = community.id
    session.add(person)
    await session.flush()
    return community


async def join_community(*, session: AsyncSession, person: Person, community_code: str) -> Community:
    """Make ``person`` a resident of the community with this code (from its QR poster)."""
    code = community_code.strip().lower()
    community = (await session.exec(select(Community).where(func.lower(col(Community.code)) == code))).first()
    if not code or community is None:
        raise Refused(UNKNOWN_COMMUNITY)
    return await _place(session, person, community)


async def choose_community(
    *, session: AsyncSession, person: Person, community_id: int, street_id: int
) -> Community:
    """Make ``person`` a resident of a community picked from ``street_id``'s list."""
    community = await session.get(Community, community_id)
    if community is None:
        raise Refused(UNKNOWN_COMMUNITY)
    if community.street_id != street_id:
        raise Refused(NOT_IN_STREET)
    return await _place(session, person, community)


async def set_building(*, session: AsyncSession, person: Person, building: str | None) -> Person:
    """Set the building/unit as the resident wrote it; empty or None clears it."""
    value = " ".join(building.split()) if building else ""
    if len(value) > MAX_BUILDING_LENGTH:
        raise Refused(BUILDING_TOO_LONG, limit=MAX_BUILDING_LENGTH)
    person.building = value or None
    session.add(person)
    await session.flush()
    return person


async def set_phone(
    *, session: AsyncSession, person: Person, phone: str, contact_user_id: int | None
) -> Person:
    """Store the phone of a contact the person shared; only their own contact card counts."""
    if person.telegram_id is None or contact_user_id != person.telegram_id:
        raise Refused(NOT_YOUR_CONTACT)
    person.phone = phone.strip()[:40]
    person.phone_shared = True
    session.add(person)
    await session.flush()
    return person


async def remove_phone(*, session: AsyncSession, person: Person) -> Person:
    """Forget the phone the person shared; removing twice is harmless."""
    if person.phone_shared:
        person.phone = None
        person.phone_shared = False
        session.add(person)
        await session.flush()
    return person


async def residence_of(*, session: AsyncSession, person: Person) -> Residence:
    community = await session.get(Community, person.community_id) if person.community_id else None
    street = await session.get(Street, community.street_id) if community is not None else None
    return Residence(person=person, community=community, street=street)


async def streets_page(*, session: AsyncSession, page: int, per_page: int) -> tuple[list[Street], int]:
    """One page of the streets, by name, and how many there are."""
    total = (await session.exec(select(func.count(col(Street.id))))).one()
    rows = await session.exec(
        select(Street).order_by(col(Street.name), col(Street.id)).offset(page * per_page).limit(per_page)
    )
    return list(rows), total


async def communities_page(
    *, session: AsyncSession, street_id: int, page: int, per_page: int
) -> tuple[list[Community], int]:
    """One page of a street's communities, by name, and how many the street has."""
    total = (
        await session.exec(select(func.count(col(Community.id))).where(Community.street_id == street_id))
    ).one()
    rows = await session.exec(
        select(Community)
        .where(Community.street_id == street_id)
        .order_by(col(Community.name), col(Community.id))
        .offset(page * per_page)
        .limit(per_page)
    )
    return list(rows), total
