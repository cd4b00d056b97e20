"""The case domain: routing, the status machine, who may do what, and what each action leaves behind."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select, update

from models.base import utcnow
from models.cases.access import ACTION_FROM, Action, allowed_actions
from models.cases.actions import (
    NOT_A_DUPLICATE,
    accept_case,
    add_note,
    forward_case,
    mark_duplicate,
    mark_work_done,
    reject_case,
    resolve_case,
    withdraw_case,
)
from models.cases.routing import (
    RoutingReason,
    SharedProperty,
)
from models.cases.tables import (
    STATUS_NAMES,
    TRANSITIONS,
    Case,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    EventKind,
    OwnerLevel,
)
from models.cases.timeline import NOT_ALLOWED, WRONG_STATUS
from models.cases.unreachable import reroute_from_unreachable
from models.directory.tables import Person, Role, RoleKind
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.refusal import Refused
from storage.database import Database
from tests.factories.cases import report
from tests.factories.world import World, make_world


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


async def act(
    db: Database, operation: Callable[..., Awaitable[Case]], case_id: int, actor_id: int, **kw: Any
) -> Case:
    async with db.write() as session:
        actor = await session.get(Person, actor_id)
        assert actor is not None
        return await operation(session=session, case_id=case_id, actor=actor, now=utcnow(), **kw)


async def load(db: Database, case_id: int) -> Case:
    async with db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def events(db: Database, case_id: int) -> list[CaseEvent]:
    async with db.read() as session:
        return list(
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
            )
        )


async def outbox(db: Database, kind: str | None = None) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.exec(query))


async def set_state(db: Database, case_id: int, **values: Any) -> None:
    async with db.write() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        for key, value in values.items():
            setattr(case, key, value)
        session.add(case)


# --- routing ---------------------------------------------------------------------------------


async def test_case_goes_to_the_paired_instructor_with_a_reason(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    assert case.status == CaseStatus.ASSIGNED
    assert (case.owner_level, case.owner_id) == (OwnerLevel.INSTRUCTOR, world.instructor.id)
    assert case.enterprise_id == world.enterprise and case.building == "3号楼"
    routed = [event for event in await events(db, case.id or 0) if event.kind == EventKind.ROUTED]
    assert len(routed) == 1 and routed[0].reason == RoutingReason.INSTRUCTOR
    assert json.loads(routed[0].reason_params or "{}")["enterprise"] == "海悦物业"
    cards = await outbox(db, OutboxKind.CASE_CARD)
    assert [(row.recipient_id, row.case_id) for row in cards] == [(world.instructor.id, case.id)]


async def test_several_instructors_share_by_fewest_open_cases(db: Database, world: World) -> None:
    async with db.write() as session:
        second = Person(telegram_id=1003, name="Qian Instructor")
        session.add(second)
        await session.flush()
        session.add(Role(person_id=second.id or 0, kind=RoleKind.INSTRUCTOR, enterprise_id=world.enterprise))
        second_id = second.id
    owners = [(await report(db, world.resident.id)).owner_id for _ in range(3)]
    assert owners == [world.instructor.id, second_id, world.instructor.id]
    # Two against one: the second instructor has fewer again.
    first_of_second = (await report(db, world.resident.id)).owner_id
    assert first_of_second == second_id


async def test_no_property_community_goes_to_the_shared_property_enterprise(
    db: Database, world: World
) -> None:
    async with db.write() as session:
        session.add(
            SharedProperty(
                community_id=world.bare_community,
                enterprise_id=world.other_enterprise,
                started_at=utcnow() - timedelta(days=1),
            )
        )
    case = await report(db, world.neighbour.id)
    assert (case.owner_level, case.owner_id) == (OwnerLevel.INSTRUCTOR, world.other_instructor.id)
    assert case.enterprise_id == world.other_enterprise
    routed = [event for event in await events(db, case.id or 0) if event.kind == EventKind.ROUTED]
    assert routed[0].reason == RoutingReason.SHARED
    # With its instructor unreachable the next case goes up, still on the shared enterprise's account.
    async with db.write() as session:
        await session.exec(
            update(Person).where(col(Person.id) == world.other_instructor.id).values(reachable=False)
        )
    up = await report(db, world.neighbour.id)
    assert (up.owner_level, up.owner_id, up.enterprise_id) == (
        OwnerLevel.PARTY_COMMITTEE,
        world.bare_committee.id,
        world.other_enterprise,
    )


async def test_no_property_community_goes_to_its_party_committee(db: Database, world: World) -> None:
    case = await report(db, world.neighbour.id)
    assert (case.owner_level, case.owner_id, case.enterprise_id) == (
        OwnerLevel.PARTY_COMMITTEE,
        world.bare_committee.id,
        None,
    )
    routed = [event for event in await events(db, case.id or 0) if event.kind == EventKind.ROUTED]
    assert routed[0].reason == RoutingReason.COMMITTEE


async def test_a_no_property_case_offers_no_forward(db: Database, world: World) -> None:
    """No enterprise to forward to: the card must not offer it, and the domain refuses it."""
    case = await report(db, world.neighbour.id)
    async with db.read() as session:
        committee = await session.get(Person, world.bare_committee.id)
        assert committee is not None
        actions = await allowed_actions(session=session, case=case, person=committee)
    assert Action.ACCEPT in actions and Action.FORWARD not in actions
    with pytest.raises(Refused):
        async with db.write() as session:
            await forward_case(session=session, case_id=case.id or 0, actor=committee, now=utcnow())


async def test_without_committee_the_office_takes_it(db: Database, world: World) -> None:
    async with db.write() as session:
        role = (await session.exec(select(Role).where(Role.person_id == world.bare_committee.id))).one()
        await session.delete(role)
    case = await report(db, world.neighbour.id)
    assert (case.owner_level, case.owner_id) == (OwnerLevel.OFFICE, world.admin.id)
    routed = [event for event in await events(db, case.id or 0) if event.kind == EventKind.ROUTED]
    assert routed[0].reason == RoutingReason.OFFICE


# --- the status machine, action by action -----------------------------------------------------

TARGET: dict[Action, CaseStatus] = {
    Action.ACCEPT: CaseStatus.ACCEPTED,
    Action.FORWARD: CaseStatus.IN_PROGRESS,
    Action.REJECT: CaseStatus.REJECTED,
    Action.DUPLICATE: CaseStatus.DUPLICATE,
    Action.NOTE: CaseStatus.IN_PROGRESS,
    Action.RESOLVE: CaseStatus.RESOLVED,
    Action.WORK_DONE: CaseStatus.IN_PROGRESS,
    Action.WITHDRAW: CaseStatus.WITHDRAWN,
}


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", list(Action))
async def test_every_action_from_every_status(
    db: Database, world: World, action: Action, status: CaseStatus
) -> None:
    original = await report(db, world.resident.id, description="The first report of it.")
    case = await report(db, world.resident.id)
    case_id = case.id or 0
    # Staff actions need the case forwarded to the enterprise.
    await set_state(db, case_id, status=status, forwarded_enterprise_id=world.enterprise)
    actor = {Action.WORK_DONE: world.staff.id, Action.WITHDRAW: world.resident.id}.get(
        action, world.instructor.id
    )
    operations: dict[Action, tuple[Callable[..., Awaitable[Case]], dict[str, Any]]] = {
        Action.ACCEPT: (accept_case, {}),
        Action.FORWARD: (forward_case, {}),
        Action.REJECT: (reject_case, {"reason": "Municipal water main."}),
        Action.DUPLICATE: (mark_duplicate, {"original_number": original.number}),
        Action.NOTE: (add_note, {"text": "On it.", "photo_file_ids": []}),
        Action.RESOLVE: (resolve_case, {"note": "Fixed.", "photo_file_ids": []}),
        Action.WORK_DONE: (mark_work_done, {}),
        Action.WITHDRAW: (withdraw_case, {}),
    }
    operation, arguments = operations[action]
    before = len(await events(db, case_id))
    allowed = status in ACTION_FROM[action] and TARGET[action] in TRANSITIONS[status]
    if allowed:
        await act(db, operation, case_id, actor, **arguments)
        assert (await load(db, case_id)).status == TARGET[action]
        assert len(await events(db, case_id)) > before
    else:
        with pytest.raises(Refused) as refused:
            await act(db, operation, case_id, actor, **arguments)
        assert refused.value.message == WRONG_STATUS
        assert refused.value.params == {"status": STATUS_NAMES[status]}
        after = await load(db, case_id)
        assert after.status == status and after.duplicate_of_id is None and after.resolved_at is None
        assert len(await events(db, case_id)) == before


def test_the_tables_refuse_obvious_nonsense() -> None:
    assert CaseStatus.ASSIGNED not in ACTION_FROM[Action.RESOLVE]
    assert not TRANSITIONS[CaseStatus.CLOSED] and not TRANSITIONS[CaseStatus.DUPLICATE]
    assert CaseStatus.IN_PROGRESS not in ACTION_FROM[Action.REJECT]


# --- who may act ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_instructor", "resident", "staff", "admin"])
async def test_only_the_owner_accepts(db: Database, world: World, who: str) -> None:
    case = await report(db, world.resident.id)
    with pytest.raises(Refused) as refused:
        await act(db, accept_case, case.id or 0, getattr(world, who).id)
    assert refused.value.message == NOT_ALLOWED
    assert (await load(db, case.id or 0)).status == CaseStatus.ASSIGNED


async def test_staff_of_another_enterprise_cannot_work_a_forwarded_case(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    await act(db, forward_case, case.id or 0, world.instructor.id)
    for operation, arguments in ((mark_work_done, {}), (add_note, {"text": "x", "photo_file_ids": []})):
        with pytest.raises(Refused) as refused:
            await act(db, operation, case.id or 0, world.other_staff.id, **arguments)
        assert refused.value.message == NOT_ALLOWED
    assert (await load(db, case.id or 0)).work_done_at is None


async def test_accepting_twice_changes_nothing_the_second_time(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    await act(db, accept_case, case.id or 0, world.instructor.id)
    before = await events(db, case.id or 0)
    with pytest.raises(Refused) as refused:
        await act(db, accept_case, case.id or 0, world.instructor.id)
    assert (refused.value.message, refused.value.params) == (WRONG_STATUS, {"status": "accepted"})
    assert len(await events(db, case.id or 0)) == len(before)


# --- what each action leaves behind -----------------------------------------------------------


async def test_reject_returns_the_case_to_the_street_office(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    await act(db, reject_case, case.id or 0, world.instructor.id, reason="It is the city's water main.")
    after = await load(db, case.id or 0)
    assert after.status == CaseStatus.REJECTED
    assert (after.owner_level, after.owner_id) == (OwnerLevel.OFFICE, world.admin.id)
    kinds = [(event.kind, event.text) for event in await events(db, case.id or 0)]
    assert (EventKind.REJECTED, "It is the city's water main.") in kinds
    assert kinds[-1][0] == EventKind.ROUTED
    assert [row.recipient_id for row in await outbox(db, OutboxKind.CASE_STATUS)] == [world.resident.id]
    assert world.admin.id in [row.recipient_id for row in await outbox(db, OutboxKind.CASE_CARD)]
    # The office takes it on itself.
    assert (await act(db, accept_case, case.id or 0, world.admin.id)).status == CaseStatus.ACCEPTED


async def test_duplicate_links_the_open_case_and_tells_the_resident_which(db: Database, world: World) -> None:
    original = await report(db, world.resident.id)
    case = await report(db, world.resident.id)
    await act(
        db, mark_duplicate, case.id or 0, world.instructor.id, original_number=f" {original.number.lower()} "
    )
    after = await load(db, case.id or 0)
    assert after.status == CaseStatus.DUPLICATE and after.duplicate_of_id == original.id
    event = (await events(db, case.id or 0))[-1]
    assert event.kind == EventKind.DUPLICATE
    assert json.loads(event.reason_params or "{}") == {"original": original.number}
    told = await outbox(db, OutboxKind.CASE_STATUS)
    assert [(row.recipient_id, row.parameters()["event_id"]) for row in told] == [
        (world.resident.id, event.id)
    ]


async def test_duplicate_refuses_closed_foreign_self_and_unknown_numbers(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    closed = await report(db, world.resident.id)
    await set_state(db, closed.id or 0, status=CaseStatus.CLOSED)
    foreign = await report(db, world.neighbour.id)
    for number in (closed.number, foreign.number, case.number, "LSW-1999-000999"):
        with pytest.raises(Refused) as refused:
            await act(db, mark_duplicate, case.id or 0, world.instructor.id, original_number=number)
        assert (refused.value.message, refused.value.params) == (NOT_A_DUPLICATE, {"number": number})
    after = await load(db, case.id or 0)
    assert after.status == CaseStatus.ASSIGNED and after.duplicate_of_id is None


async def test_forward_then_work_done_asks_the_owner_to_confirm(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    await act(db, forward_case, case.id or 0, world.instructor.id)
    assert [row.recipient_id for row in await outbox(db, OutboxKind.CASE_CARD)] == [
        world.instructor.id,
        world.staff.id,
    ]
    await act(db, add_note, case.id or 0, world.staff.id, text="Technician sent.", photo_file_ids=[])
    await act(db, mark_work_done, case.id or 0, world.staff.id)
    after = await load(db, case.id or 0)
    assert after.work_done_at is not None and after.status == CaseStatus.IN_PROGRESS
    assert [(row.recipient_id, row.case_id) for row in await outbox(db, OutboxKind.CASE_WORK_DONE)] == [
        (world.instructor.id, case.id)
    ]
    with pytest.raises(Refused):
        await act(db, mark_work_done, case.id or 0, world.staff.id)
    assert len(await outbox(db, OutboxKind.CASE_WORK_DONE)) == 1


async def test_note_starts_the_work_and_resolve_sets_resolved_at(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    await act(db, add_note, case.id or 0, world.instructor.id, text="Looking at it.", photo_file_ids=["p1"])
    assert (await load(db, case.id or 0)).status == CaseStatus.IN_PROGRESS
    resolved = await act(
        db, resolve_case, case.id or 0, world.instructor.id, note="Lift repaired.", photo_file_ids=["p2"]
    )
    assert resolved.status == CaseStatus.RESOLVED and resolved.resolved_at is not None
    assert resolved.first_response_at is not None
    async with db.read() as session:
        photos = list(await session.exec(select(CasePhoto).where(CasePhoto.case_id == case.id)))
    assert sorted(photo.file_id for photo in photos) == ["p1", "p2"]
    assert all(photo.event_id is not None for photo in photos)
    assert [row.recipient_id for row in await outbox(db, OutboxKind.CASE_STATUS)] == [world.resident.id] * 2


async def test_reroute_from_unreachable_goes_one_level_up(db: Database, world: World) -> None:
    # 东方华庭 has a party committee member (陈书记): one level above the instructor.
    case = await report(db, world.resident.id)
    async with db.write() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        instructor.reachable = False
        session.add(instructor)
        moved = await reroute_from_unreachable(session=session, person=instructor, now=utcnow())
    assert [row.id for row in moved] == [case.id]
    after = await load(db, case.id or 0)
    assert (after.owner_level, after.owner_id) == (OwnerLevel.PARTY_COMMITTEE, world.committee.id)
    last = (await events(db, case.id or 0))[-1]
    assert (last.kind, last.reason) == (EventKind.ROUTED, RoutingReason.COMMITTEE_UP)
