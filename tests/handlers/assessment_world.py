"""The golden street (tests/models/assessment/golden_street.py) with the people who use the
assessment in the chat: the office admin, the instructor of 海悦物业 (hy), its staff member, a
party committee member of 鑫海物业's (xh) community, and a resident. Its cases are of 2026Q3,
a quarter that has ended."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import Appeal, Assessment, GovernanceRecord
from models.base import id_of
from models.directory.tables import Community, Person, Role, RoleKind
from storage.database import Database
from tests.models.assessment.golden_street import (
    ADMIN_TG,
    INSTRUCTOR_TG,
    GoldenStreet,
    build_golden_street,
    record_golden_governance,
)

STAFF_TG, COMMITTEE_TG, RESIDENT_TG = 2100, 3100, 5100
ADMIN = TelegramUser(ADMIN_TG, "Office", "en")
INSTRUCTOR = TelegramUser(INSTRUCTOR_TG, "Instructor", "en")
STAFF = TelegramUser(STAFF_TG, "Staff", "en")
COMMITTEE = TelegramUser(COMMITTEE_TG, "Committee", "en")
RESIDENT = TelegramUser(RESIDENT_TG, "Resident", "en")
SCHEME = AssessmentScheme()
INVALID = "This button is no longer valid."
NOT_OFFICE = "Only the street property office can do this."


async def make_assessment_world(db: Database, *, governance: bool = True) -> GoldenStreet:
    """The golden street, its quarter's governance records if asked, and the people above."""
    street = await build_golden_street(db)
    if governance:
        await record_golden_governance(db, street, SCHEME)
    async with db.write() as session:
        staff = Person(telegram_id=STAFF_TG, name="Staff", language_code="en")
        committee = Person(telegram_id=COMMITTEE_TG, name="Committee", language_code="en")
        session.add_all([staff, committee])
        await session.flush()
        harbour = (await session.exec(select(Community).where(Community.code == "hj"))).one()
        session.add(Role(person_id=id_of(staff), kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=street.a))
        session.add(Role(person_id=id_of(committee), kind=RoleKind.PARTY_COMMITTEE, community_id=harbour.id))
    return street


async def forge(driver: Any, data: str) -> list[str]:
    """Press a button with any data, as a modified client could, on a message of the bot's."""
    telegram: FakeTelegram = driver.telegram
    message = {
        "message_id": 999,
        "date": 0,
        "chat": driver.user.private_chat(),
        "from": {"id": 7000000001, "is_bot": True, "first_name": "Red Property"},
        "text": "an old message",
    }
    before = len(telegram.calls)
    await driver.feed(callback_update(driver.user, data, message))
    return [
        str(call.params.get("text", ""))
        for call in telegram.calls[before:]
        if call.method in ("sendMessage", "editMessageText", "answerCallbackQuery")
    ]


def photo(file_id: str) -> list[dict[str, Any]]:
    return [
        {"file_id": f"{file_id}-small", "file_unique_id": "p0", "width": 90, "height": 90},
        {"file_id": file_id, "file_unique_id": "p1", "width": 800, "height": 800},
    ]


async def records(db: Database) -> list[GovernanceRecord]:
    async with db.read() as session:
        return list(await session.exec(select(GovernanceRecord).order_by(col(GovernanceRecord.id))))


async def assessments(db: Database) -> list[Assessment]:
    async with db.read() as session:
        return list(await session.exec(select(Assessment).order_by(col(Assessment.id))))


async def appeals(db: Database) -> list[Appeal]:
    async with db.read() as session:
        return list(await session.exec(select(Appeal).order_by(col(Appeal.id))))
