"""How scores and governance records read in the chat, wherever they are shown."""

from __future__ import annotations

from fractions import Fraction

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.outgoing.fitting import block
from locales.i18n import format_time
from locales.i18n import gettext as _
from models.assessment.lifecycle import appeal_deadline
from models.assessment.reports import ItemLine
from models.assessment.scheme import PARTY_ITEM_NAMES, AssessmentScheme, PartyItem, ServiceItem, exact
from models.assessment.scoring import EnterpriseScore, ShareScore, rounded
from models.assessment.tables import (
    RECORD_KIND_NAMES,
    VETO_NAMES,
    Assessment,
    AssessmentStatus,
    GovernanceRecord,
    RecordKind,
    VetoEvent,
)
from models.cases.categories import DUTY_NAMES, ServiceDuty
from models.directory.tables import Enterprise

REASON_SHOWN = 300  # characters of the reason for running a final quarter again


def points_text(points: Fraction) -> str:
    """Points for reading, to 0.1 (the numbers behind them stay exact)."""
    return str(rounded(points))


def stars(count: int) -> str:
    return "★" * count


def score_heading(score: EnterpriseScore) -> str:
    """``海悦物业: 90.3 ★★★★★ (19 answers, 20 cases)``, with its marks."""
    text = _("{enterprise}: {score} {stars} ({answered} answers, {cases} cases)").format(
        enterprise=score.name,
        score=f"{score.score:.1f}",
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


async def record_line(session: AsyncSession, record: GovernanceRecord, note_limit: int | None = None) -> str:
    """``海悦物业 · 2026Q3 · Spot-check fault (Environmental sanitation): 1.5 points``, and the note."""
    enterprise = await session.get(Enterprise, record.enterprise_id)
    return record_text(record, enterprise.name if enterprise else "?", note_limit)


def record_text(record: GovernanceRecord, enterprise: str, note_limit: int | None = None) -> str:
    """What :func:`record_line` says, for a record whose enterprise's name is at hand (the note cut
    to ``note_limit`` characters, if given)."""
    line = f"{enterprise} · {record.quarter} · {record_what(record)}"
    # The recorder's words behind the bar, so a note cannot pass for a line of the record's.
    return line + ("\n" + block(record.note, note_limit or 1000) if record.note else "")


def status_line(stored: Assessment | None, scheme: AssessmentScheme) -> str:
    """Which assessment the numbers are: a draft, the published one open to appeals, or a final one."""
    if stored is None:
        return _("Draft: computed from the data as it stands now; not published.")
    if stored.status == AssessmentStatus.FINALISED:
        text = _("Final, revision {revision}, finalised on {time}.").format(
            revision=stored.revision, time=format_time(stored.finalised_at or stored.published_at, "short")
        )
        if stored.reason:
            # Cut, so the heading leaves room for the ranking within Telegram's 4096 characters.
            reason = (
                stored.reason if len(stored.reason) <= REASON_SHOWN else stored.reason[:REASON_SHOWN] + "…"
            )
            text += "\n" + _("Run again because: {reason}").format(reason=reason)
        return text
    return _(
        "Published on {time}, revision {revision}; appeals are open until {deadline}. Until it is final, "
        "the numbers are as they stand now."
    ).format(
        time=format_time(stored.published_at, "short"),
        revision=stored.revision,
        deadline=format_time(appeal_deadline(stored, scheme), "short"),
    )


def duty_lines(score: EnterpriseScore, scheme: AssessmentScheme) -> list[str]:
    """The service points earned in each duty, the weakest first, with the sample behind them."""
    maximum = sum((exact(item.points) for item in scheme.service.values()), Fraction(0))
    duties = []
    for duty, items in score.by_duty.items():
        points = sum((item.points for item in items), Fraction(0))
        counts = {item.item: item.count for item in items}
        name = _(DUTY_NAMES[ServiceDuty(duty)]) if duty in set(ServiceDuty) else duty
        duties.append((points, name, counts))
    return [
        "  "
        + _("{duty}: {points} of {maximum} ({answered} answers, {cases} cases)").format(
            duty=name,
            points=points_text(points),
            maximum=points_text(maximum),
            answered=counts.get(ServiceItem.SATISFACTION, 0),
            cases=counts.get(ServiceItem.FIRST_RESPONSE, 0),
        )
        for points, name, counts in sorted(duties, key=lambda duty: (duty[0], duty[1]))
    ]


def _share_line(label: str, share: ShareScore) -> str:
    if not share.of:
        return _("{item}: none this quarter, full points").format(item=label)
    return _("{item}: {done} of {count}").format(item=label, done=share.done, count=share.of)


def participation_lines(score: EnterpriseScore) -> list[str]:
    """What the governance points rest on: meetings, tasks, party building, faults, bonus, vetoes."""
    part = score.participation
    in_place = [_(PARTY_ITEM_NAMES[item]) for item, yes in part.party.items() if yes]
    lines = [
        _share_line(_("Joint meetings attended"), part.attendance),
        _share_line(_("Tasks completed by their deadline"), part.tasks),
        _("Party building in place: {items}").format(items=", ".join(in_place) or _("none")),
    ]
    for duty, points in sorted(part.faults.items()):
        name = _(DUTY_NAMES[ServiceDuty(duty)]) if duty in set(ServiceDuty) else duty
        lines.append(_("Spot-check fault, {duty}: −{points}").format(duty=name, points=points_text(points)))
    if part.bonus:
        lines.append(_("Commendations: +{points}").format(points=points_text(part.bonus)))
    for veto in part.vetoes:
        name = _(VETO_NAMES[VetoEvent(veto)]) if veto in set(VetoEvent) else veto
        lines.append(_("Veto event: {event}").format(event=name))
    return ["  " + line for line in lines]
