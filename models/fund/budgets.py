"""Yearly budgets per fund type: the office's figure, else the config's; what is left of them.

What is granted is the sum of the approved amounts of the year's granted applications; an
approval above what is left is refused. The budget row is locked by an approval (created first
if the office never set one), so concurrent approvals queue on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import check_office
from models.base import N_
from models.directory.tables import Person
from models.fund.tables import GRANTED, FundApplication, FundBudget, FundType
from models.periods import FIRST_YEAR, LAST_YEAR
from models.refusal import Refused

BAD_YEAR = N_("Write the year like 2026 (2000 to 2100).")


@dataclass(frozen=True)
class BudgetLine:
    """One fund type's year: the budget, what was granted, what is left (all in fen)."""

    fund_type: FundType
    budget_fen: int
    granted_fen: int

    @property
    def left_fen(self) -> int:
        return self.budget_fen - self.granted_fen


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused(BAD_YEAR)
    return year


async def _budget_row(
    session: AsyncSession, street_id: int, year: int, fund_type: FundType, *, lock: bool
) -> FundBudget | None:
    query = (
        select(FundBudget)
        .where(FundBudget.street_id == street_id)
        .where(FundBudget.year == year)
        .where(FundBudget.fund_type == fund_type)
    )
    return (await session.exec(query.with_for_update() if lock else query)).first()


async def lock_budget(*, session: AsyncSession, street_id: int, year: int, fund_type: FundType) -> FundBudget:
    """The budget row of the type's year, locked for this transaction (made if missing)."""
    row = await _budget_row(session, street_id, year, fund_type, lock=True)
    if row is not None:
        return row
    try:
        async with session.begin_nested():
            session.add(FundBudget(street_id=street_id, year=year, fund_type=fund_type))
    except IntegrityError:
        pass  # another transaction made it first: lock theirs
    row = await _budget_row(session, street_id, year, fund_type, lock=True)
    assert row is not None
    return row


async def granted_fen(*, session: AsyncSession, street_id: int, year: int, fund_type: FundType) -> int:
    total = await session.exec(
        select(func.coalesce(func.sum(col(FundApplication.approved_fen)), 0))
        .where(FundApplication.street_id == street_id)
        .where(FundApplication.year == year)
        .where(FundApplication.fund_type == fund_type)
        .where(col(FundApplication.status).in_(list(GRANTED)))
    )
    return int(total.one() or 0)


async def budget_lines(
    *, session: AsyncSession, street_id: int, year: int, configured: Mapping[str, int]
) -> list[BudgetLine]:
    """Every fund type's budget, granted and left for the street's year, in the types' order."""
    lines = []
    for fund_type in FundType:
        row = await _budget_row(session, street_id, year, fund_type, lock=False)
        budget = row.amount_fen if row is not None and row.amount_fen is not None else None
        lines.append(
            BudgetLine(
                fund_type=fund_type,
                budget_fen=budget if budget is not None else configured.get(fund_type.value, 0),
                granted_fen=await granted_fen(
                    session=session, street_id=street_id, year=year, fund_type=fund_type
                ),
            )
        )
    return lines


async def set_budget(
    *,
    session: AsyncSession,
    admin: Person,
    street_id: int,
    year: int,
    fund_type: FundType,
    amount_fen: int,
    now: datetime,
) -> FundBudget:
    """The office sets a type's budget for a year (below what is granted is allowed: nothing more
    can then be approved)."""
    await check_office(session=session, person=admin, street_id=street_id)
    row = await lock_budget(session=session, street_id=street_id, year=check_year(year), fund_type=fund_type)
    row.amount_fen, row.set_by, row.set_at = amount_fen, admin.id, now
    session.add(row)
    await session.flush()
    return row
