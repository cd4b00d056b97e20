"""The numbers of one street or one community, and who may see which."""

from __future__ import annotations

import pytest

from models.directory.tables import Person, Street
from models.refusal import Refused
from models.surveys.stats import Grouping, survey_stats
from models.surveys.stats_scope import STATS_NOT_ALLOWED, StatsScope, stats_scope
from storage.database import Database
from tests.factories.world import World, make_world
from tests.stats_data import END, START, load_stats_data


@pytest.fixture
async def world(db: Database) -> World:
    world = await make_world(db)
    await load_stats_data(db, world)
    return world


async def sent_and_cases(db: Database, **scope: int) -> dict[object, tuple[int, int]]:
    async with db.read() as session:
        rows = await survey_stats(session=session, start=START, end=END, by=Grouping.ENTERPRISE, **scope)
    return {row.key: (row.sent, row.cases) for row in rows}


async def test_a_scope_keeps_only_its_street_or_community(db: Database, world: World) -> None:
    everything = await sent_and_cases(db)
    assert await sent_and_cases(db, street_id=world.street) == everything
    assert await sent_and_cases(db, community_id=world.community) == {world.enterprise: (10, 4)}
    assert await sent_and_cases(db, community_id=world.bare_community) == {None: (1, 0)}
    async with db.write() as session:
        other = Street(code="x", name="Other street")
        session.add(other)
        await session.flush()
        other_id = other.id
    assert other_id is not None
    assert await sent_and_cases(db, street_id=other_id) == {}


async def test_the_office_sees_its_street_a_committee_its_community_others_nothing(
    db: Database, world: World
) -> None:
    async with db.read() as session:
        admin = await session.get(Person, world.admin.id)
        committee = await session.get(Person, world.bare_committee.id)
        assert await stats_scope(session=session, person=admin) == StatsScope(
            name="灵山卫街道", street_id=world.street
        )
        assert await stats_scope(session=session, person=committee) == StatsScope(
            name="山后", community_id=world.bare_community
        )
        for person_id in (world.resident.id, world.instructor.id, world.staff.id):
            with pytest.raises(Refused) as refused:
                await stats_scope(session=session, person=await session.get(Person, person_id))
            assert refused.value.message == STATS_NOT_ALLOWED
