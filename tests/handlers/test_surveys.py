"""The survey in the chat: the resident taps through it, comments, and is refused politely
when a press comes too late, twice, from an old message or from someone else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.jobs import check_surveys
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update
from config.settings import Settings
from handlers.context import RedPropApplication
from models.base import utcnow
from models.cases.categories import ReportCategory, for_category
from models.cases.tables import Case, CaseStatus
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.surveys.tables import Solved, Survey, SurveyStatus
from storage.database import Database
from tests.factories.cases import report, resolved_case
from tests.factories.ids import INSTRUCTOR_TG, NEIGHBOUR_TG, RESIDENT_TG
from tests.factories.world import World, make_world
from tests.fakes.chat import ChatDriver
from tests.fakes.outbox import deliver_outbox
from tests.handlers.resident_chat import STICKER

RESIDENT = TelegramUser(RESIDENT_TG, "Li", "en")
NEIGHBOUR = TelegramUser(NEIGHBOUR_TG, "Ma", "en")


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


def no_quiet(settings: Settings, **surveys: Any) -> Settings:
    options = settings.surveys.model_copy(update={"quiet_hours": "", **surveys})
    return settings.model_copy(update={"surveys": options})


async def survey_out(app: RedPropApplication, app_db: Database, settings: Settings, world: World) -> Case:
    """A case of the resident's, resolved by the instructor, whose survey the resident has received."""
    case = await resolved_case(
        app_db,
        world.resident.id,
        world.instructor.id,
        now=utcnow() - timedelta(minutes=5),
        delay=timedelta(0),
    )
    batch = await check_surveys(database=app_db, settings=no_quiet(settings), now=utcnow())
    assert batch.sent == 1
    await deliver_outbox(app)
    return case


async def survey_chat(
    app: RedPropApplication, app_db: Database, settings: Settings, world: World, chat: Any
) -> tuple[Case, ChatDriver, int | None]:
    """The survey is out (see ``survey_out``): its case, the resident's chat, and the survey's id."""
    case = await survey_out(app, app_db, settings, world)
    li: ChatDriver = chat(RESIDENT)
    return case, li, (await survey_of(app_db, case)).id


async def survey_of(db: Database, case: Case) -> Survey:
    async with db.read() as session:
        return (await session.exec(select(Survey).where(Survey.case_id == case.id))).one()


async def load(db: Database, case: Case) -> Case:
    async with db.read() as session:
        row = await session.get(Case, case.id)
        assert row is not None
        return row


def edits(said: list[str]) -> str:
    return said[-1]


async def press_on(driver: ChatDriver, message: dict[str, Any], data: str) -> list[str]:
    """Press a button on a given (perhaps older) message; what the bot said in answer."""
    before = len(driver.telegram.calls)
    await driver.feed(callback_update(driver.user, data, message))
    return [
        str(call.params.get("text", ""))
        for call in driver.telegram.calls[before:]
        if call.method in ("sendMessage", "editMessageText", "answerCallbackQuery")
    ]


async def test_solved_five_stars_yes_and_a_comment_close_the_case(
    app: RedPropApplication, app_db: Database, settings: Settings, world: World, chat: Any
) -> None:
    case = await survey_out(app, app_db, settings, world)
    li: ChatDriver = chat(RESIDENT)
    survey = await survey_of(app_db, case)
    sid = survey.id
    asked = li.last_message_with_buttons()["text"]
    assert asked == f"Case {case.number} was resolved: Fixed.\n\nIs the problem solved?"
    assert li.buttons() == {
        "Solved": f"v:{sid}:solved:solved",
        "Partly solved": f"v:{sid}:solved:partly",
        "Not solved": f"v:{sid}:solved:not",
    }
    said = await li.tap(f"v:{sid}:solved:solved")
    assert edits(said).endswith(
        "Is the problem solved? Solved\nHow satisfied are you with how it was handled?"
    )
    await li.tap(f"v:{sid}:stars:5")
    said = await li.tap(f"v:{sid}:pay:yes")
    assert edits(said).endswith(
        "Are you willing to pay your property fee? Yes\nAny comment? Type it, or tap Skip."
    )
    said = await li.send("Quick and tidy work, thank you.")
    assert said[-1] == f"Thank you for your answers! Case {case.number} is now closed."
    assert "Your comment: Quick and tidy work, thank you." in said[0]  # the survey message, finished

    survey = await survey_of(app_db, case)
    assert (survey.status, survey.solved, survey.stars, survey.willing_to_pay, survey.comment) == (
        SurveyStatus.ANSWERED,
        Solved.SOLVED,
        5,
        True,
        "Quick and tidy work, thank you.",
    )
    assert (await load(app_db, case)).status == CaseStatus.CLOSED
    # The comment is taken once: the next text is not a comment any more.
    await li.send("hello")
    assert (await survey_of(app_db, case)).comment == "Quick and tidy work, thank you."


