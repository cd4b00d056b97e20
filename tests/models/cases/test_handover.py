"""Removing a person from the directory hands their open cases on and leaves them no power over them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models.base import id_of, utcnow
from models.cases.access import allowed_actions, may_handle
from models.cases.categories import ReportCategory
from models.cases.handover import HandedOn, hand_on_uncovered_cases
from models.cases.opening import CaseDraft, Deadlines, open_new_case
from models.cases.routing import RoutingReason
from models.cases.tables import Case, CaseEvent, EventKind, OwnerLevel
from models.directory.file import import_directory
from models.directory.parsing import parse_directory
from models.directory.tables import Community, Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from storage.database import Database

WANG, LI, CHEN, OFFICE, RESIDENT = 1001, 1002, 3001, 4001, 5001  # tests/factories/ids.py


def directory(*instructors: tuple[int, str]) -> str:
    listed = "".join(
        f'[[instructor]]\ntelegram_id = {tg}\nname = "{name}"\nenterprises = ["hy"]\n\n'
        for tg, name in instructors
    )
    return f"""
[[street]]
code = "lsw"
name = "灵山卫街道"
office_admins = [{{ name = "刘主任", telegram_id = {OFFICE} }}]

[[enterprise]]
code = "hy"
name = "海悦物业"

[[community]]
code = "dfht"
name = "东方华庭"
street = "lsw"
enterprise = "hy"
party_committee = [{{ name = "陈书记", telegram_id = {CHEN} }}]

{listed}"""


async def load(db: Database, text: str) -> list[HandedOn]:
    async with db.write() as session:
        summary = await import_directory(session=session, document=parse_directory(text))
        return await hand_on_uncovered_cases(session=session, person_ids=summary.lost_roles, now=utcnow())


async def report(db: Database) -> Case:
    async with db.write() as session:
        community = (await session.exec(select(Community))).one()
        resident = Person(telegram_id=RESIDENT, name="Resident", community_id=community.id)
        session.add(resident)
        await session.flush()
        draft = CaseDraft(key="k1", category=ReportCategory.LEAK, description="The roof leaks.")
        deadlines = Deadlines(response=timedelta(hours=4), resolution=timedelta(days=3))
        opened = await open_new_case(
            session=session, reporter=resident, draft=draft, deadlines=deadlines, now=utcnow()
        )
        return opened.case


async def person(db: Database, telegram_id: int) -> Person:
    async with db.read() as session:
        return (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).one()


async def test_a_removed_instructors_case_goes_to_the_other_instructor(db: Database) -> None:
    await load(db, directory((WANG, "王指导员"), (LI, "李指导员")))
    case = await report(db)
    wang, li = await person(db, WANG), await person(db, LI)
    assert case.owner_id == wang.id
    handed = await load(db, directory((LI, "李指导员")))
    assert handed == [HandedOn(case.number, "王指导员", "李指导员")]
    async with db.read() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        assert (stored.owner_level, stored.owner_id) == (OwnerLevel.INSTRUCTOR, li.id)
        last = (
            await session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id).desc())
            )
        ).first()
        assert last is not None and (last.kind, last.reason) == (EventKind.ROUTED, RoutingReason.HANDED_ON)
        cards = await session.exec(
            select(OutboxMessage.chat_id).where(OutboxMessage.kind == OutboxKind.CASE_CARD)
        )
        assert list(cards) == [WANG, LI]
        # 王 keeps his place in the directory as a person, but no power over the case.
        assert await allowed_actions(session=session, case=stored, person=wang) == set()
        assert not await may_handle(session=session, case=stored, person=wang)
        assert await may_handle(session=session, case=stored, person=li)


async def test_without_another_instructor_the_committee_takes_it(db: Database) -> None:
    await load(db, directory((WANG, "王指导员")))
    case = await report(db)
    handed = await load(db, directory())
    assert handed == [HandedOn(case.number, "王指导员", "陈书记")]
    chen = await person(db, CHEN)
    async with db.read() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and (stored.owner_level, stored.owner_id) == (
            OwnerLevel.PARTY_COMMITTEE,
            chen.id,
        )


async def test_an_import_that_keeps_the_owner_hands_nothing_on(db: Database) -> None:
    await load(db, directory((WANG, "王指导员"), (LI, "李指导员")))
    case = await report(db)
    assert await load(db, directory((WANG, "王指导员"))) == []  # 李 left; 王 still covers the case
    async with db.read() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.owner_id == id_of(await person(db, WANG))
