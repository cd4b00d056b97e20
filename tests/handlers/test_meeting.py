"""The Affairs Hall in the chat: /meeting refused in the past and for someone who may not schedule,
/agenda within each person's scope, /decide without owner or deadline refused, a stale drop
button on an old agenda, invitation answers, attendance, minutes and the action item in /cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.sandbox.updates import TelegramUser
from models.base import utcnow
from models.directory.tables import RoleKind
from models.meetings.tables import AgendaItem, Decision, Invitation, Meeting
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from storage.database import Database
from tests.factories.directory import add_role
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG, STAFF_TG
from tests.factories.world import World, make_world

ADMIN = TelegramUser(ADMIN_TG, "Zhou", "en")
INSTRUCTOR = TelegramUser(INSTRUCTOR_TG, "Wang", "en")
STAFF = TelegramUser(STAFF_TG, "Liu", "en")


@pytest.fixture
async def world(app_db: Database) -> World:
    world = await make_world(app_db)
    await add_role(app_db, world.staff, RoleKind.ENTERPRISE_HEAD, enterprise=world.enterprise)
    return world


def day(offset: int) -> str:
    return (utcnow() + timedelta(days=offset)).strftime("%Y-%m-%d")


async def meetings(db: Database) -> list[Meeting]:
    async with db.read() as session:
        return list(await session.exec(select(Meeting)))


async def test_scheduling_refusals_change_nothing(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = chat(ADMIN)
    assert await admin.send(f"/meeting {day(-1)} 14:00 dfht Hall") == ["The meeting must be in the future."]
    assert await chat(INSTRUCTOR).send(f"/meeting {day(3)} 14:00 dfht Hall") == [
        "Only a street office admin, or a community party committee member for their own community, "
        "can schedule the Affairs Hall."
    ]
    assert await admin.send(f"/meeting {day(3)} 14:00 nowhere Hall") == [
        "There is no community with the code nowhere."
    ]
    assert (await admin.send("/meeting tomorrow"))[0].startswith("Schedule the Affairs Hall like this")
    assert await meetings(app_db) == []


async def test_a_meeting_in_the_chat_from_invitation_to_minutes(  # type: ignore[no-untyped-def]
    chat, app_db: Database, world: World
) -> None:
    admin = chat(ADMIN)
    said = await admin.send(f"/meeting {day(3)} 14:00 dfht 街道会议室")
    [meeting] = await meetings(app_db)
    assert said == [
        f"The Affairs Hall #{meeting.id} is scheduled; 3 people are invited. /agenda shows its draft agenda."
    ]
    said = await admin.send(f"/agenda {meeting.id} add Charging shed for building 5")
    assert said[0] == "The item is added to the agenda."
    assert "Charging shed for building 5" in said[1] and "Drop item" in str(admin.buttons())
    # The instructor is invited: they see the draft, without the admin's buttons.
    agenda = await chat(INSTRUCTOR).send("/agenda")
    assert "Charging shed for building 5" in agenda[0] and "Add:" not in agenda[0]
    async with app_db.read() as session:
        [item] = list(await session.exec(select(AgendaItem)))
        invitation = (
            await session.exec(select(Invitation).where(Invitation.person_id == world.staff.id))
        ).one()
    liu = chat(STAFF)
    assert await liu.press(f"h:yes:{invitation.id}") == ["Thank you; your answer is recorded."]
    assert await admin.send(f"/decide {item.id} | Build it | {day(30)}") == [
        "A decision needs an owner: a person's name or an enterprise's code."
    ]
    assert await admin.send(f"/decide {item.id} hy | Build it") == [
        "A decision needs a deadline in the future, like 2026-12-31."
    ]
    assert await admin.send(f"/decide {item.id} hy | Build it | {day(30)}") == [
        f"The decision on item {item.id} is recorded."
    ]
    await admin.send(f"/attendance {meeting.id}")
    await admin.tap(f"h:att:{invitation.id}:1")
    assert await admin.send(f"/minutes {meeting.id}") == [
        "The meeting is closed; the minutes go to everyone who attended."
    ]
    # The old agenda's button: the meeting is over, nothing changes.
    assert await admin.press(f"h:drop:{meeting.id}:{item.id}") == [
        "This meeting's agenda has changed or the meeting is over; nothing was changed."
    ]
    async with app_db.read() as session:
        minutes = list(
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.MEETING_MINUTES))
        )
        [decision] = list(await session.exec(select(Decision)))
        assert not (await session.get(AgendaItem, item.id)).dropped  # type: ignore[union-attr]
    assert [row.recipient_id for row in minutes] == [world.staff.id]
    cases = await liu.send("/cases")
    assert any("Affairs Hall action items:" in text and "Build it" in text for text in cases)
    assert await liu.press(f"h:close:{decision.id}") == ["The action item is closed; its residents are told."]
    assert await liu.press(f"h:close:{decision.id}") == [
        "This meeting's agenda has changed or the meeting is over; nothing was changed."
    ]