async def test_not_solved_reopens_to_the_same_owner_who_gets_the_card_and_the_comment(
    app: RedPropApplication,
    app_db: Database,
    settings: Settings,
    world: World,
    chat: Any,
    telegram: FakeTelegram,
) -> None:
    case, li, sid = await survey_chat(app, app_db, settings, world, chat)
    await li.tap(f"v:{sid}:solved:not")
    reopened = await load(app_db, case)
    assert (reopened.status, reopened.owner_id) == (CaseStatus.REOPENED, world.instructor.id)
    await deliver_outbox(app)
    assert any(case.number in text for text in telegram.texts_to(INSTRUCTOR_TG))
    await li.tap(f"v:{sid}:stars:2")
    said = await li.tap(f"v:{sid}:pay:no")
    assert edits(said).endswith(
        "What is still wrong? Type it and it goes to the person handling the case, or tap Skip."
    )
    said = await li.send("Water still comes through the ceiling.")
    assert said[-1] == f"Thank you for your answers! Case {case.number} is reopened and back with 王指导员."
    await deliver_outbox(app)
    assert telegram.texts_to(INSTRUCTOR_TG)[-1] == (
        f"The resident added a note to case {case.number}:\nWater still comes through the ceiling."
    )
    survey = await survey_of(app_db, case)
    assert (survey.solved, survey.reopened, survey.stars, survey.willing_to_pay) == (
        Solved.NOT,
        True,
        2,
        False,
    )
    assert (await load(app_db, case)).status == CaseStatus.REOPENED


async def test_partly_solved_asks_whether_to_reopen(
    app: RedPropApplication, app_db: Database, settings: Settings, world: World, chat: Any
) -> None:
    case, li, sid = await survey_chat(app, app_db, settings, world, chat)
    said = await li.tap(f"v:{sid}:solved:partly")
    assert edits(said).endswith("Should the case be reopened so the rest gets fixed?")
    await li.tap(f"v:{sid}:reopen:no")
    await li.tap(f"v:{sid}:stars:4")
    await li.tap(f"v:{sid}:pay:yes")
    said = await li.tap(f"v:{sid}:comment:skip")
    assert edits(said).endswith(f"Thank you for your answers! Case {case.number} is now closed.")
    survey = await survey_of(app_db, case)
    assert (survey.solved, survey.reopened, survey.status) == (Solved.PARTLY, False, SurveyStatus.ANSWERED)
    assert (await load(app_db, case)).status == CaseStatus.CLOSED


