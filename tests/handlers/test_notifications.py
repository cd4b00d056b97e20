"""Rendering outbox rows: what the resident, the owner and the enterprise are told, and in which language."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.app import build_application
from bot.sandbox.telegram import FakeTelegram
from config.settings import Settings
from handlers.context import RedPropApplication
from handlers.outgoing import RENDERERS, Outgoing, UnknownNotification, check_renderers, render_outbox
from locales.i18n import use_locale
from models.base import id_of, utcnow
from models.cases.actions import (
    accept_case,
    add_note,
    forward_case,
    mark_duplicate,
    mark_work_done,
    reject_case,
    resolve_case,
    withdraw_case,
)
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind, OwnerLevel
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, OutboxStatus, enqueue
from storage.database import Database
from tests.factories.cases import report
from tests.factories.directory import Someone
from tests.factories.world import World, make_world
from tests.fakes.outbox import deliver_outbox
from tests.fakes.request import FakeRequest


async def rows_to(db: Database, person: Someone, kind: str | None = None) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == person.telegram_id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.exec(query.order_by(col(OutboxMessage.id))))


async def render(db: Database, row: OutboxMessage, locale: str = "en") -> list[Outgoing]:
    async with db.read() as session:
        recipient = await session.get(Person, row.recipient_id)
        assert recipient is not None
        with use_locale(locale):
            return await render_outbox(session=session, message=row, recipient=recipient, now=utcnow())


async def act(db: Database, world: World, action: str, case_id: int, **extra: object) -> None:
    """Run one case action as the person who would take it."""
    functions = {
        "accept": (accept_case, world.instructor),
        "forward": (forward_case, world.instructor),
        "note": (add_note, world.instructor),
        "resolve": (resolve_case, world.instructor),
        "reject": (reject_case, world.instructor),
        "duplicate": (mark_duplicate, world.instructor),
        "work_done": (mark_work_done, world.staff),
        "withdraw": (withdraw_case, world.resident),
    }
    function, actor = functions[action]
    async with db.write() as session:
        person = await session.get(Person, actor.id)
        await function(session=session, case_id=case_id, actor=person, now=utcnow(), **extra)  # type: ignore[operator]


async def test_accept_note_and_resolve_reach_the_resident_in_english(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id)
    await act(db, world, "accept", id_of(case))
    await act(
        db, world, "note", id_of(case), text="Plumber comes on Monday.", photo_file_ids=["note-a", "note-b"]
    )
    await act(db, world, "resolve", id_of(case), note="The pipe was replaced.", photo_file_ids=["done-1"])

    accepted, noted, resolved = await rows_to(db, world.resident, OutboxKind.CASE_STATUS)
    assert await render(db, accepted) == [Outgoing(text=f"Your case {case.number} was accepted by 王指导员.")]
    note_parts = await render(db, noted)
    assert note_parts == [
        Outgoing(photo_file_ids=["note-a", "note-b"]),
        Outgoing(text=f"Progress on your case {case.number}:\nPlumber comes on Monday."),
    ]
    assert await render(db, resolved) == [
        Outgoing(photo_file_ids=["done-1"]),
        Outgoing(text=f"Your case {case.number} has been resolved: The pipe was replaced."),
    ]


async def test_forward_reject_and_duplicate_texts_name_no_phone_numbers(db: Database) -> None:
    world = await make_world(db)
    first = await report(db, world.resident.id, key="a")
    second = await report(db, world.resident.id, key="b")
    third = await report(db, world.resident.id, key="c")
    await act(db, world, "forward", id_of(first))
    await act(db, world, "reject", id_of(second), reason="This is the water company's main pipe")
    await act(db, world, "duplicate", id_of(third), original_number=first.number)

    texts = [
        part.text
        for row in await rows_to(db, world.resident, OutboxKind.CASE_STATUS)
        for part in await render(db, row)
    ]
    assert texts == [
        f"Your case {first.number} is being worked on by the property enterprise 海悦物业.",
        f"Your case {second.number} is not the responsibility of 海悦物业: "
        "This is the water company's main pipe\nThe street property office will follow up.",
        f"Your case {third.number} is the same problem as case {first.number}, "
        "which is already being handled.",
    ]
    phones = [person.phone for person in world.people() if person.phone]
    assert len(phones) == 5 and not [text for text in texts for phone in phones if phone in text]


async def test_a_new_case_card_comes_after_the_report_photos(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id, photos=["p1", "p2"])
    (card,) = await rows_to(db, world.instructor, OutboxKind.CASE_CARD)
    photos, message = await render(db, card)
    assert photos == Outgoing(photo_file_ids=["p1", "p2"])
    assert message.text.startswith(f"Case {case.number}")
    assert message.reply_markup is not None
    data = {button.callback_data for row in message.reply_markup.inline_keyboard for button in row}
    assert f"c:accept:{case.id}" in data


async def test_work_done_asks_the_owner_to_resolve_with_a_button(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id)
    await act(db, world, "forward", id_of(case))
    await act(db, world, "work_done", id_of(case))
    (row,) = await rows_to(db, world.instructor, OutboxKind.CASE_WORK_DONE)
    (part,) = await render(db, row)
    assert part.text == (
        f"The enterprise reports the work on case {case.number} is done. Please confirm the resolution."
    )
    assert part.reply_markup is not None
    (button,) = [button for line in part.reply_markup.inline_keyboard for button in line]
    assert (button.text, button.callback_data) == ("Resolve", f"c:resolve:{case.id}")


async def test_the_owner_hears_of_a_withdrawal(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id)
    await act(db, world, "withdraw", id_of(case))
    (row,) = await rows_to(db, world.instructor, OutboxKind.CASE_STATUS)
    assert await render(db, row) == [
        Outgoing(text=f"Case {case.number} was withdrawn by the resident who reported it.")
    ]


async def test_every_row_renders_in_chinese_without_error(db: Database) -> None:
    world = await make_world(db, locale="zh_CN")
    case = await report(db, world.resident.id, photos=["p1"])
    other = await report(db, world.resident.id, key="b")
    await act(db, world, "accept", id_of(case))
    await act(db, world, "forward", id_of(case))
    await act(db, world, "note", id_of(case), text="进行中", photo_file_ids=[])
    await act(db, world, "work_done", id_of(case))
    await act(db, world, "resolve", id_of(case), note="已修好", photo_file_ids=[])
    await act(db, world, "reject", id_of(other), reason="不归我们管")
    async with db.read() as session:
        rows = list(await session.exec(select(OutboxMessage)))
    assert {row.kind for row in rows} == {
        OutboxKind.CASE_CARD,
        OutboxKind.CASE_STATUS,
        OutboxKind.CASE_WORK_DONE,
    }
    cards = 0
    for row in rows:
        parts = await render(db, row, "zh_CN")
        if row.kind == OutboxKind.CASE_CARD and not parts:
            continue  # a card of a case that moved on since (the rejected one): superseded
        assert parts and parts[-1].text
        cards += row.kind == OutboxKind.CASE_CARD
    assert cards >= 2  # the instructor's and the enterprise staff's cards of the first case


async def test_an_unknown_kind_is_refused(db: Database) -> None:
    world = await make_world(db)
    async with db.write() as session:
        resident = await session.get(Person, world.resident.id)
        assert resident is not None
        row = await enqueue(session=session, recipient=resident, kind=OutboxKind.DRAFT_EXPIRED, now=utcnow())
        assert row is not None
        row.kind = "survey.v9"  # e.g. queued by a newer version of the bot
    with pytest.raises(UnknownNotification):
        await render(db, row)


async def test_handler_tests_can_deliver_the_outbox_on_demand(
    app: RedPropApplication, app_db: Database, telegram: FakeTelegram
) -> None:
    world = await make_world(app_db)
    case = await report(app_db, world.resident.id, photos=["p1"])
    await act(app_db, world, "accept", id_of(case))
    assert telegram.texts_to(world.resident.telegram_id) == []  # no background sender here
    await deliver_outbox(app)
    assert telegram.texts_to(world.resident.telegram_id) == [
        f"Your case {case.number} was accepted by 王指导员."
    ]
    assert [call.method for call in telegram.calls if call.chat_id == world.instructor.telegram_id] == [
        "sendPhoto",
        "sendMessage",
    ]
    async with app_db.read() as session:
        statuses = {row.status for row in await session.exec(select(OutboxMessage))}
    assert statuses == {OutboxStatus.SENT}


async def test_a_residents_note_is_told_to_the_owner_as_such(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id)
    async with db.write() as session:
        event = CaseEvent(
            case_id=id_of(case),
            actor_id=world.resident.id,
            kind=EventKind.NOTE,
            status=CaseStatus.ASSIGNED,
            text="It is dripping faster now.",
        )
        session.add(event)
        await session.flush()
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        row = await enqueue(
            session=session,
            recipient=instructor,
            kind=OutboxKind.CASE_STATUS,
            now=utcnow(),
            case_id=case.id,
            event_id=event.id,
        )
    assert row is not None
    assert await render(db, row) == [
        Outgoing(text=f"The resident added a note to case {case.number}:\nIt is dripping faster now.")
    ]


def test_every_outbox_kind_has_its_one_renderer() -> None:
    assert set(RENDERERS) == set(OutboxKind)
    check_renderers()  # does not raise


def test_a_kind_without_a_renderer_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, telegram: FakeTelegram
) -> None:
    monkeypatch.delitem(RENDERERS, OutboxKind.DRAFT_EXPIRED)
    with pytest.raises(RuntimeError, match=r"outbox kinds without a renderer: draft\.expired"):
        build_application(settings, request=FakeRequest(telegram))


async def test_a_card_for_someone_who_no_longer_owns_the_case_is_not_sent(
    app: RedPropApplication, app_db: Database, telegram: FakeTelegram
) -> None:
    world = await make_world(app_db)
    case = await report(app_db, world.resident.id)  # a card is queued for the instructor
    async with app_db.write() as session:  # the office hands the case to the party committee first
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.owner_level, stored.owner_id = OwnerLevel.PARTY_COMMITTEE, world.committee.id
    await deliver_outbox(app)
    assert [call.method for call in telegram.calls if call.chat_id == world.instructor.telegram_id] == []
    async with app_db.read() as session:
        card = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CASE_CARD))
        ).one()
    assert card.status == OutboxStatus.SUPERSEDED
