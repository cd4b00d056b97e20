"""How scores and governance records read in the chat, wherever they are shown."""

from __future__ import annotations

from fractions import Fraction

from sqlmodel.ext.asyncio.session import AsyncSession

from locales.i18n import gettext as _
from models.assessment.reports import ItemLine
from models.assessment.scheme import PARTY_ITEM_NAMES, PartyItem
from models.assessment.scoring import EnterpriseScore, rounded
from models.assessment.tables import RECORD_KIND_NAMES, VETO_NAMES, GovernanceRecord, RecordKind, VetoEvent
from models.cases.categories import DUTY_NAMES, ServiceDuty
from models.directory.tables import Enterprise


def points_text(points: Fraction) -> str:
    """Points for reading, to 0.1 (the numbers behind them stay exact)."""
    return str(rounded(points))


def stars(count: int) -> str:
    return "★" * count


def score_heading(score: EnterpriseScore) -> str:
    """``海悦物业: 90.3 ★★★★★ (19 answers, 20 cases)``, with its marks."""
    text = _("{enterprise}: {score} {stars} ({answered} answers, {cases} cases)").format(
        enterprise=score.name,
        score=score.score,
        stars=stars(score.stars),
        answered=score.answered,
        cases=score.cases,
    )
    marks = []
    if score.insufficient:
        marks.append(_("insufficient data, not ranked"))
    if score.red:
        marks.append(_("red list"))
    if score.black:
        marks.append(_("black list"))
    return text + (" — " + ", ".join(marks) if marks else "")


def score_lines(lines: list[ItemLine]) -> list[str]:
    """One line per item: its points of its maximum."""
    return [
        "  "
        + _("{item}: {points} of {maximum}").format(
            item=_(line.name), points=points_text(line.points), maximum=points_text(line.maximum)
        )
        for line in lines
    ]


def _item_name(record: GovernanceRecord) -> str:
    if record.item is None:
        return ""
    if record.kind == RecordKind.PARTY_BUILDING and record.item in set(PartyItem):
        return _(PARTY_ITEM_NAMES[PartyItem(record.item)])
    if record.kind == RecordKind.SPOT_CHECK and record.item in set(ServiceDuty):
        return _(DUTY_NAMES[ServiceDuty(record.item)])
    if record.kind == RecordKind.VETO and record.item in set(VetoEvent):
        return _(VETO_NAMES[VetoEvent(record.item)])
    return record.item


def record_what(record: GovernanceRecord) -> str:
    """``Spot-check fault (Environmental sanitation): 1.5 points``: what a record says."""
    what = _(RECORD_KIND_NAMES[RecordKind(record.kind)])
    if item := _item_name(record):
        what += f" ({item})"
    if record.yes is not None:
        what += ": " + (_("yes") if record.yes else _("no"))
    if record.points_tenths is not None:
        what += ": " + _("{points} points").format(points=points_text(Fraction(record.points_tenths, 10)))
    if record.reverses_id is not None:
        what = _("Undoes record #{number}: {what}").format(number=record.reverses_id, what=what)
    return what


async def record_line(session: AsyncSession, record: GovernanceRecord) -> str:
    """``海悦物业 · 2026Q3 · Spot-check fault (Environmental sanitation): 1.5 points``, and the note."""
    enterprise = await session.get(Enterprise, record.enterprise_id)
    line = f"{enterprise.name if enterprise else '?'} · {record.quarter} · {record_what(record)}"
    return line + (f"\n{record.note}" if record.note else "")
