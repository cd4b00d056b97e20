"""The fund's year for a street: per fund type the budget, what was asked, granted and left, and
every application decided in the year (the local year of its decision)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.directory.tables import Person
from models.fund.budgets import BudgetLine, budget_lines
from models.fund.tables import GRANTED, FundApplication, FundStatus, FundType


@dataclass(frozen=True)
class FundTypeYear:
    """One fund type's year: its budget line and the applications decided in it."""

    line: BudgetLine
    decided: int
    granted: int  # applications approved in full or in part
    rejected: int
    asked_fen: int  # what the granted applications asked for

    @property
    def fund_type(self) -> FundType:
        return self.line.fund_type


@dataclass(frozen=True)
class DecidedApplication:
    application: FundApplication
    applicant: str


@dataclass(frozen=True)
class FundYear:
    year: int
    types: list[FundTypeYear]
    applications: list[DecidedApplication]

    @property
    def granted_fen(self) -> int:
        return sum(kind.line.granted_fen for kind in self.types)


async def fund_year(
    *, session: AsyncSession, street_id: int, year: int, configured: Mapping[str, int]
) -> FundYear:
    """The street's fund in ``year``, exact to the fen."""
    decided = list(
        await session.exec(
            select(FundApplication)
            .where(FundApplication.street_id == street_id)
            .where(FundApplication.year == year)
            .where(col(FundApplication.status).in_([*GRANTED, FundStatus.REJECTED]))
            .order_by(col(FundApplication.decided_at), col(FundApplication.id))
        )
    )
    types = []
    for line in await budget_lines(session=session, street_id=street_id, year=year, configured=configured):
        mine = [application for application in decided if application.fund_type == line.fund_type]
        granted = [application for application in mine if application.status in GRANTED]
        types.append(
            FundTypeYear(
                line=line,
                decided=len(mine),
                granted=len(granted),
                rejected=len(mine) - len(granted),
                asked_fen=sum(application.amount_fen for application in granted),
            )
        )
    names = {
        person.id: person.name
        for person in await session.exec(
            select(Person).where(col(Person.id).in_({a.applicant_id for a in decided}))
        )
    }
    return FundYear(
        year=year,
        types=types,
        applications=[DecidedApplication(a, names.get(a.applicant_id, "")) for a in decided],
    )
