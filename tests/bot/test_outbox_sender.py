"""The outbox sender against the in-process fake Bot API: once each, paced, and honest about failures."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.app import build_application
from bot.outbox import sender as outbox_sender
from bot.outbox.sender import OutboxSender
from bot.outbox.transport import sender_bot
from bot.sandbox.telegram import Call, FakeTelegram
from config.settings import Settings, load_settings
from handlers.context import OUTBOX_KEY, wake_outbox
from models.base import id_of, utcnow
from models.cases.actions import accept_case
from models.cases.routing import RoutingReason
from models.cases.tables import Case, CaseEvent, EventKind, OwnerLevel
from models.directory.tables import Person, RoleKind
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, OutboxStatus, enqueue
from storage.database import Database
from tests.factories.cases import report
from tests.factories.directory import Someone, add_person, add_role
from tests.factories.ids import INSTRUCTOR_TG, RESIDENT_TG, Kind
from tests.factories.world import World, make_world
from tests.fakes.request import FakeRequest
from tests.server_restart import end_other_sessions

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklm"


def make_settings(database_url: str, **outbox: Any) -> Settings:
    overrides = {"telegram.token": TOKEN, "database.url": database_url, "outbox.rate": 30}
    overrides["outbox.per_chat_interval"] = timedelta(seconds=0.05)
    overrides.update({f"outbox.{key}": value for key, value in outbox.items()})
    return load_settings(overrides=overrides)


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


@pytest.fixture
async def make_sender(
    database_url: str, telegram: FakeTelegram
) -> AsyncIterator[Callable[..., Awaitable[OutboxSender]]]:
    """Start senders, each with its own database engine as another process would have."""
    started: list[tuple[OutboxSender, Database]] = []

    async def make(*, batch: int | None = None, poll_interval: float = 0.05, **outbox: Any) -> OutboxSender:
        settings = make_settings(database_url, **outbox)
        database = Database(database_url)
        sender = OutboxSender(
            database=database,
            bot=sender_bot(settings, FakeRequest(telegram)),
            settings=settings,
            backoff_base=0.1,
            poll_interval=poll_interval,
            batch=batch,
        )
        await sender.start()
        started.append((sender, database))
        return sender

    yield make
    for sender, database in started:
        await sender.stop()
        await database.dispose()


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list(await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def wait_until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


async def settled(db: Database) -> bool:
    return all(row.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING) for row in await rows(db))


def delivered(telegram: FakeTelegram, chat_id: int | None = None) -> list[Call]:
    return [call for call in telegram.calls_of("sendMessage", chat_id) if call.result is not None]


async def queue_cards(db: Database, case: Case, people: list[Someone]) -> None:
    """A card of the case for each person (the enterprise's staff now work it, see :func:`add_people`)."""
    async with db.write() as session:
        forwarded = await session.get(Case, case.id)
        assert forwarded is not None
        forwarded.forwarded_enterprise_id = forwarded.enterprise_id
        for someone in people:
            person = await session.get(Person, someone.id)
            assert person is not None
            await enqueue(
                session=session, recipient=person, kind=OutboxKind.CASE_CARD, now=utcnow(), case_id=case.id
            )


async def add_people(db: Database, world: World, count: int) -> list[Someone]:
    """Staff of the world's enterprise, who get a case's card once it is forwarded to them."""
    async with db.write() as session:
        people = [
            await add_person(session, Kind.STAFF, f"P{n}", community=world.community) for n in range(count)
        ]
        for person in people:
            await add_role(session, person, RoleKind.ENTERPRISE_STAFF, enterprise=world.enterprise)
    return people


async def test_each_row_is_delivered_once_and_marked_sent(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    case = await report(db, world.resident.id)
    await queue_cards(db, case, await add_people(db, world, 4))
    await make_sender()
    await wait_until(lambda: settled(db))
    await asyncio.sleep(0.3)  # a few more polls: nothing is sent again
    assert sorted(call.chat_id or 0 for call in delivered(telegram)) == sorted(
        row.chat_id for row in await rows(db)
    )
    for row in await rows(db):
        assert row.status == OutboxStatus.SENT
        (call,) = delivered(telegram, row.chat_id)
        assert row.telegram_message_id == call.result["message_id"]
        assert call.params["text"].startswith(f"Case {case.number}")


async def test_flood_control_pauses_everything_then_delivers_without_duplicates(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", status=429, retry_after=1, chat_id=world.instructor.telegram_id)
    case = await report(db, world.resident.id)
    sender = await make_sender()

    async def refused() -> bool:
        return bool(telegram.calls_of("sendMessage"))

    await wait_until(refused)
    # Rows queued during the pause wait it out too, whatever their chat.
    others = await add_people(db, world, 2)
    await queue_cards(db, case, others)
    sender.wake()
    await wait_until(lambda: settled(db))
    first, second = telegram.calls_of("sendMessage", world.instructor.telegram_id)
    assert first.result is None and second.result is not None
    assert second.at - first.at >= 1.0
    for person in others:
        (call,) = telegram.calls_of("sendMessage", person.telegram_id)
        assert call.result is not None and call.at - first.at >= 1.0
    card = next(row for row in await rows(db) if row.chat_id == world.instructor.telegram_id)
    assert (card.status, card.attempts) == (OutboxStatus.SENT, 0)


async def test_a_half_sent_card_waits_out_a_flood_pause_without_being_taken_for_interrupted(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    # The photo goes, then the card's text meets flood control for longer than a lease.
    telegram.fail("sendMessage", status=429, retry_after=2, chat_id=world.instructor.telegram_id)
    await report(db, world.resident.id, photos=["leak-photo"])
    await make_sender(lease=timedelta(seconds=1))

    async def refused() -> bool:
        return bool(telegram.calls_of("sendMessage"))

    await wait_until(refused)
    await asyncio.sleep(1.5)  # past the lease, within the pause
    card = next(row for row in await rows(db) if row.chat_id == world.instructor.telegram_id)
    assert (card.status, card.failed_at) == (OutboxStatus.SENDING, None)
    await wait_until(lambda: settled(db))
    card = next(row for row in await rows(db) if row.chat_id == world.instructor.telegram_id)
    assert (card.status, card.failed_at) == (OutboxStatus.SENT, None)
    assert len(telegram.calls_of("sendPhoto", world.instructor.telegram_id)) == 1


async def test_server_errors_are_retried_with_growing_pauses(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", status=500, times=2)
    await report(db, world.resident.id)
    await make_sender()
    await wait_until(lambda: settled(db))
    calls = telegram.calls_of("sendMessage", world.instructor.telegram_id)
    assert [call.result is not None for call in calls] == [False, False, True]
    # Doubling pauses, jittered within their upper half: 0.05-0.1 s, then 0.1-0.2 s.
    assert calls[1].at - calls[0].at >= 0.05
    assert calls[2].at - calls[1].at >= 0.1
    (row,) = await rows(db)
    assert (row.status, row.attempts, row.unanswered) == (OutboxStatus.SENT, 2, 0)


async def test_giving_up_once_retry_for_is_over(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", status=502, times=1000)
    await report(db, world.resident.id)
    await make_sender(retry_for=timedelta(seconds=1), max_backoff=timedelta(seconds=0.2))
    await wait_until(lambda: settled(db))
    card = next(row for row in await rows(db) if row.kind == OutboxKind.CASE_CARD)
    assert card.status == OutboxStatus.FAILED and card.failed_at is not None
    assert "Bad Gateway" in (card.error or "")
    tries = telegram.calls_of("sendMessage", world.instructor.telegram_id)
    # Pauses of 0.05-0.1, 0.1-0.2, then at most 0.2 s each, for one second from the first failure.
    assert 3 <= len(tries) <= 20 and card.attempts == len(tries)
    assert card.failing_since is not None and card.failed_at >= card.failing_since


async def test_a_bad_request_fails_the_row_at_once(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", status=400, description="Bad Request: chat not found")
    case = await report(db, world.resident.id)
    await make_sender()
    await wait_until(lambda: settled(db))
    card, *others = await rows(db)
    assert card.status == OutboxStatus.FAILED and card.failed_at is not None
    assert "chat not found" in (card.error or "").lower()
    assert len(telegram.calls_of("sendMessage", world.instructor.telegram_id)) == 1
    # A dead letter of a card: the case moves up as for a blocked owner, and the office is told.
    async with db.read() as session:
        moved = await session.get(Case, case.id)
        instructor = await session.get(Person, world.instructor.id)
    assert moved is not None and moved.owner_id == world.committee.id
    assert instructor is not None and instructor.reachable  # not blocked: other messages may reach them
    assert {row.status for row in others} == {OutboxStatus.SENT}
    (to_committee,) = delivered(telegram, world.committee.telegram_id)
    assert to_committee.params["text"].startswith(f"Case {case.number}")
    (alert,) = delivered(telegram, world.admin.telegram_id)
    assert alert.params["text"].startswith(f"⚠️ The card of case {case.number} could not be delivered to")
    assert "moved one level up" in alert.params["text"]


async def test_a_blocked_owner_is_unreachable_and_the_case_moves_up(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", status=403, chat_id=world.instructor.telegram_id)
    case = await report(db, world.resident.id)
    await make_sender()

    async def committee_has_card() -> bool:
        return bool(delivered(telegram, world.committee.telegram_id))

    await wait_until(committee_has_card)
    await wait_until(lambda: settled(db))
    async with db.read() as session:
        instructor = await session.get(Person, world.instructor.id)
        moved = await session.get(Case, case.id)
        events = list(
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
            )
        )
    assert instructor is not None and instructor.reachable is False
    assert moved is not None
    assert (moved.owner_level, moved.owner_id) == (OwnerLevel.PARTY_COMMITTEE, world.committee.id)
    assert events[-1].kind == EventKind.ROUTED and events[-1].reason == RoutingReason.COMMITTEE_UP
    statuses = {row.chat_id: row.status for row in await rows(db)}
    assert statuses == {
        world.instructor.telegram_id: OutboxStatus.BLOCKED,
        world.committee.telegram_id: OutboxStatus.SENT,
    }
    assert delivered(telegram, world.instructor.telegram_id) == []


async def test_a_row_left_sending_by_a_dead_process_is_never_resent(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    case = await report(db, world.resident.id)
    async with db.write() as session:
        card = (await session.exec(select(OutboxMessage))).one()
        card.status = OutboxStatus.SENDING
        card.claimed_by = "dead-host:1:0"
        card.claimed_until = utcnow() - timedelta(seconds=1)
        session.add(card)
        resident = await session.get(Person, world.resident.id)
        assert resident is not None
    async with db.write() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        await accept_case(session=session, case_id=id_of(case), actor=instructor, now=utcnow())
    await make_sender()
    await wait_until(lambda: settled(db))
    await asyncio.sleep(0.3)
    by_chat = {row.chat_id: row for row in await rows(db)}
    assert by_chat[INSTRUCTOR_TG].status == OutboxStatus.UNCERTAIN
    assert delivered(telegram, world.instructor.telegram_id) == []
    assert by_chat[RESIDENT_TG].status == OutboxStatus.SENT
    # The interrupted card may not have arrived: as for any dead card, the case moves up and the
    # office is told.
    kinds = {row.kind for row in await rows(db)}
    assert OutboxKind.CARD_UNDELIVERED in kinds
    async with db.read() as session:
        moved = await session.get(Case, id_of(case))
        assert moved is not None and moved.owner_id != world.instructor.id


async def test_rows_queued_after_the_server_closed_every_connection_go_out_without_an_error(
    db: Database,
    world: World,
    make_sender: Any,
    telegram: FakeTelegram,
    postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case = await report(db, world.resident.id)  # the instructor's card
    sender = await make_sender(poll_interval=60.0)  # no claim under way when the sessions end
    await wait_until(lambda: settled(db))
    assert await end_other_sessions(postgres_url) >= 2  # the sender's pool and the test's
    await asyncio.sleep(0.1)
    people = await add_people(db, world, 3)
    await queue_cards(db, case, people)
    sender.wake()
    await wait_until(lambda: settled(db))
    assert {row.status for row in await rows(db)} == {OutboxStatus.SENT}
    assert sorted(call.chat_id or 0 for call in delivered(telegram)) == sorted(
        [INSTRUCTOR_TG] + [person.telegram_id or 0 for person in people]
    )
    assert [record.message for record in caplog.records if record.levelname == "ERROR"] == []


async def test_stop_while_sending_is_being_committed_lets_that_send_finish(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop that cancelled a delivery whose "sending" was committed would strand the row."""
    entered, go_on = asyncio.Event(), asyncio.Event()
    real = outbox_sender.start_sending

    async def slow_start_sending(**kwargs: Any) -> bool:
        entered.set()
        await go_on.wait()
        return await real(**kwargs)

    monkeypatch.setattr(outbox_sender, "start_sending", slow_start_sending)
    case = await report(db, world.resident.id)  # the instructor's card
    sender = await make_sender()
    await asyncio.wait_for(entered.wait(), 10)
    stopping = asyncio.create_task(sender.stop())
    await asyncio.sleep(0.1)
    go_on.set()
    await asyncio.wait_for(stopping, 15)
    [row] = await rows(db)
    assert row.status == OutboxStatus.SENT
    [call] = delivered(telegram)
    assert call.params["text"].startswith(f"Case {case.number}")


async def test_stop_in_the_middle_of_a_claim_lets_that_transaction_finish(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled halfway, a database call leaves its connection broken; stop() waits for it instead."""
    entered, finished = asyncio.Event(), asyncio.Event()
    real = outbox_sender.claim_due

    async def slow_claim_due(**kwargs: Any) -> list[OutboxMessage]:
        entered.set()
        await asyncio.sleep(0.3)
        claimed = await real(**kwargs)
        finished.set()
        return claimed

    monkeypatch.setattr(outbox_sender, "claim_due", slow_claim_due)
    await report(db, world.resident.id)  # the instructor's card
    sender = await make_sender()
    await asyncio.wait_for(entered.wait(), 10)
    await asyncio.wait_for(sender.stop(), 15)
    assert finished.is_set()
    # What it claimed was given back, not sent: the next sender delivers it.
    [row] = await rows(db)
    assert row.status == OutboxStatus.PENDING and row.claimed_by is None


async def test_two_senders_never_send_the_same_row_twice(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    case = await report(db, world.resident.id)
    people = await add_people(db, world, 50)
    await queue_cards(db, case, people)
    first = await make_sender(batch=5)
    second = await make_sender(batch=5)
    await wait_until(lambda: settled(db), within=20)
    await asyncio.sleep(0.3)
    sent_to = [call.chat_id or 0 for call in delivered(telegram)]
    assert sorted(sent_to) == sorted([INSTRUCTOR_TG] + [p.telegram_id for p in people])
    assert {row.status for row in await rows(db)} == {OutboxStatus.SENT}
    # Both took part, so the claims really did compete.
    assert {row.claimed_by for row in await rows(db)} == {first.worker, second.worker}


async def test_a_burst_of_wakes_shares_claims_and_every_row_still_goes(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As during a surge of reports: a row and a wake every few milliseconds, for half a second."""
    claims: list[tuple[float, float]] = []  # (start, end) of each claim
    real = outbox_sender.claim_due
    loop = asyncio.get_running_loop()

    async def timed_claim_due(**kwargs: Any) -> list[OutboxMessage]:
        start = loop.time()
        claimed = list(await real(**kwargs))
        claims.append((start, loop.time()))
        return claimed

    monkeypatch.setattr(outbox_sender, "claim_due", timed_claim_due)
    case = await report(db, world.resident.id)
    people = await add_people(db, world, 50)
    sender = await make_sender()
    await asyncio.sleep(0.1)  # the first claims at start are done
    claims.clear()
    for person in people:
        await queue_cards(db, case, [person])
        sender.wake()
        await asyncio.sleep(0.01)
    in_burst = list(claims)
    await wait_until(lambda: settled(db), within=20)
    assert {row.status for row in await rows(db)} == {OutboxStatus.SENT}
    assert len(delivered(telegram)) == len(people) + 1  # and the instructor's card
    # Wakes share claims: a claim starts at least CLAIM_GAP after the one before ended, however
    # slow the machine (a wake per row would claim every ~10 ms here).
    gaps = [start - end for (_, end), (start, _) in itertools.pairwise(in_burst)]
    assert len(in_burst) >= 2
    assert min(gaps) >= outbox_sender.CLAIM_GAP - 0.005, (len(in_burst), sorted(gaps)[:3])


async def test_one_chat_is_paced_without_holding_up_the_others(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    case = await report(db, world.resident.id)  # a card to the instructor
    (colleague,) = await add_people(db, world, 1)
    await queue_cards(db, case, [world.instructor, world.instructor])
    await queue_cards(db, case, [colleague])
    await make_sender(per_chat_interval=timedelta(seconds=0.4))
    await wait_until(lambda: settled(db))
    to_instructor = delivered(telegram, world.instructor.telegram_id)
    assert len(to_instructor) == 3
    assert all(later.at - earlier.at >= 0.4 for earlier, later in itertools.pairwise(to_instructor))
    (to_colleague,) = delivered(telegram, colleague.telegram_id)
    assert to_colleague.at < to_instructor[1].at


async def test_report_photos_go_first_as_one_media_group(
    db: Database, world: World, make_sender: Any, telegram: FakeTelegram
) -> None:
    await report(db, world.resident.id, photos=["photo-1", "photo-2"])
    await make_sender()
    await wait_until(lambda: settled(db))
    chat = world.instructor.telegram_id
    methods = [call.method for call in telegram.calls if call.chat_id == chat]
    assert methods == ["sendMediaGroup", "sendMessage"]
    (group,) = telegram.calls_of("sendMediaGroup", chat)
    assert [item["media"] for item in group.params["media"]] == ["photo-1", "photo-2"]


async def test_the_application_runs_the_sender_and_wake_sends_at_once(
    database_url: str, world: World, telegram: FakeTelegram, db: Database
) -> None:
    settings = make_settings(database_url)
    application = build_application(settings, request=FakeRequest(telegram))
    await application.initialize()
    assert application.post_init is not None and application.post_shutdown is not None
    await application.post_init(application)
    try:
        sender = application.bot_data[OUTBOX_KEY]
        assert isinstance(sender, OutboxSender)
        await report(db, world.resident.id)
        wake_outbox(application)
        await wait_until(lambda: settled(db), within=5)
        assert len(delivered(telegram, world.instructor.telegram_id)) == 1
    finally:
        await application.shutdown()
        await application.post_shutdown(application)
    assert sender._main is not None and sender._main.done()
