"""A resident's own cases and who may read a case's timeline."""

from __future__ import annotations

from datetime import timedelta

from models.base import utcnow
from models.cases.actions import accept_case, forward_case, withdraw_case
from models.cases.routing import RoutingReason
from models.cases.tables import CaseStatus, EventKind
from models.cases.views import case_timeline, cases_of_reporter
from models.directory.tables import Person, RoleKind
from storage.database import Database
from tests.factories.cases import report
from tests.factories.directory import add_person, add_resident, add_role, add_street
from tests.factories.ids import Kind
from tests.factories.world import make_world


async def _get(db: Database, person_id: int) -> Person:
    async with db.read() as session:
        person = await session.get(Person, person_id)
    assert person is not None
    return person


async def test_own_cases_newest_first_and_paged(db: Database) -> None:
    world = await make_world(db)
    li = (await add_resident(db, "Li", community=world.community)).id
    ma = (await add_resident(db, "Ma", community=world.community)).id
    start = utcnow() - timedelta(days=1)
    mine = [await report(db, li, now=start + timedelta(minutes=n)) for n in range(7)]
    await report(db, ma, now=start + timedelta(minutes=30))
    async with db.read() as session:
        first, total = await cases_of_reporter(session=session, person=await _get(db, li), page=0, per_page=5)
        second, _ = await cases_of_reporter(session=session, person=await _get(db, li), page=1, per_page=5)
    assert total == 7
    assert [case.id for case in first + second] == [case.id for case in reversed(mine)]
    assert all(case.reporter_id == li for case in first + second)


async def test_timeline_names_who_did_what(db: Database) -> None:
    world = await make_world(db)
    li = (await add_resident(db, "Li", community=world.community)).id
    case = await report(db, li)
    async with db.write() as session:
        await accept_case(
            session=session, case_id=case.id or 0, actor=await _get(db, world.instructor.id), now=utcnow()
        )
    async with db.read() as session:
        timeline = await case_timeline(session=session, case_id=case.id or 0, viewer=await _get(db, li))
    assert timeline is not None and timeline.viewer_is_reporter and timeline.can_withdraw
    kinds = [(entry.event.kind, entry.actor_name) for entry in timeline.entries]
    assert kinds == [
        (EventKind.REPORTED, "Li"),
        (EventKind.ROUTED, None),
        (EventKind.ACCEPTED, "王指导员"),
    ]
    assert timeline.entries[1].event.reason == RoutingReason.INSTRUCTOR


async def test_only_the_reporter_and_those_handling_it_see_the_timeline(db: Database) -> None:
    world = await make_world(db)
    li = (await add_resident(db, "Li", community=world.community)).id
    ma = (await add_resident(db, "Ma", community=world.community)).id
    case = await report(db, li)
    case_id = case.id or 0
    async with db.write() as session:
        far_street = await add_street(session, code="far", name="Far")
        far_admin = await add_person(session, Kind.OFFICE, "Far Admin")
        await add_role(session, far_admin, RoleKind.OFFICE_ADMIN, street=far_street)
        far_admin_id = far_admin.id

    async def sees(person_id: int) -> bool:
        async with db.read() as session:
            timeline = await case_timeline(session=session, case_id=case_id, viewer=await _get(db, person_id))
        return timeline is not None and timeline.case.id == case_id

    assert await sees(li) and await sees(world.instructor.id) and await sees(world.admin.id)
    assert not await sees(ma) and not await sees(far_admin_id)
    assert not await sees(world.staff.id)  # not forwarded to the enterprise yet
    async with db.write() as session:
        await forward_case(
            session=session, case_id=case_id, actor=await _get(db, world.instructor.id), now=utcnow()
        )
    assert await sees(world.staff.id)
    async with db.write() as session:
        withdrawn = await withdraw_case(
            session=session, case_id=case_id, actor=await _get(db, li), now=utcnow()
        )
    assert withdrawn.status == CaseStatus.WITHDRAWN
    # A case no one can act on any more is still readable by those who answer for it.
    assert (
        await sees(li)
        and await sees(world.instructor.id)
        and await sees(world.staff.id)
        and await sees(world.admin.id)
    )
    assert not await sees(ma)
    async with db.read() as session:
        timeline = await case_timeline(session=session, case_id=case_id, viewer=await _get(db, li))
        missing = await case_timeline(session=session, case_id=case_id + 100, viewer=await _get(db, li))
    assert timeline is not None and not timeline.can_withdraw
    assert missing is None
