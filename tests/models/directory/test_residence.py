"""Joining a community, building/unit and the shared phone, in the domain."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.directory.residence import (
    BUILDING_TOO_LONG,
    NOT_IN_STREET,
    NOT_YOUR_CONTACT,
    UNKNOWN_COMMUNITY,
    choose_community,
    communities_page,
    join_community,
    remove_phone,
    set_building,
    set_phone,
    streets_page,
)
from models.directory.tables import Community, Person
from models.refusal import Refused
from storage.database import Database
from tests.factories.directory import add_resident
from tests.factories.ids import stranger
from tests.factories.world import EXTRA_COMMUNITIES, make_world


async def _person(db: Database, person_id: int) -> Person:
    async with db.read() as session:
        person = await session.get(Person, person_id)
    assert person is not None
    return person


async def test_join_by_code_sets_the_community_and_clears_an_old_building(db: Database) -> None:
    world = await make_world(db)
    resident = await add_resident(db, "Li", community=world.other_street_community)
    async with db.write() as session:
        person = await session.get(Person, resident.id)
        assert person is not None
        person.building = "3-2-501"
        community = await join_community(session=session, person=person, community_code=" DFHT ")
    assert community.id == world.community
    stored = await _person(db, resident.id)
    assert stored.community_id == world.community and stored.building is None


async def test_joining_the_same_community_again_keeps_the_building(db: Database) -> None:
    world = await make_world(db)
    resident = await add_resident(db, "Li", community=world.community)
    async with db.write() as session:
        person = await session.get(Person, resident.id)
        assert person is not None
        await set_building(session=session, person=person, building="3-2-501")
        await join_community(session=session, person=person, community_code="dfht")
    assert (await _person(db, resident.id)).building == "3-2-501"


async def test_unknown_code_is_refused_and_changes_nothing(db: Database) -> None:
    world = await make_world(db)
    resident = await add_resident(db, "Li", community=world.community)
    for code in ("nope", ""):
        with pytest.raises(Refused) as refused:
            async with db.write() as session:
                person = await session.get(Person, resident.id)
                assert person is not None
                await join_community(session=session, person=person, community_code=code)
        assert refused.value.message == UNKNOWN_COMMUNITY
    assert (await _person(db, resident.id)).community_id == world.community


async def test_choose_community_must_belong_to_the_street(db: Database) -> None:
    world = await make_world(db)
    resident = await add_resident(db, "Li", community=None)
    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            person = await session.get(Person, resident.id)
            assert person is not None
            await choose_community(
                session=session,
                person=person,
                community_id=world.other_street_community,
                street_id=world.street,
            )
    assert refused.value.message == NOT_IN_STREET
    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            person = await session.get(Person, resident.id)
            assert person is not None
            await choose_community(session=session, person=person, community_id=99999, street_id=world.street)
    assert refused.value.message == UNKNOWN_COMMUNITY
    assert (await _person(db, resident.id)).community_id is None
    async with db.write() as session:
        person = await session.get(Person, resident.id)
        assert person is not None
        await choose_community(
            session=session, person=person, community_id=world.community, street_id=world.street
        )
    assert (await _person(db, resident.id)).community_id == world.community


async def test_building_is_tidied_cleared_and_limited(db: Database) -> None:
    world = await make_world(db)
    resident = await add_resident(db, "Li", community=world.community)
    async with db.write() as session:
        person = await session.get(Person, resident.id)
        assert person is not None
        await set_building(session=session, person=person, building="  3号楼   2单元 501 ")
    assert (await _person(db, resident.id)).building == "3号楼 2单元 501"
    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            person = await session.get(Person, resident.id)
            assert person is not None
            await set_building(session=session, person=person, building="x" * 101)
    assert refused.value.message == BUILDING_TOO_LONG and refused.value.params == {"limit": 100}
    assert (await _person(db, resident.id)).building == "3号楼 2单元 501"
    async with db.write() as session:
        person = await session.get(Person, resident.id)
        assert person is not None
        await set_building(session=session, person=person, building="   ")
    assert (await _person(db, resident.id)).building is None


async def test_only_ones_own_contact_sets_the_phone(db: Database) -> None:
    world = await make_world(db)
    resident = await add_resident(db, "Li", community=world.community)
    for someone_else in (stranger(1), None):
        with pytest.raises(Refused) as refused:
            async with db.write() as session:
                person = await session.get(Person, resident.id)
                assert person is not None
                await set_phone(
                    session=session, person=person, phone="+8613900000000", contact_user_id=someone_else
                )
        assert refused.value.message == NOT_YOUR_CONTACT
    stored = await _person(db, resident.id)
    assert stored.phone is None and not stored.phone_shared
    async with db.write() as session:
        person = await session.get(Person, resident.id)
        assert person is not None
        await set_phone(
            session=session, person=person, phone="+8613800000001", contact_user_id=resident.telegram_id
        )
    stored = await _person(db, resident.id)
    assert stored.phone == "+8613800000001" and stored.phone_shared
    for _ in range(2):  # removing twice is harmless
        async with db.write() as session:
            person = await session.get(Person, resident.id)
            assert person is not None
            await remove_phone(session=session, person=person)
    stored = await _person(db, resident.id)
    assert stored.phone is None and not stored.phone_shared


async def test_remove_phone_keeps_a_phone_the_office_listed(db: Database) -> None:
    world = await make_world(db)
    async with db.write() as session:
        person = await session.get(Person, world.staff.id)
        assert person is not None and person.phone == world.staff.phone
        await remove_phone(session=session, person=person)
    assert (await _person(db, world.staff.id)).phone == world.staff.phone


async def test_pages_of_streets_and_communities(db: Database) -> None:
    world = await make_world(db, many_communities=True)
    async with db.read() as session:
        streets, total = await streets_page(session=session, page=0, per_page=1)
        assert total == 2 and len(streets) == 1
        first, total = await communities_page(session=session, street_id=world.street, page=0, per_page=8)
        second, _ = await communities_page(session=session, street_id=world.street, page=1, per_page=8)
        far, far_total = await communities_page(
            session=session, street_id=world.other_street, page=0, per_page=8
        )
        all_ids = set(
            (await session.exec(select(Community.id).where(Community.street_id == world.street))).all()
        )
    assert total == EXTRA_COMMUNITIES + 3  # and 东方华庭, 北岸花园, 山后
    assert len(first) == 8 and len(second) == total - 8
    assert first[0].id == world.community  # sorted by name
    assert {c.id for c in first} | {c.id for c in second} == all_ids
    assert [c.id for c in far] == [world.other_street_community] and far_total == 1
