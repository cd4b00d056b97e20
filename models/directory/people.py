"""People: registering Telegram users, their language, and what roles they hold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeGuard

from sqlalchemy import bindparam
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street
from models.text import without_controls

# Role kinds from the most to the least senior, for greeting people who hold several.
ROLE_ORDER = (
    RoleKind.OFFICE_ADMIN,
    RoleKind.PARTY_COMMITTEE,
    RoleKind.INSTRUCTOR,
    RoleKind.ENTERPRISE_HEAD,
    RoleKind.PARTY_BRANCH_CONTACT,
    RoleKind.ENTERPRISE_STAFF,
    RoleKind.OWNERS_COMMITTEE,
)


@dataclass(frozen=True)
class RoleView:
    """A role with the names of what it is for, ready to show."""

    kind: RoleKind
    scope_name: str | None


@dataclass
class Profile:
    """Who a person is to the bot: their row and their roles (empty for a resident)."""

    person: Person
    roles: list[RoleView] = field(default_factory=list)

    @property
    def kinds(self) -> set[RoleKind]:
        return {role.kind for role in self.roles}

    @property
    def is_resident_only(self) -> bool:
        return not self.roles


# The queries every update runs, built once: a built statement keeps its cache key, which
# spares SQLAlchemy much of the work of each call.
_PERSON_BY_TELEGRAM_ID = select(Person).where(col(Person.telegram_id) == bindparam("telegram_id"))
_LOCALE_BY_TELEGRAM_ID = select(Person.locale).where(col(Person.telegram_id) == bindparam("telegram_id"))


async def find_person_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Person | None:
    result = await session.exec(_PERSON_BY_TELEGRAM_ID, params={"telegram_id": telegram_id})
    return result.first()


async def people_by_telegram_id(*, session: AsyncSession, telegram_ids: Iterable[int]) -> dict[int, Person]:
    """The known people among these Telegram accounts, by Telegram id, in one query."""
    result = await session.exec(select(Person).where(col(Person.telegram_id).in_(set(telegram_ids))))
    return {person.telegram_id: person for person in result if person.telegram_id is not None}


async def stored_locale(*, session: AsyncSession, telegram_id: int) -> str | None:
    """The language the person chose, None if none (or no such person): one column, no row object."""
    result = await session.exec(_LOCALE_BY_TELEGRAM_ID, params={"telegram_id": telegram_id})
    return result.first()


def is_registered(person: Person | None, *, language_code: str | None) -> TypeGuard[Person]:
    """Whether :func:`register_user` would leave this person as they are, so reading them will do."""
    if person is None:
        return False
    return bool(person.name) and person.language_code == language_code and person.reachable


async def register_user(
    *, session: AsyncSession, telegram_id: int, name: str, language_code: str | None
) -> Person:
    """Return the person for this Telegram account, creating a resident on first contact."""
    person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    name = without_controls(name)
    if person is None:
        person = Person(telegram_id=telegram_id, name=name, language_code=language_code)
    else:
        # A directory entry keeps the name the office gave it.
        if not person.name:
            person.name = name
        person.language_code = language_code
        person.reachable = True
    session.add(person)
    await session.flush()
    return person


async def set_locale(*, session: AsyncSession, telegram_id: int, locale: str) -> Person | None:
    """Remember the language a person chose; None if the account is unknown."""
    person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    if person is None:
        return None
    person.locale = locale
    session.add(person)
    await session.flush()
    return person


async def roles_of(*, session: AsyncSession, person: Person) -> list[RoleView]:
    """The person's roles, most senior first, with the name of what each is for."""
    rows = await session.exec(
        select(Role, Street.name, Community.name, Enterprise.name)
        .outerjoin(Street, col(Role.street_id) == col(Street.id))
        .outerjoin(Community, col(Role.community_id) == col(Community.id))
        .outerjoin(Enterprise, col(Role.enterprise_id) == col(Enterprise.id))
        .where(Role.person_id == person.id)
        .order_by(col(Role.id))
    )
    views = [
        RoleView(kind=RoleKind(role.kind), scope_name=street or community or enterprise)
        for role, street, community, enterprise in rows
    ]
    return sorted(views, key=lambda view: ROLE_ORDER.index(view.kind))


async def profile_of(*, session: AsyncSession, telegram_id: int) -> Profile | None:
    person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
    if person is None:
        return None
    return Profile(person=person, roles=await roles_of(session=session, person=person))


async def mark_unreachable(*, session: AsyncSession, telegram_id: int) -> None:
    """Record that the person blocked the bot, so nothing more is sent until they return."""
    await session.exec(update(Person).where(col(Person.telegram_id) == telegram_id).values(reachable=False))
