"""A small street for tests of cases and notifications: one community, its enterprise and people.

Built with the helpers of ``tests/cases_world.py``; its own ids and names, as the tests expect them."""

from __future__ import annotations

from dataclasses import dataclass

from models.base import id_of
from models.cases.categories import ReportCategory
from models.cases.tables import Case
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind
from storage.database import Database
from tests.cases_world import lsw_street, new_person, open_report

RESIDENT_ID = 501
INSTRUCTOR_ID = 601
STAFF_ID = 701
COMMITTEE_ID = 801
OFFICE_ID = 901


@dataclass
class World:
    community_id: int
    enterprise_id: int
    resident: Person
    instructor: Person
    staff: Person
    committee: Person
    office: Person


async def make_world(db: Database, *, locale: str | None = "en") -> World:
    """Street LSW with 阳光小区 run by 幸福物业; an instructor, staff, committee member, office admin."""
    async with db.write() as session:
        street = lsw_street()
        session.add(street)
        await session.flush()
        enterprise = Enterprise(code="xf", name="幸福物业")
        session.add(enterprise)
        await session.flush()
        community = Community(
            code="yg", name="阳光小区", street_id=id_of(street), enterprise_id=enterprise.id
        )
        session.add(community)
        await session.flush()

        def person(telegram_id: int, name: str, phone: str) -> Person:
            return new_person(
                telegram_id, name, phone=phone, phone_shared=True, locale=locale, community_id=community.id
            )

        resident = person(RESIDENT_ID, "Alice", "13800000001")
        resident.building = "3号楼"
        instructor = person(INSTRUCTOR_ID, "王指导员", "13800000002")
        staff = person(STAFF_ID, "Li Staff", "13800000003")
        committee = person(COMMITTEE_ID, "Zhao Committee", "13800000004")
        office = person(OFFICE_ID, "Office Admin", "13800000005")
        for row in (resident, instructor, staff, committee, office):
            session.add(row)
        await session.flush()
        session.add(Role(person_id=id_of(instructor), kind=RoleKind.INSTRUCTOR, enterprise_id=enterprise.id))
        session.add(Role(person_id=id_of(staff), kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=enterprise.id))
        session.add(
            Role(person_id=id_of(committee), kind=RoleKind.PARTY_COMMITTEE, community_id=community.id)
        )
        session.add(Role(person_id=id_of(office), kind=RoleKind.OFFICE_ADMIN, street_id=street.id))
    return World(id_of(community), id_of(enterprise), resident, instructor, staff, committee, office)


async def report(
    db: Database, world: World, *, key: str = "draft-1", photos: list[str] | None = None
) -> Case:
    """The resident reports a leak; the case goes to the instructor (a CARD row is queued)."""
    return await open_report(
        db,
        id_of(world.resident),
        key=key,
        category=ReportCategory.LEAK,
        description="Water drips from the ceiling of the stairwell.",
        photos=photos or (),
    )
