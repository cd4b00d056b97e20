"""A data set for the numbers, whose rates are known in advance (see ``EXPECTED``).

Period 2026Q3 in Shanghai. Surveys count by when they were sent, cases by when they were
created; rows just outside the period, excluded reporters and unsent surveys are there to
prove they do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from models.base import id_of
from models.cases.tables import Case, CaseStatus, OwnerLevel
from models.surveys.tables import Solved, Survey, SurveyStatus
from storage.database import Database
from tests.factories.world import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 7, 1, tzinfo=SHANGHAI).astimezone(UTC)
END = datetime(2026, 10, 1, tzinfo=SHANGHAI).astimezone(UTC)
MID = START + timedelta(days=30)
BEFORE = START - timedelta(days=20)

_numbers = count(1)


@dataclass(frozen=True)
class Expected:
    sent: int
    answered: int
    solved: int
    satisfied: int
    willing: int
    cases: int
    resolved: int
    reopened: int
    on_time: int
    median: timedelta | None


# By enterprise: 海悦物业 (the world's ``enterprise``), 滨海物业, and the no-property community.
EXPECTED = {
    "海悦物业": Expected(10, 8, 6, 5, 7, 4, 3, 1, 2, timedelta(minutes=25)),
    "滨海物业": Expected(3, 3, 1, 3, 0, 1, 0, 0, 0, timedelta(hours=1)),
    None: Expected(1, 0, 0, 0, 0, 0, 0, 0, 0, None),
}


def _case(
    world: World,
    *,
    enterprise: int | None,
    community: int,
    created: datetime,
    duty: str = "facilities",
    first_response: timedelta | None = None,
    resolved: timedelta | None = None,
    due: timedelta = timedelta(days=2),
    reopen_count: int = 0,
) -> Case:
    return Case(
        number=f"T-{next(_numbers)}",
        reporter_id=world.resident.id,
        community_id=community,
        enterprise_id=enterprise,
        category="elevator",
        duty=duty,
        description="test",
        status=CaseStatus.RESOLVED if resolved is not None else CaseStatus.ASSIGNED,
        owner_level=OwnerLevel.INSTRUCTOR,
        owner_id=world.instructor.id if enterprise == world.enterprise else world.other_instructor.id,
        created_at=created,
        first_response_at=created + first_response if first_response is not None else None,
        resolved_at=created + resolved if resolved is not None else None,
        reopen_count=reopen_count,
        # The second reopen escalates a case to its community's party committee (models/escalation).
        escalation_level=2 if reopen_count >= 2 else 0,
        response_due_at=created + timedelta(days=1),
        resolution_due_at=created + due,
    )


def _survey(
    case: Case,
    *,
    sent: datetime | None,
    solved: Solved | None = None,
    stars: int | None = None,
    pay: bool | None = None,
    excluded: bool = False,
    street: int,
) -> Survey:
    answered = solved is not None
    status = SurveyStatus.SCHEDULED if sent is None else SurveyStatus.SENT
    return Survey(
        case_id=id_of(case),
        round=1,
        reporter_id=case.reporter_id,
        enterprise_id=case.enterprise_id,
        community_id=case.community_id,
        street_id=street,
        duty=case.duty,
        category=case.category,
        instructor_id=case.owner_id if case.enterprise_id is not None else None,
        excluded_from_numbers=excluded,
        status=SurveyStatus.ANSWERED if answered else status,
        due_at=sent or MID,
        sent_at=sent,
        answered_at=sent + timedelta(hours=1) if answered and sent else None,
        solved=solved,
        stars=stars,
        willing_to_pay=pay,
    )


async def load_stats_data(db: Database, world: World) -> None:
    async with db.write() as session:
        east = dict(enterprise=world.enterprise, community=world.community)
        hua = dict(enterprise=world.other_enterprise, community=world.other_community, duty="building_repair")
        bare = dict(enterprise=None, community=world.bare_community, duty="sanitation")
        # Cases created in the period (and one before it, which does not count).
        session.add_all(
            [
                _case(
                    world,
                    **east,
                    created=MID,
                    first_response=timedelta(minutes=40),
                    resolved=timedelta(days=1),
                ),
                _case(
                    world,
                    **east,
                    created=MID,
                    first_response=timedelta(minutes=10),
                    resolved=timedelta(days=1),
                    reopen_count=2,
                ),
                _case(
                    world,
                    **east,
                    created=MID,
                    first_response=timedelta(minutes=30),
                    resolved=timedelta(days=3),
                ),
                _case(world, **east, created=START, first_response=timedelta(minutes=20)),
                _case(world, **east, created=START - timedelta(seconds=1), first_response=timedelta(days=9)),
                _case(world, **hua, created=END - timedelta(seconds=1), first_response=timedelta(hours=1)),
            ]
        )
        # The cases the surveys are about were created before the period.
        east_case = _case(world, **east, created=BEFORE - timedelta(days=10), resolved=timedelta(days=1))
        hua_case = _case(world, **hua, created=BEFORE - timedelta(days=10), resolved=timedelta(days=1))
        bare_case = _case(world, **bare, created=BEFORE - timedelta(days=10), resolved=timedelta(days=1))
        session.add_all([east_case, hua_case, bare_case])
        await session.flush()
        street = world.street
        answers: list[tuple[Solved, int, bool]] = [
            (Solved.SOLVED, 5, True),
            (Solved.SOLVED, 5, True),
            (Solved.SOLVED, 4, True),
            (Solved.SOLVED, 4, True),
            (Solved.SOLVED, 3, True),
            (Solved.SOLVED, 4, True),
            (Solved.PARTLY, 2, True),
            (Solved.NOT, 1, False),
        ]
        rows = [
            _survey(east_case, sent=MID, solved=s, stars=st, pay=p, street=street) for s, st, p in answers
        ]
        rows += [
            _survey(east_case, sent=START, street=street),  # sent, never answered
            _survey(east_case, sent=END - timedelta(seconds=1), street=street),
            # Not counted: excluded reporters, not sent yet, outside the period.
            _survey(east_case, sent=MID, solved=Solved.NOT, stars=1, pay=False, excluded=True, street=street),
            _survey(east_case, sent=MID, excluded=True, street=street),
            _survey(east_case, sent=None, street=street),
            _survey(east_case, sent=START - timedelta(seconds=1), solved=Solved.NOT, stars=1, street=street),
            _survey(east_case, sent=END, solved=Solved.NOT, stars=1, street=street),
        ]
        rows += [
            _survey(hua_case, sent=MID, solved=Solved.SOLVED, stars=5, pay=False, street=street),
            _survey(hua_case, sent=MID, solved=Solved.PARTLY, stars=5, pay=False, street=street),
            _survey(hua_case, sent=MID, solved=Solved.NOT, stars=4, pay=False, street=street),
            _survey(bare_case, sent=MID, street=street),
        ]
        for number, row in enumerate(rows, start=1):
            row.round = number  # one case, many resolutions: keeps (case, round) unique
        session.add_all(rows)
