"""The one street every test is set in, built with the factories of ``tests/factories``.

灵山卫街道 (lsw), its office admin 刘主任, and

- 海悦物业 (hy, with a party branch): instructor 王指导员, staff 周经理; it manages
  东方华庭 (dfht), whose party committee member is 陈书记 and where Li Resident lives
  (building 3号楼, phone shared);
- 滨海物业 (bh): instructor 赵指导员, staff 孙经理; it manages 北岸花园 (bahy);
- 山后 (shanhou), with no property enterprise: party committee member 林书记, resident Ma Neighbour.

A second street, 珠山街道 (zs), has one community, 珠山小区 (zs1). With ``many_communities``
灵山卫街道 also has :data:`EXTRA_COMMUNITIES` more (花园小区 01…), named to sort after the
others, so its community picker runs to two pages. The names sort as the tests read the
lists by name: 海悦物业 before 滨海物业, 东方华庭 before 北岸花园 before 山后. Telegram ids are those of
``tests/factories/ids.py``. :func:`world_directory` is the same world as the office's
directory file, for the end-to-end tests that import it.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, fields
from functools import cache, partial
from pathlib import Path

from sqlalchemy import create_engine

from bot.migrations import metadata
from models.directory.file import export_directory
from models.directory.tables import RoleKind
from storage.database import Database
from tests.factories.directory import (
    Someone,
    add_community,
    add_enterprise,
    add_person,
    add_role,
    add_street,
)
from tests.factories.ids import (
    ADMIN_TG,
    BARE_COMMITTEE_TG,
    COMMITTEE_TG,
    INSTRUCTOR_TG,
    NEIGHBOUR_TG,
    OTHER_INSTRUCTOR_TG,
    OTHER_STAFF_TG,
    RESIDENT_TG,
    STAFF_TG,
    Kind,
)

# With ``many_communities``: 8 more communities on 灵山卫街道, 11 in all, two pages of 8 in the picker.
EXTRA_COMMUNITIES = 8


@dataclass(frozen=True)
class World:
    street: int  # 灵山卫街道
    other_street: int  # 珠山街道
    enterprise: int  # 海悦物业, paired with ``instructor``
    other_enterprise: int  # 滨海物业, paired with ``other_instructor``
    community: int  # 东方华庭, managed by ``enterprise``
    other_community: int  # 北岸花园, managed by ``other_enterprise``
    bare_community: int  # 山后: no property enterprise
    other_street_community: int  # 珠山小区
    instructor: Someone  # 王指导员
    other_instructor: Someone  # 赵指导员
    staff: Someone  # 周经理
    other_staff: Someone  # 孙经理
    committee: Someone  # 陈书记, party committee of ``community``
    bare_committee: Someone  # 林书记, party committee of ``bare_community``
    admin: Someone  # 刘主任, the street office
    resident: Someone  # Li Resident, of ``community``: building 3号楼, phone shared
    neighbour: Someone  # Ma Neighbour, of ``bare_community``

    def people(self) -> list[Someone]:
        """Everyone of the world."""
        return [value for field in fields(self) if isinstance(value := getattr(self, field.name), Someone)]


async def make_world(db: Database, *, locale: str | None = None, many_communities: bool = False) -> World:
    """Build the world in ``db``; everyone's ``locale`` is ``locale`` (None: their Telegram language)."""
    async with db.write() as session:
        street = await add_street(session)
        other_street = await add_street(session, code="zs", name="珠山街道")
        hy = await add_enterprise(session, code="hy", name="海悦物业", party_branch=True)
        bh = await add_enterprise(session, code="bh", name="滨海物业")
        community = await add_community(session, code="dfht", name="东方华庭", street=street, enterprise=hy)
        other = await add_community(session, code="bahy", name="北岸花园", street=street, enterprise=bh)
        bare = await add_community(session, code="shanhou", name="山后", street=street)
        far = await add_community(session, code="zs1", name="珠山小区", street=other_street)
        for number in range(1, EXTRA_COMMUNITIES + 1 if many_communities else 1):
            await add_community(session, code=f"x{number:02d}", name=f"花园小区 {number:02d}", street=street)

        person = partial(add_person, session, locale=locale)
        instructor = await person(Kind.INSTRUCTOR, "王指导员", tg=INSTRUCTOR_TG, phone="13800000002")
        other_instructor = await person(Kind.INSTRUCTOR, "赵指导员", tg=OTHER_INSTRUCTOR_TG)
        staff = await person(Kind.STAFF, "周经理", tg=STAFF_TG, phone="13800000003")
        other_staff = await person(Kind.STAFF, "孙经理", tg=OTHER_STAFF_TG)
        committee = await person(Kind.COMMITTEE, "陈书记", tg=COMMITTEE_TG, phone="13800000004")
        bare_committee = await person(Kind.COMMITTEE, "林书记", tg=BARE_COMMITTEE_TG)
        admin = await person(Kind.OFFICE, "刘主任", tg=ADMIN_TG, phone="13800000005")
        resident = await person(
            Kind.RESIDENT,
            "Li Resident",
            tg=RESIDENT_TG,
            community=community,
            building="3号楼",
            phone="13800000001",
            phone_shared=True,
        )
        neighbour = await person(Kind.RESIDENT, "Ma Neighbour", tg=NEIGHBOUR_TG, community=bare)
        await add_role(session, instructor, RoleKind.INSTRUCTOR, enterprise=hy)
        await add_role(session, other_instructor, RoleKind.INSTRUCTOR, enterprise=bh)
        await add_role(session, staff, RoleKind.ENTERPRISE_STAFF, enterprise=hy)
        await add_role(session, other_staff, RoleKind.ENTERPRISE_STAFF, enterprise=bh)
        await add_role(session, committee, RoleKind.PARTY_COMMITTEE, community=community)
        await add_role(session, bare_committee, RoleKind.PARTY_COMMITTEE, community=bare)
        await add_role(session, admin, RoleKind.OFFICE_ADMIN, street=street)
    return World(
        street=street,
        other_street=other_street,
        enterprise=hy,
        other_enterprise=bh,
        community=community,
        other_community=other,
        bare_community=bare,
        other_street_community=far,
        instructor=instructor,
        other_instructor=other_instructor,
        staff=staff,
        other_staff=other_staff,
        committee=committee,
        bare_committee=bare_committee,
        admin=admin,
        resident=resident,
        neighbour=neighbour,
    )


@cache
def world_directory() -> str:
    """The world as the office's directory file (TOML): its streets, enterprises, communities, roles.

    Built by :func:`make_world` in a scratch database and written by the directory export, so
    it holds what the office lists: the residents come to the bot themselves.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "world.db"
        engine = create_engine(f"sqlite:///{path}")
        metadata.create_all(engine)
        engine.dispose()

        async def build() -> str:
            database = Database(f"sqlite+aiosqlite:///{path}")
            try:
                await make_world(database)
                async with database.read() as session:
                    return await export_directory(session=session)
            finally:
                await database.dispose()

        return asyncio.run(build())