async def test_twice_old_message_someone_else_and_after_expiry_are_refused(
    app: RedPropApplication,
    app_db: Database,
    settings: Settings,
    world: World,
    chat: Any,
    telegram: FakeTelegram,
) -> None:
    case, li, sid = await survey_chat(app, app_db, settings, world, chat)
    first = li.last_message_with_buttons()
    # The one reminder, as a new message with the same question.
    batch = await check_surveys(
        database=app_db, settings=no_quiet(settings, reminder_after=timedelta(0)), now=utcnow()
    )
    assert batch.reminded == 1
    await deliver_outbox(app)
    reminder = li.last_message_with_buttons()
    assert reminder["message_id"] != first["message_id"]
    assert reminder["text"].startswith("A reminder: we would like to hear from you.")
    assert reminder["text"].endswith("Is the problem solved?")

    said = await press_on(li, reminder, f"v:{sid}:solved:solved")  # the reminder works
    assert "How satisfied are you" in said[-1]
    said = await press_on(li, first, f"v:{sid}:solved:not")  # the old question, answered already
    assert said == ["You have already answered this question."]
    said = await press_on(li, first, f"v:{sid}:stars:3")  # the current step works from either
    assert "Are you willing to pay" in said[-1]
    said = await li.tap(f"v:{sid}:stars:1")  # a double tap
    assert said == ["You have already answered this question."]

    ma: ChatDriver = chat(NEIGHBOUR)
    said = await press_on(ma, {**reminder, "chat": NEIGHBOUR.private_chat()}, f"v:{sid}:pay:no")
    assert said == ["This survey is not yours to answer."]
    said = await press_on(li, reminder, f"v:{sid}:stars:9")  # forged
    assert said == ["You have already answered this question."]

    expired = await check_surveys(
        database=app_db, settings=no_quiet(settings), now=utcnow() + settings.surveys.expire_after
    )
    assert expired.expired == 1
    said = await press_on(li, reminder, f"v:{sid}:pay:yes")
    assert said == ["This survey has closed."]

    survey = await survey_of(app_db, case)
    assert (survey.status, survey.solved, survey.stars, survey.willing_to_pay) == (
        SurveyStatus.EXPIRED,
        Solved.SOLVED,
        3,
        None,
    )
    assert (await load(app_db, case)).status == CaseStatus.CLOSED  # unanswered: closed as resolved
    async with app_db.read() as session:
        cards = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CASE_CARD))
        ).all()
    assert len(cards) == 1  # only the card of the original report: nothing reopened


async def test_wrong_media_and_too_long_text_at_the_comment_are_hinted(
    app: RedPropApplication, app_db: Database, settings: Settings, world: World, chat: Any
) -> None:
    case, li, sid = await survey_chat(app, app_db, settings, world, chat)
    for data in (f"v:{sid}:solved:solved", f"v:{sid}:stars:5", f"v:{sid}:pay:yes"):
        await li.tap(data)
    assert await li.send(sticker=STICKER) == ["Please type your comment as text, or tap Skip."]
    limit = settings.cases.max_text_length
    assert await li.send("x" * (limit + 1)) == [
        f"That is {limit + 1} characters; please keep it to {limit} at most."
    ]
    survey = await survey_of(app_db, case)
    assert (survey.status, survey.comment) == (SurveyStatus.SENT, None)
    said = await li.send("Fine now.")
    assert said[-1] == f"Thank you for your answers! Case {case.number} is now closed."
    assert (await survey_of(app_db, case)).comment == "Fine now."


async def test_a_command_leaves_the_comment_waiting_for_the_skip_button(
    app: RedPropApplication, app_db: Database, settings: Settings, world: World, chat: Any
) -> None:
    case, li, sid = await survey_chat(app, app_db, settings, world, chat)
    for data in (f"v:{sid}:solved:solved", f"v:{sid}:stars:5", f"v:{sid}:pay:yes"):
        await li.tap(data)
    await li.send("/help")
    await li.send("this is not a comment")
    assert (await survey_of(app_db, case)).comment is None
    said = await li.tap(f"v:{sid}:comment:skip")
    assert edits(said).endswith(f"Thank you for your answers! Case {case.number} is now closed.")
    assert (await survey_of(app_db, case)).status == SurveyStatus.ANSWERED


async def test_the_instructors_resolve_schedules_the_survey_after_the_categorys_delay(
    app: RedPropApplication, app_db: Database, settings: Settings, world: World, chat: Any
) -> None:
    case = await report(app_db, world.resident.id, category=ReportCategory.LEAK)
    wang: ChatDriver = chat(TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    await wang.send("/cases")
    await wang.tap(f"c:accept:{case.id}")
    await wang.tap(f"c:resolve:{case.id}")
    said = await wang.send("New seal on the roof.")
    assert said[0] == f"Case {case.number} is resolved; the resident is told."
    survey = await survey_of(app_db, case)
    resolved = await load(app_db, case)
    assert resolved.resolved_at is not None
    assert for_category(settings.surveys.delay, "leak") == timedelta(days=7)  # after a rain, not the next day
    assert (survey.status, survey.due_at - resolved.resolved_at) == (
        SurveyStatus.SCHEDULED,
        timedelta(days=7),
    )
