"""A resident's suggestion reaches the community party committee and the paired instructor; the
instructor adopts it with an answer and the resident is told; a second answer, or an answer by
someone else, is refused; the counts per community and per instructor follow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from handlers.context import RedPropApplication
from models.base import utcnow
from models.cases.suggestion_answers import suggestion_counts
from models.cases.tables import Suggestion, SuggestionOutcome
from models.directory.tables import Role
from storage.database import Database
from tests.factories.ids import COMMITTEE_TG, INSTRUCTOR_TG, OTHER_INSTRUCTOR_TG, RESIDENT_TG
from tests.factories.world import World, make_world
from tests.fakes.outbox import deliver_outbox
from tests.handlers.assessment_world import forge

IDEA = "Could we put two benches by the east gate?"


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


async def test_a_suggestion_is_answered_and_adopted_and_the_resident_told(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram, app_db: Database
) -> None:
    li = chat(TelegramUser(RESIDENT_TG, "Li", "en"))
    await li.send("/suggest")
    await li.send(IDEA)
    await li.tap(li.buttons()["Confirm"])
    await deliver_outbox(app)
    async with app_db.read() as session:
        [stored] = list(await session.exec(select(Suggestion)))
    number = stored.id
    wang, chen = (
        chat(TelegramUser(INSTRUCTOR_TG, "王指导员", "en")),
        chat(TelegramUser(COMMITTEE_TG, "陈书记", "en")),
    )
    for person in (wang, chen):
        message = person.last_message_with_buttons()
        assert message["text"] == (
            f"A suggestion #{number} for 东方华庭 from Li Resident:\n│ {IDEA}\n\n"
            "Answer it: tap what becomes of it, then write the answer the resident will read."
        )
        assert person.buttons() == {
            "Adopt": f"sg:ad:{number}",
            "Note": f"sg:no:{number}",
            "To the Affairs Hall agenda": f"sg:ag:{number}",
        }
    # An instructor of another enterprise cannot answer it, even with a forged button.
    zhao = chat(TelegramUser(OTHER_INSTRUCTOR_TG, "赵指导员", "en"))
    assert "Only the community's party committee and its instructor answer this suggestion." in await forge(
        zhao, f"sg:ad:{number}"
    )
    said = await wang.tap(f"sg:ad:{number}")
    assert said[-1] == (
        f"Suggestion #{number}: adopted. Send the answer the resident will read. /cancel changes nothing."
    )
    assert await wang.send("Two benches go in next week.") == ["Answered. The resident is told."]
    assert await chen.tap(f"sg:no:{number}") == ["This suggestion has already been answered."]
    await deliver_outbox(app)
    assert telegram.texts_to(RESIDENT_TG)[-1] == (
        "Your suggestion has an answer (adopted) from 王指导员:\n│ Two benches go in next week.\n\n"
        f"Your suggestion:\n│ {IDEA}"
    )
    async with app_db.read() as session:
        [stored] = list(await session.exec(select(Suggestion)))
        assert (stored.outcome, stored.answer, stored.answered_by, stored.instructor_id) == (
            SuggestionOutcome.ADOPTED,
            "Two benches go in next week.",
            world.instructor.id,
            world.instructor.id,
        )
        now = utcnow()
        window = {"session": session, "street_id": world.street, "start": now - timedelta(days=1), "end": now}
        by_community = await suggestion_counts(**window, by="community")
        by_instructor = await suggestion_counts(**window, by="instructor")
    assert [(c.key, c.received, c.answered, c.adopted, c.agenda) for c in by_community] == [
        (world.community, 1, 1, 1, 0)
    ]
    assert [(c.key, c.received, c.answered, c.adopted) for c in by_instructor] == [
        (world.instructor.id, 1, 1, 1)
    ]


async def test_an_instructor_no_longer_paired_cannot_answer_what_was_routed_to_them(
    app: RedPropApplication, world: World, chat: Any, app_db: Database
) -> None:
    li = chat(TelegramUser(RESIDENT_TG, "Li", "en"))
    await li.send("/suggest")
    await li.send(IDEA)
    await li.tap(li.buttons()["Confirm"])
    async with app_db.write() as session:
        [stored] = list(await session.exec(select(Suggestion)))
        for role in await session.exec(select(Role).where(Role.person_id == world.instructor.id)):
            await session.delete(role)  # the directory moved 王指导员 away
    wang = chat(TelegramUser(INSTRUCTOR_TG, "王指导员", "en"))
    assert "Only the community's party committee and its instructor answer this suggestion." in await forge(
        wang, f"sg:ad:{stored.id}"
    )
    async with app_db.read() as session:
        assert (await session.get(Suggestion, stored.id)).outcome is None  # type: ignore[union-attr]
