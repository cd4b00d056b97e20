"""The outbox's assessment messages: records waiting for the office and its decisions, the
publication and its reminder, appeals, the three-quarter warning, and the dismissal.

Callback data on their buttons: ``g:ok|no:<record id>`` (approve or reject a record),
``a:ap:<assessment id>:<enterprise id>`` (appeal), ``a:up|rj:<appeal id>`` (uphold or reject
an appeal), ``d:ok|no:<proposal id>`` (confirm or reject a dismissal). Every press is
authorized again in the domain.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.fitting import block, inline
from handlers.outgoing.parts import Document, Outgoing, UnknownNotification
from handlers.outgoing.scores import points_text, record_line, score_heading, score_lines
from locales.i18n import format_time
from locales.i18n import gettext as _
from models.assessment.access import office_admins
from models.assessment.compute import from_snapshot, scheme_in
from models.assessment.lifecycle import appeal_deadline
from models.assessment.reports import breakdown, failing_quarters
from models.assessment.tables import (
    Appeal,
    AppealStatus,
    Assessment,
    DismissalProposal,
    GovernanceRecord,
    ProposalStatus,
    RecordStatus,
)
from models.directory.tables import Enterprise, Person
from models.outbox.queue import OutboxMessage


def record_data(record_id: int, approve: bool) -> str:
    return f"g:{'ok' if approve else 'no'}:{record_id}"


def appeal_data(assessment_id: int, enterprise_id: int) -> str:
    return f"a:ap:{assessment_id}:{enterprise_id}"


def appeal_decision_data(appeal_id: int, uphold: bool) -> str:
    return f"a:{'up' if uphold else 'rj'}:{appeal_id}"


def dismissal_data(proposal_id: int, confirm: bool) -> str:
    return f"d:{'ok' if confirm else 'no'}:{proposal_id}"


async def _row(session: AsyncSession, message: OutboxMessage, table: Any, key: str) -> Any:
    value = message.parameters().get(key)
    row = await session.get(table, value) if isinstance(value, int) else None
    if row is None:
        raise UnknownNotification(f"outbox row {message.id}: {key} {value} not found")
    return row


async def _enterprise_name(session: AsyncSession, enterprise_id: int) -> str:
    enterprise = await session.get(Enterprise, enterprise_id)
    return enterprise.name if enterprise is not None else "?"


def _two_buttons(yes: tuple[str, str], no: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes[0], callback_data=yes[1]),
                InlineKeyboardButton(no[0], callback_data=no[1]),
            ]
        ]
    )


async def render_record_pending(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """A record an instructor or committee member made, with Approve and Reject; nothing once decided."""
    record: GovernanceRecord = await _row(session, message, GovernanceRecord, "record_id")
    if record.status != RecordStatus.PENDING:
        return []
    recorder = await session.get(Person, record.recorded_by)
    text = (
        _("A governance record waits for your approval:")
        + "\n"
        + await record_line(session, record)
        + "\n"
        + _("Recorded by {name} on {time}.").format(
            name=recorder.name if recorder else "?", time=format_time(record.recorded_at, "short")
        )
    )
    record_id = record.id or 0
    markup = _two_buttons(
        (_("Approve"), record_data(record_id, True)), (_("Reject"), record_data(record_id, False))
    )
    photo = [Outgoing(photo_file_ids=[record.photo_file_id])] if record.photo_file_id else []
    return [*photo, Outgoing(text=text, reply_markup=markup)]


async def render_record_decided(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The recorder is told whether the office approved their record, and its note."""
    record: GovernanceRecord = await _row(session, message, GovernanceRecord, "record_id")
    if record.status == RecordStatus.APPROVED:
        heading = _("The street property office approved your record:")
    else:
        heading = _("The street property office rejected your record:")
    lines = [heading, await record_line(session, record)]
    if record.decision_note:
        lines.append(_("Note: {note}").format(note=inline(record.decision_note, 1000)))
    return [Outgoing(text="\n".join(lines))]


async def render_publish_reminder(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The office: a quarter is over and its assessment is not published yet."""
    quarter = str(message.parameters().get("quarter", ""))
    text = _(
        "The assessment of {quarter} is not published yet. Review it with /ranking {quarter} and publish "
        "it there; enterprises can appeal for a week after."
    ).format(quarter=quarter)
    return [Outgoing(text=text)]


async def render_published(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """An enterprise's staff: its published score, its weakest items, and the way to appeal."""
    assessment: Assessment = await _row(session, message, Assessment, "assessment_id")
    enterprise_id = int(message.parameters().get("enterprise_id", 0))
    score = from_snapshot(assessment.snapshot).of(enterprise_id)
    if score is None:
        raise UnknownNotification(f"outbox row {message.id}: enterprise {enterprise_id} not assessed")
    scheme = scheme_in(assessment.snapshot)
    deadline = appeal_deadline(assessment, scheme)
    lines = [
        _("The assessment of {quarter} is published.").format(quarter=assessment.quarter),
        score_heading(score),
        *score_lines(breakdown(score, scheme)[:3]),
        _("The whole breakdown: /score. You may appeal until {time}.").format(
            time=format_time(deadline, "short")
        ),
    ]
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Appeal"), callback_data=appeal_data(assessment.id or 0, enterprise_id))]]
    )
    return [Outgoing(text="\n".join(lines), reply_markup=markup)]


