"""A small street built by hand for the assessment's golden example: three enterprises, their cases,
answers and governance records in 2026Q3, every row written out so its effect can be followed.

海悦物业 (A) serves well: 20 cases, 19 counted answers, full attendance but one meeting.
鑫海物业 (B) serves badly: 10 cases opened in the quarter, one more falling due in it.
华庭物业 (C) has too few cases to be ranked, and a veto event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.assessment.records import RecordDraft, decide_record, make_record, reverse_record
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import RecordKind
from models.base import id_of
from models.cases.tables import Case, CaseStatus, OwnerLevel
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street
from models.periods import Quarter
from models.surveys.tables import Solved, Survey, SurveyStatus
from storage.database import Database

SHANGHAI = ZoneInfo("Asia/Shanghai")
Q3 = Quarter(2026, 3)
T = datetime(2026, 7, 10, 2, 0, tzinfo=UTC)  # 10:00 in Qingdao, early in the quarter
AFTER = datetime(2026, 10, 2, 2, 0, tzinfo=UTC)  # the quarter is over
ADMIN_TG, INSTRUCTOR_TG = 4100, 1100


@dataclass
class GoldenStreet:
    street: int
    a: int
    b: int
    c: int
    admin: Person
    instructor: Person


@dataclass(frozen=True)
class Answer:
    stars: int
    solved: Solved
    pay: bool
    round: int = 1
    excluded: bool = False
    answered: datetime = T + timedelta(days=20)


class _Builder:
    def __init__(self, session: object) -> None:
        self.session = session
        self.number = 0

    def case(
        self,
        community: Community,
        *,
        reporter: int,
        duty: str,
        created: datetime = T,
        response_hours: float | None = 1,
        resolve_days: float | None = 2,
        due_days: float = 7,
        status: CaseStatus = CaseStatus.CLOSED,
    ) -> Case:
        self.number += 1
        case = Case(
            number=f"LSW-2026-{self.number:06d}",
            reporter_id=reporter,
            community_id=id_of(community),
            enterprise_id=community.enterprise_id,
            category="other",
            duty=duty,
            description=f"Case {self.number}",
            status=status,
            owner_level=OwnerLevel.INSTRUCTOR,
            created_at=created,
            response_due_at=created + timedelta(hours=24),
            resolution_due_at=created + timedelta(days=due_days),
            first_response_at=created + timedelta(hours=response_hours)
            if response_hours is not None
            else None,
            resolved_at=created + timedelta(days=resolve_days) if resolve_days is not None else None,
        )
        self.session.add(case)  # type: ignore[attr-defined]
        return case

    def answers(self, case: Case, community: Community, street: int, *answers: Answer) -> None:
        for answer in answers:
            self.session.add(  # type: ignore[attr-defined]
                Survey(
                    case_id=id_of(case),
                    round=answer.round,
                    reporter_id=case.reporter_id,
                    enterprise_id=community.enterprise_id,
                    community_id=id_of(community),
                    street_id=street,
                    duty=case.duty,
                    category=case.category,
                    excluded_from_numbers=answer.excluded,
                    status=SurveyStatus.ANSWERED,
                    due_at=answer.answered - timedelta(days=1),
                    sent_at=answer.answered - timedelta(hours=2),
                    answered_at=answer.answered,
                    solved=answer.solved,
                    reopened=answer.solved == Solved.NOT,
                    stars=answer.stars,
                    willing_to_pay=answer.pay,
                )
            )


async def build_golden_street(db: Database) -> GoldenStreet:
    """The street, its people, and every case and answer of 2026Q3 (records come apart)."""
    async with db.write() as session:
        street = Street(code="lsw", name="灵山卫街道")
        a = Enterprise(code="hy", name="海悦物业", party_branch=True)
        b = Enterprise(code="xh", name="鑫海物业", party_branch=False)
        c = Enterprise(code="ht", name="华庭物业", party_branch=True)
        session.add_all([street, a, b, c])
        await session.flush()
        ca = Community(code="dfht", name="东方华庭", street_id=id_of(street), enterprise_id=a.id)
        cb = Community(code="hj", name="海景花园", street_id=id_of(street), enterprise_id=b.id)
        cc = Community(code="sh", name="山海苑", street_id=id_of(street), enterprise_id=c.id)
        resident = Person(telegram_id=5100, name="Resident", language_code="en")
        admin = Person(telegram_id=ADMIN_TG, name="Office", language_code="en")
        instructor = Person(telegram_id=INSTRUCTOR_TG, name="Instructor", language_code="en")
        session.add_all([ca, cb, cc, resident, admin, instructor])
        await session.flush()
        session.add(Role(person_id=id_of(admin), kind=RoleKind.OFFICE_ADMIN, street_id=street.id))
        session.add(Role(person_id=id_of(instructor), kind=RoleKind.INSTRUCTOR, enterprise_id=a.id))
        build = _Builder(session)
        who, sid = id_of(resident), id_of(street)
        good, bad = Answer(5, Solved.SOLVED, True), Answer(2, Solved.NOT, False)
        # A: 20 cases, all answered in time, one resolved late; a withdrawn one that does not count.
        cases = [
            build.case(
                ca,
                reporter=who,
                duty="facilities" if n < 10 else "building_repair",
                resolve_days=8 if n == 19 else 2,
            )
            for n in range(20)
        ]
        build.case(
            ca,
            reporter=who,
            duty="facilities",
            response_hours=None,
            resolve_days=None,
            status=CaseStatus.WITHDRAWN,
        )
        await session.flush()
        # A1 was reopened: only its second answer counts. A20's answer came from a handler.
        build.answers(
            cases[0],
            ca,
            sid,
            Answer(1, Solved.NOT, False, answered=T + timedelta(days=3)),
            Answer(5, Solved.SOLVED, True, round=2),
        )
        for case in cases[1:18]:
            build.answers(case, ca, sid, good)
        build.answers(cases[18], ca, sid, Answer(2, Solved.PARTLY, False))
        build.answers(cases[19], ca, sid, Answer(5, Solved.SOLVED, True, excluded=True))
        # B: one case from the quarter before falls due in this one; 10 opened now, two answered late.
        b0 = build.case(
            cb,
            reporter=who,
            duty="sanitation",
            created=datetime(2026, 6, 25, 2, 0, tzinfo=UTC),
            due_days=10,
            resolve_days=8,
        )
        b_cases = [
            build.case(
                cb,
                reporter=who,
                duty="sanitation",
                response_hours=30 if n >= 8 else 1,
                resolve_days=2 if n < 5 else (9 if n < 9 else None),
                status=CaseStatus.CLOSED if n < 9 else CaseStatus.ACCEPTED,
            )
            for n in range(10)
        ]
        await session.flush()
        b_answers = [
            Answer(5, Solved.SOLVED, True),  # B0
            *[Answer(5, Solved.SOLVED, True)] * 4,  # B1-B4
            Answer(5, Solved.SOLVED, False),  # B5
            Answer(2, Solved.SOLVED, False),  # B6
            Answer(2, Solved.PARTLY, False),  # B7
            bad,  # B8
            bad,  # B9
        ]
        for case, answer in zip([b0, *b_cases[:9]], b_answers, strict=True):
            build.answers(case, cb, sid, answer)
        # C: three cases, all well done: too few to rank.
        c_cases = [build.case(cc, reporter=who, duty="greening") for _ in range(3)]
        await session.flush()
        for case in c_cases:
            build.answers(case, cc, sid, good)
        return GoldenStreet(sid, id_of(a), id_of(b), id_of(c), admin, instructor)


async def record_golden_governance(db: Database, street: GoldenStreet, scheme: AssessmentScheme) -> None:
    """The quarter's governance records, made in the bot: by the office, and two by the instructor."""
    now = datetime(2026, 9, 20, 2, 0, tzinfo=UTC)

    async def record(person: Person, code: str, kind: RecordKind, **values: object) -> int:
        draft = RecordDraft(enterprise_code=code, quarter=Q3, kind=kind, note="golden", **values)  # type: ignore[arg-type]
        async with db.write() as session:
            made = await make_record(
                session=session, recorder=person, draft=draft, scheme=scheme, now=now, tz=SHANGHAI
            )
            return id_of(made)

    office = street.admin
    for attended in (True, True, False):
        await record(office, "hy", RecordKind.MEETING, yes=attended)
    wrong = await record(office, "hy", RecordKind.MEETING, yes=False)  # a mistake, undone below
    async with db.write() as session:
        await reverse_record(
            session=session,
            record_id=wrong,
            person=office,
            note="entered twice",
            scheme=scheme,
            now=now,
            tz=SHANGHAI,
        )
    await record(office, "hy", RecordKind.TASK, yes=True)
    await record(office, "hy", RecordKind.TASK, yes=True)
    await record(office, "hy", RecordKind.PARTY_BUILDING, item="members", yes=True)
    await record(office, "hy", RecordKind.PARTY_BUILDING, item="cross_appointment", yes=True)
    await record(office, "hy", RecordKind.SPOT_CHECK, item="sanitation", points="1.5")
    await record(office, "hy", RecordKind.COMMENDATION, points="2")
    # The instructor's records wait for the office: one is still waiting, one was rejected.
    await record(street.instructor, "hy", RecordKind.SPOT_CHECK, item="facilities", points="5")
    rejected = await record(street.instructor, "hy", RecordKind.MEETING, yes=False)
    async with db.write() as session:
        await decide_record(
            session=session,
            record_id=rejected,
            admin=office,
            approve=False,
            note="he was there",
            now=now,
            tz=SHANGHAI,
        )
    await record(office, "xh", RecordKind.TASK, yes=False)
    await record(office, "xh", RecordKind.TASK, yes=False)
    await record(office, "xh", RecordKind.SPOT_CHECK, item="facilities", points="6")
    await record(office, "xh", RecordKind.SPOT_CHECK, item="security", points="5")
    await record(office, "ht", RecordKind.VETO, item="safety_incident")
