"""/visit: an instructor records a visit with a photo and a problem, opens a case on the spot in
the visited community (the instructor its reporter, its survey left out of the numbers); the
visits count per instructor per month; others are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.sandbox.updates import TelegramUser
from handlers.context import RedPropApplication
from models.base import utcnow
from models.cases.tables import Case
from models.surveys.tables import Survey
from models.visits.counts import visit_counts
from models.visits.tables import Visit, VisitCase
from storage.database import Database
from tests.factories.cases import accept, resolve
from tests.factories.ids import INSTRUCTOR_TG, OTHER_INSTRUCTOR_TG, RESIDENT_TG
from tests.factories.world import World, make_world
from tests.handlers.assessment_world import forge, photo

SHANGHAI = ZoneInfo("Asia/Shanghai")
WANG = TelegramUser(INSTRUCTOR_TG, "王指导员", "en")


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


async def test_a_visit_with_a_case_opened_on_the_spot(
    app: RedPropApplication, world: World, chat: Any, app_db: Database
) -> None:
    wang = chat(WANG)
    [card] = await wang.send("/visit dfht Walked the courtyards with the manager.")
    async with app_db.read() as session:
        [visit] = list(await session.exec(select(Visit)))
    number = visit.id
    assert card.startswith(f"Visit #{number} to 东方华庭, ")
    assert card.endswith("│ Walked the courtyards with the manager.\nPhotos: 0")
    assert wang.buttons() == {
        "Add a photo": f"vi:ph:{number}",
        "Note a problem": f"vi:pb:{number}",
        "Open a case on the spot": f"vi:cs:{number}",
    }
    await wang.tap(f"vi:ph:{number}")
    said = await wang.send(photo=photo("courtyard"))
    assert said[0].startswith("Added.") and "Photos: 1" in said[0]
    await wang.tap(f"vi:pb:{number}")
    assert await wang.send("Bins overflowing at gate 2.") == ["Problem noted."]
    said = await wang.tap(f"vi:cs:{number}")
    assert said[-1].startswith(
        "Send the category, then the description, like: leak Roof over stairwell 2 leaks."
    )
    assert "Categories: leak (Roof or wall leak / waterproofing), " in said[-1]  # codes with their names
    assert (await wang.send("lake The roof leaks"))[0].startswith("Send the category, then the description")
    [done] = await wang.send("leak Roof over stairwell 2 leaks.")
    async with app_db.read() as session:
        [case] = list(await session.exec(select(Case)))
        [link] = list(await session.exec(select(VisitCase)))
        visit = await session.get(Visit, number)
    assert done == f"Case {case.number} opened; it went to 王指导员."
    assert (case.reporter_id, case.community_id, case.category, link.visit_id) == (
        world.instructor.id,
        world.community,
        "leak",
        number,
    )
    assert visit is not None and visit.problems == "Bins overflowing at gate 2.\nRoof over stairwell 2 leaks."
    # Its survey is left out of the numbers, as for any case its handler reported.
    await accept(app_db, case.id or 0, world.instructor.id, utcnow())
    await resolve(app_db, case.id or 0, world.instructor.id, utcnow())
    async with app_db.read() as session:
        [survey] = list(await session.exec(select(Survey)))
        assert survey.excluded_from_numbers
        now = utcnow()
        counts = await visit_counts(
            session=session,
            street_id=world.street,
            start=now - timedelta(days=40),
            end=now + timedelta(days=1),
            tz=SHANGHAI,
        )
    month = now.astimezone(SHANGHAI).strftime("%Y-%m")
    assert [(c.instructor_id, c.month, c.visits, c.cases) for c in counts] == [
        (world.instructor.id, month, 1, 1)
    ]
    [listing] = await wang.send("/visit")
    assert "Your visits this month: 1" in listing


async def test_visits_are_for_instructors_and_cases_for_their_communities(
    app: RedPropApplication, world: World, chat: Any, app_db: Database
) -> None:
    assert await chat(TelegramUser(RESIDENT_TG, "Li", "en")).send("/visit dfht Hello") == [
        "Visits are recorded by party-building instructors."
    ]
    zhao = chat(TelegramUser(OTHER_INSTRUCTOR_TG, "赵指导员", "en"))
    assert await zhao.send("/visit zs1 Far away") == [
        "No community or property enterprise with the code “zs1” in your street."
    ]
    await zhao.send("/visit dfht A look at the neighbours.")  # in the street, not theirs
    async with app_db.read() as session:
        [visit] = list(await session.exec(select(Visit)))
    assert await zhao.tap(f"vi:cs:{visit.id}") == [
        "A case is opened on the spot only in a community you serve; report this one to its instructor."
    ]
    assert "There is no such visit of yours." in await forge(chat(WANG), f"vi:pb:{visit.id}")
