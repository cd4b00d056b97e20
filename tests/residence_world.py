"""Two streets for the joining, /profile and /mycases tests: one long list of communities, one short."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.base import id_of, utcnow
from models.case_actions import CaseDraft, Deadlines, open_case
from models.cases import Case
from models.categories import ReportCategory
from models.db import Database
from models.directory import Community, Enterprise, Person, Role, RoleKind, Street

DEADLINES = Deadlines(response=timedelta(hours=24), resolution=timedelta(days=7))

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
        street = Street(code="lsw", name="灵山卫街道")
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
        instructor = Person(telegram_id=INSTRUCTOR_TG, name="Wang Instructor", language_code="en")
        staff = Person(telegram_id=STAFF_TG, name="Liu Staff", language_code="en")
        admin = Person(telegram_id=ADMIN_TG, name="Zhou Office", language_code="en")
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
        person = Person(
            telegram_id=telegram_id,
            name=name,
            language_code="en",
            community_id=community,
            phone=phone,
            phone_shared=phone is not None,
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
    async with db.write() as session:
        reporter = await session.get(Person, reporter_id)
        assert reporter is not None
        draft = CaseDraft(key=f"res-draft-{next(_keys)}", category=category, description=description)
        return await open_case(
            session=session, reporter=reporter, draft=draft, deadlines=DEADLINES, now=now or utcnow()
        )