async def render_appeal_received(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The office: an appeal to uphold or reject; nothing once decided."""
    appeal: Appeal = await _row(session, message, Appeal, "appeal_id")
    if appeal.status != AppealStatus.PENDING:
        return []
    assessment = await session.get(Assessment, appeal.assessment_id)
    text = _("{enterprise} appeals against its assessment of {quarter}:").format(
        enterprise=await _enterprise_name(session, appeal.enterprise_id),
        quarter=assessment.quarter if assessment else "?",
    )
    appeal_id = appeal.id or 0
    markup = _two_buttons(
        (_("Uphold"), appeal_decision_data(appeal_id, True)),
        (_("Reject"), appeal_decision_data(appeal_id, False)),
    )
    photo = [Outgoing(photo_file_ids=[appeal.photo_file_id])] if appeal.photo_file_id else []
    return [*photo, Outgoing(text=text + "\n" + block(appeal.text, 3000), reply_markup=markup)]


async def render_appeal_decided(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The appellant: the office's decision and its note."""
    appeal: Appeal = await _row(session, message, Appeal, "appeal_id")
    assessment = await session.get(Assessment, appeal.assessment_id)
    quarter = assessment.quarter if assessment else "?"
    if appeal.status == AppealStatus.UPHELD:
        heading = _("Your appeal against the assessment of {quarter} was upheld.").format(quarter=quarter)
    else:
        heading = _("Your appeal against the assessment of {quarter} was rejected.").format(quarter=quarter)
    note = _("Note: {note}").format(note=inline(appeal.decision_note, 1000)) if appeal.decision_note else ""
    return [Outgoing(text="\n".join(filter(None, [heading, note])))]


async def render_failing_warning(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """One failing quarter short of a dismissal proposal: the enterprise and those around it are warned."""
    params = message.parameters()
    quarters = str(params.get("quarters", "")).split(",")
    text = _(
        "Warning: {enterprise} scored under {line} points in {count} quarters in a row ({quarters}). "
        "One more, and the street property office will be asked to dismiss it from the project and "
        "report it to Shandong's property-service bad-credit system."
    ).format(
        enterprise=await _enterprise_name(session, int(params.get("enterprise_id", 0))),
        line=params.get("line", ""),
        count=len(quarters),
        quarters=", ".join(quarters),
    )
    return [Outgoing(text=text)]


async def render_dismissal_proposed(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The office: the three quarters' scores and weakest items, with Confirm and Reject."""
    proposal: DismissalProposal = await _row(session, message, DismissalProposal, "proposal_id")
    if proposal.status != ProposalStatus.PENDING:
        return []
    name = await _enterprise_name(session, proposal.enterprise_id)
    failing = await failing_quarters(session=session, proposal=proposal)
    line = failing[-1].scheme.failing_below if failing else ""
    lines = [
        _(
            "{enterprise} scored under {line} points in {count} finalised quarters in a row. Confirm its "
            "dismissal from the project (it will be reported to the bad-credit system), or reject it; "
            "either way with a note."
        ).format(enterprise=name, line=line, count=len(proposal.quarters.split(",")))
    ]
    for quarter in failing:
        lines += ["", f"{quarter.quarter}: " + score_heading(quarter.score)]
        lines += score_lines(breakdown(quarter.score, quarter.scheme)[:3])
    proposal_id = proposal.id or 0
    markup = _two_buttons(
        (_("Confirm dismissal"), dismissal_data(proposal_id, True)),
        (_("Reject"), dismissal_data(proposal_id, False)),
    )
    return [Outgoing(text="\n".join(lines), reply_markup=markup)]


async def bad_credit_report(session: AsyncSession, proposal: DismissalProposal) -> Document:
    """The file for Shandong's property-service bad-credit system: one row per failing quarter."""
    enterprise = await session.get(Enterprise, proposal.enterprise_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["enterprise_code", "enterprise_name", "quarter", "score", "stars", "reasons", "decision_note"]
    )
    for failing in await failing_quarters(session=session, proposal=proposal):
        reasons = "; ".join(
            f"{_(line.name)} {points_text(line.points)}/{points_text(line.maximum)}"
            for line in breakdown(failing.score, failing.scheme)
            if line.lost
        )
        vetoes = ", ".join(failing.score.participation.vetoes)
        writer.writerow(
            [
                enterprise.code if enterprise else "",
                enterprise.name if enterprise else "",
                failing.quarter,
                str(failing.score.score),
                failing.score.stars,
                reasons + (f"; veto: {vetoes}" if vetoes else ""),
                proposal.note or "",
            ]
        )
    code = enterprise.code if enterprise else str(proposal.enterprise_id)
    # With a byte-order mark, spreadsheet programs read the Chinese names as UTF-8.
    return Document(f"bad-credit-{code}-{proposal.quarter}.csv", out.getvalue().encode("utf-8-sig"))


async def render_dismissal_confirmed(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """Everyone concerned is told; the office also gets the bad-credit report to pass on."""
    proposal: DismissalProposal = await _row(session, message, DismissalProposal, "proposal_id")
    name = await _enterprise_name(session, proposal.enterprise_id)
    failing = await failing_quarters(session=session, proposal=proposal)
    text = _(
        "{enterprise} is dismissed from the Red Property project: it scored under {line} points in "
        "{quarters}. The owners' committee can now start appointing a new property enterprise."
    ).format(
        enterprise=name,
        line=failing[-1].scheme.failing_below if failing else "",
        quarters=", ".join(proposal.quarters.split(",")),
    )
    parts = [Outgoing(text=text)]
    if any(admin.id == recipient.id for admin in await office_admins(session, proposal.street_id)):
        caption = _("The report for Shandong's property-service bad-credit system.")
        parts.append(Outgoing(text=caption, document=await bad_credit_report(session, proposal)))
    return parts
