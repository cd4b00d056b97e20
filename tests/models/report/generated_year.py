"""A generated year for the work report: cases, surveys, suggestions, fund applications, visits,
take-overs and Affairs Hall meetings with their decisions spread over 2025-12 to 2027-01 at
random (a fixed seed), written straight into the tables, with the hand counts of the rows
themselves to compare the report with."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.categories import DUTY_OF, ReportCategory
from models.cases.routing import SharedProperty
from models.cases.tables import Case, CaseStatus, OwnerLevel, Suggestion, SuggestionOutcome
from models.fund.tables import FundApplication, FundCase, FundStatus, FundType
from models.meetings.tables import (
    AgendaItem,
    Decision,
    ItemKind,
    ItemStatus,
    Meeting,
    MeetingStatus,
)
from models.surveys.tables import Survey, SurveyStatus
from models.visits.tables import Visit, VisitCase
from storage.database import Database
from tests.factories.world import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST = datetime(2025, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=426)  # to early February 2027


@dataclass
class Generated:
    cases: list[Case] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    applications: list[FundApplication] = field(default_factory=list)
    funded: dict[int, datetime] = field(default_factory=dict)  # case id → earliest repair grant
    visits: list[Visit] = field(default_factory=list)
    visit_cases: list[tuple[int, int]] = field(default_factory=list)  # (visit id, case id)
    take_overs: list[SharedProperty] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    decisions: list[tuple[Decision, int]] = field(default_factory=list)  # (decision, its meeting's street)


def local_year(moment: datetime | None) -> int | None:
    return moment.astimezone(SHANGHAI).year if moment is not None else None


async def generate_year(db: Database, world: World, *, seed: int = 13) -> Generated:
    rng = random.Random(seed)
    made = Generated()

    def when() -> datetime:
        return FIRST + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))

    communities = [world.community, world.other_community, world.bare_community]
    async with db.write() as session:
        for number in range(1, 121):
            category = rng.choice(list(ReportCategory))
            created = when()
            status = rng.choice(
                [CaseStatus.ASSIGNED, CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN]
            )
            resolved = (
                created + timedelta(hours=rng.randrange(1, 2000))
                if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
                else None
            )
            case = Case(
                number=f"GEN-{number:06d}",
                reporter_id=world.resident.id,
                community_id=rng.choice(communities),
                category=category.value,
                duty=DUTY_OF[category].value,
                description="generated",
                status=status,
                owner_level=OwnerLevel.INSTRUCTOR,
                created_at=created,
                resolved_at=resolved,
                response_due_at=created + timedelta(days=1),
                resolution_due_at=created + timedelta(days=7),
            )
            session.add(case)
            made.cases.append(case)
        await session.flush()
        for case in made.cases:
            if case.resolved_at is None:
                continue
            sent = case.resolved_at + timedelta(days=1)
            answered = rng.random() < 0.8
            survey = Survey(
                case_id=case.id or 0,
                round=1,
                reporter_id=case.reporter_id,
                community_id=case.community_id,
                street_id=world.street,
                duty=case.duty,
                category=case.category,
                excluded_from_numbers=rng.random() < 0.15,
                status=SurveyStatus.ANSWERED if answered else SurveyStatus.EXPIRED,
                due_at=sent,
                sent_at=sent,
                answered_at=sent + timedelta(hours=2) if answered else None,
                stars=rng.randint(1, 5) if answered else None,
                willing_to_pay=rng.random() < 0.7 if answered else None,
            )
            session.add(survey)
            made.surveys.append(survey)
        for _ in range(70):
            outcome = rng.choice([None, *SuggestionOutcome])
            created = when()
            suggestion = Suggestion(
                author_id=world.resident.id,
                community_id=rng.choice(communities),
                text="idea",
                created_at=created,
                instructor_id=world.instructor.id,
                outcome=outcome,
                answer="answer" if outcome else None,
                answered_at=created + timedelta(days=2) if outcome else None,
            )
            session.add(suggestion)
            made.suggestions.append(suggestion)
        leaks = [case for case in made.cases if case.resolved_at is not None]
        for index in range(12):
            fund_type = rng.choice(list(FundType))
            status = rng.choice(
                [FundStatus.APPROVED, FundStatus.PARTLY_APPROVED, FundStatus.REJECTED, FundStatus.SUBMITTED]
            )
            decided = when()
            amount = rng.randrange(1, 5_000_000)
            granted = (
                amount
                if status == FundStatus.APPROVED
                else amount // 2
                if status == FundStatus.PARTLY_APPROVED
                else None
            )
            application = FundApplication(
                street_id=world.street,
                applicant_id=world.instructor.id,
                fund_type=fund_type,
                amount_fen=amount,
                approved_fen=granted,
                purpose=f"generated {index}",
                status=status,
                year=local_year(decided) if status != FundStatus.SUBMITTED else None,
                decided_at=decided if status != FundStatus.SUBMITTED else None,
            )
            session.add(application)
            await session.flush()
            made.applications.append(application)
            for case in rng.sample(leaks, 4):
                session.add(FundCase(application_id=application.id or 0, case_id=case.id or 0))
                if fund_type == FundType.REPAIR and granted is not None:
                    earlier = made.funded.get(case.id or 0)
                    made.funded[case.id or 0] = min(decided, earlier) if earlier else decided
        for _ in range(40):
            visit = Visit(
                instructor_id=rng.choice([world.instructor.id, world.other_instructor.id]),
                street_id=world.street,
                community_id=rng.choice(communities),
                note="walked in",
                visited_at=when(),
            )
            session.add(visit)
            made.visits.append(visit)
        await session.flush()
        for visit, case in zip(rng.sample(made.visits, 10), rng.sample(made.cases, 10), strict=True):
            session.add(VisitCase(visit_id=visit.id or 0, case_id=case.id or 0))
            made.visit_cases.append((visit.id or 0, case.id or 0))
        for community, start, end in (
            (world.bare_community, datetime(2026, 3, 1, tzinfo=UTC), None),
            (world.other_community, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 20, tzinfo=UTC)),
            (world.other_street_community, datetime(2026, 1, 1, tzinfo=UTC), None),  # another street
        ):
            row = SharedProperty(
                community_id=community, enterprise_id=world.enterprise, started_at=start, ended_at=end
            )
            session.add(row)
            made.take_overs.append(row)
        await _affairs_hall(session, world, made, when, rng)
    return made


async def _affairs_hall(
    session: AsyncSession, world: World, made: Generated, when: Callable[[], datetime], rng: random.Random
) -> None:
    """Meetings of both streets, held or still scheduled, and a decision on most of their items,
    open or closed some time after the meeting."""
    for number in range(16):
        street = world.street if number % 4 else world.other_street
        starts = when()
        held = rng.random() < 0.7
        meeting = Meeting(
            street_id=street,
            scheduled_by=world.admin.id,
            starts_at=starts,
            place="the Affairs Hall",
            status=MeetingStatus.HELD if held else MeetingStatus.SCHEDULED,
            held_at=starts + timedelta(hours=2) if held else None,
        )
        session.add(meeting)
        await session.flush()
        made.meetings.append(meeting)
        for index in range(rng.randrange(1, 4)):
            item = AgendaItem(meeting_id=meeting.id or 0, kind=ItemKind.ADDED, subject=f"added:{index + 1}")
            session.add(item)
            await session.flush()
            closed = rng.random() < 0.6
            decision = Decision(
                item_id=item.id or 0,
                owner_person_id=world.instructor.id,
                action="fix it",
                due_at=starts + timedelta(days=14),
                status=ItemStatus.CLOSED if closed else ItemStatus.OPEN,
                decided_by=world.admin.id,
                decided_at=starts,
                closed_at=starts + timedelta(days=rng.randrange(1, 90)) if closed else None,
            )
            session.add(decision)
            made.decisions.append((decision, street))
