"""Two streets for the joining, /profile and /mycases tests: one long list of communities, one short.

Built with the helpers of ``tests/cases_world.py``; its own ids and names, as the tests expect them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.base import id_of
from models.cases.categories import ReportCategory
from models.cases.tables import Case
from models.directory.tables import Community, Enterprise, Role, RoleKind, Street
from storage.database import Database
from tests.cases_world import lsw_street, new_person, open_report

INSTRUCTOR_TG = 7101
STAFF_TG = 7201
ADMIN_TG = 7401
# More communities than one picker page holds (8), so the list pages.
EXTRA_COMMUNITIES = 10


@dataclass
class World:
    street: int  # 灵山卫街道, code lsw: many communities
    other_street: int  # 珠山街道: one community
    enterprise: int
    community: int  # 东方华庭 (code dfht), managed by ``enterprise``
    other_street_community: int  # 珠山小区 (code zs1)
    instructor: int
    staff: int
    admin: int


async def make_world(db: Database) -> World:
    async with db.write() as session:
        street = lsw_street()
        other_street = Street(code="zs", name="珠山街道")
        enterprise = Enterprise(code="hy", name="海悦物业")
        session.add_all([street, other_street, enterprise])
        await session.flush()
        # Named so that 东方华庭 sorts first on the street's list.
        community = Community(
            code="dfht", name="A 东方华庭", street_id=id_of(street), enterprise_id=id_of(enterprise)
        )
        session.add(community)
        for number in range(EXTRA_COMMUNITIES):
            session.add(
                Community(code=f"x{number:02d}", name=f"B 小区 {number:02d}", street_id=id_of(street))
            )
        far = Community(code="zs1", name="珠山小区", street_id=id_of(other_street))
        session.add(far)
        instructor = new_person(INSTRUCTOR_TG, "Wang Instructor")
        staff = new_person(STAFF_TG, "Liu Staff")
        admin = new_person(ADMIN_TG, "Zhou Office")
        session.add_all([instructor, staff, admin])
        await session.flush()
        session.add_all(
            [
                Role(person_id=id_of(instructor), kind=RoleKind.INSTRUCTOR, enterprise_id=enterprise.id),
                Role(person_id=id_of(staff), kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=enterprise.id),
                Role(person_id=id_of(admin), kind=RoleKind.OFFICE_ADMIN, street_id=street.id),
            ]
        )
        return World(
            street=id_of(street),
            other_street=id_of(other_street),
            enterprise=id_of(enterprise),
            community=id_of(community),
            other_street_community=id_of(far),
            instructor=id_of(instructor),
            staff=id_of(staff),
            admin=id_of(admin),
        )


async def add_resident(
    db: Database, telegram_id: int, name: str, *, community: int | None, phone: str | None = None
) -> int:
    async with db.write() as session:
        person = new_person(
            telegram_id, name, community_id=community, phone=phone, phone_shared=phone is not None
        )
        session.add(person)
        await session.flush()
        return id_of(person)


_keys = iter(range(1, 1_000_000))


async def report(
    db: Database,
    reporter_id: int,
    *,
    description: str = "The lift in building 3 is stuck.",
    category: ReportCategory = ReportCategory.ELEVATOR,
    now: datetime | None = None,
) -> Case:
    """Open a case as the reporter would through /report."""
    return await open_report(
        db, reporter_id, key=f"res-draft-{next(_keys)}", description=description, category=category, now=now
    )
