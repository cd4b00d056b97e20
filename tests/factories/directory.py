"""Small factories for the directory: streets, enterprises, communities, people and their roles.

Each takes the test's :class:`Database` (and writes in a transaction of its own) or a write
session already open (and writes in it), and returns the new row's id; people come back as
:class:`Someone`, with the Telegram id of ``tests/factories/ids.py`` that the chat uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import id_of
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street
from storage.database import Database
from tests.factories.ids import PER_KIND, Kind, kind_of, telegram_id

Target = Database | AsyncSession


@dataclass(frozen=True)
class Someone:
    """A person of a test: the row id, the Telegram id the chat uses, the name and the phone."""

    id: int
    telegram_id: int
    name: str
    phone: str | None = None


@asynccontextmanager
async def writing(target: Target) -> AsyncIterator[AsyncSession]:
    """``target`` itself when it is a session, else a new write transaction of the database."""
    if isinstance(target, Database):
        async with target.write() as session:
            yield session
    else:
        yield target


async def add_street(target: Target, *, code: str = "lsw", name: str = "灵山卫街道") -> int:
    """A street; 灵山卫街道 unless told otherwise."""
    async with writing(target) as session:
        street = Street(code=code, name=name)
        session.add(street)
        await session.flush()
        return id_of(street)


async def add_enterprise(target: Target, *, code: str, name: str, party_branch: bool = False) -> int:
    """A property enterprise."""
    async with writing(target) as session:
        enterprise = Enterprise(code=code, name=name, party_branch=party_branch)
        session.add(enterprise)
        await session.flush()
        return id_of(enterprise)


async def add_community(
    target: Target, *, code: str, name: str, street: int, enterprise: int | None = None
) -> int:
    """A community of ``street``, managed by ``enterprise`` (None: no property enterprise)."""
    async with writing(target) as session:
        community = Community(code=code, name=name, street_id=street, enterprise_id=enterprise)
        session.add(community)
        await session.flush()
        return id_of(community)


async def next_telegram_id(session: AsyncSession, kind: Kind) -> int:
    """The first Telegram id of ``kind`` after those the database holds."""
    first = telegram_id(kind, 1)
    highest = (
        await session.exec(
            select(func.max(Person.telegram_id)).where(
                col(Person.telegram_id) >= first, col(Person.telegram_id) < first - 1 + PER_KIND
            )
        )
    ).one()
    return first if highest is None else int(highest) + 1


async def add_person(
    target: Target,
    kind: Kind,
    name: str,
    *,
    tg: int | None = None,
    community: int | None = None,
    building: str | None = None,
    phone: str | None = None,
    phone_shared: bool = False,
    locale: str | None = None,
    language_code: str = "en",
) -> Someone:
    """A person who speaks English to the bot, with the next Telegram id of ``kind`` unless ``tg``."""
    assert tg is None or kind_of(tg) == kind, (tg, kind)
    async with writing(target) as session:
        person = Person(
            telegram_id=tg if tg is not None else await next_telegram_id(session, kind),
            name=name,
            community_id=community,
            building=building,
            phone=phone,
            phone_shared=phone_shared,
            locale=locale,
            language_code=language_code,
        )
        session.add(person)
        await session.flush()
        assert person.telegram_id is not None
        return Someone(id_of(person), person.telegram_id, name, phone)


async def add_resident(
    target: Target, name: str, *, community: int | None, phone: str | None = None, tg: int | None = None
) -> Someone:
    """A resident of ``community`` (None: not placed yet); a phone given is shared with the cases."""
    return await add_person(
        target, Kind.RESIDENT, name, tg=tg, community=community, phone=phone, phone_shared=phone is not None
    )


async def add_role(
    target: Target,
    person: Someone | int,
    kind: RoleKind,
    *,
    street: int | None = None,
    community: int | None = None,
    enterprise: int | None = None,
) -> None:
    """Give ``person`` a role on a street, a community or an enterprise."""
    person_id = person.id if isinstance(person, Someone) else person
    async with writing(target) as session:
        session.add(
            Role(
                person_id=person_id,
                kind=kind,
                street_id=street,
                community_id=community,
                enterprise_id=enterprise,
            )
        )
        await session.flush()
