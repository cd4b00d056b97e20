"""What an enterprise's score is made of, worst first, the quarters behind a dismissal, and what
the reports of a quarter list beside the scores (its appeals, the names and codes they show).

Each item is told by the points it lost against its maximum, so the weakest ones come first
whether they are service items or governance ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.compute import from_snapshot, scheme_in
from models.assessment.scheme import SERVICE_ITEM_NAMES, AssessmentScheme, exact
from models.assessment.scoring import EnterpriseScore
from models.assessment.tables import Appeal, Assessment, AssessmentStatus, DismissalProposal
from models.base import N_
from models.directory.tables import Enterprise, Person
from models.periods import Quarter

ATTENDANCE = N_("Joint-meeting attendance")
TASKS = N_("Street and community tasks")
PARTY_BUILDING = N_("Party building")
SPOT_CHECKS = N_("Spot checks")


@dataclass(frozen=True)
class ItemLine:
    """One item of a breakdown: its name (a message id), its points, its maximum."""

    name: str
    points: Fraction
    maximum: Fraction

    @property
    def lost(self) -> Fraction:
        return self.maximum - self.points


def breakdown(score: EnterpriseScore, scheme: AssessmentScheme) -> list[ItemLine]:
    """Every item of the score, the one that lost the most points first."""
    part = scheme.participation
    lines = [
        ItemLine(SERVICE_ITEM_NAMES[item.item], item.points, exact(scheme.service[item.item].points))
        for item in score.service
    ]
    governance = score.participation
    lines += [
        ItemLine(ATTENDANCE, governance.attendance.points, exact(part.attendance)),
        ItemLine(TASKS, governance.tasks.points, exact(part.tasks)),
        ItemLine(
            PARTY_BUILDING,
            governance.party_points,
            sum(map(exact, part.party_building.values()), Fraction(0)),
        ),
        ItemLine(SPOT_CHECKS, governance.spot_check_points, exact(part.spot_checks)),
    ]
    return sorted(lines, key=lambda line: -line.lost)


@dataclass(frozen=True)
class FailingQuarter:
    quarter: str
    score: EnterpriseScore
    scheme: AssessmentScheme  # as that quarter was finalised with it


async def failing_quarters(*, session: AsyncSession, proposal: DismissalProposal) -> list[FailingQuarter]:
    """The quarters a dismissal proposal rests on, oldest first, as they were finalised."""
    quarters = proposal.quarters.split(",")
    rows = await session.exec(
        select(Assessment)
        .where(Assessment.street_id == proposal.street_id)
        .where(col(Assessment.quarter).in_(quarters))
        .where(Assessment.status == AssessmentStatus.FINALISED)
        .order_by(col(Assessment.quarter), col(Assessment.revision).desc())
    )
    latest: dict[str, Assessment] = {}
    for row in rows:
        latest.setdefault(row.quarter, row)
    found = []
    for quarter in quarters:
        snapshot = latest[quarter].snapshot if quarter in latest else None
        if snapshot is not None and (score := from_snapshot(snapshot).of(proposal.enterprise_id)):
            found.append(FailingQuarter(quarter, score, scheme_in(snapshot)))
    return found


async def appeals_of(*, session: AsyncSession, street_id: int, quarter: Quarter) -> list[Appeal]:
    """Every appeal against any revision of the street's assessment of the quarter, in order."""
    rows = await session.exec(
        select(Appeal)
        .join(Assessment, col(Assessment.id) == col(Appeal.assessment_id))
        .where(Assessment.street_id == street_id)
        .where(Assessment.quarter == str(quarter))
        .order_by(col(Appeal.id))
    )
    return list(rows)


async def names_of(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    """People's names by id, for the ids given (None left out)."""
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    rows = await session.exec(select(Person).where(col(Person.id).in_(wanted)))
    return {person.id or 0: person.name for person in rows}


async def enterprise_codes(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Enterprises' codes by id."""
    rows = await session.exec(select(Enterprise).where(col(Enterprise.id).in_(set(ids))))
    return {enterprise.id or 0: enterprise.code for enterprise in rows}
