"""What each of the assessment's questions asks (handlers/assessment_input.py), the domain check
before it is asked, and the domain operation its answer runs."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import Settings
from handlers.outgoing.fitting import inline
from handlers.outgoing.scores import record_line
from locales.i18n import N_, format_time
from locales.i18n import gettext as _
from models.assessment.access import office_street
from models.assessment.lifecycle import (
    appeal_assessment,
    appeal_deadline,
    appealable,
    decide_appeal,
    finalise_assessment,
    pending_appeal,
)
from models.assessment.notices import decide_dismissal, pending_proposal
from models.assessment.records import decide_record, pending_record, record_to_reverse, reverse_record
from models.assessment.tables import RecordStatus
from models.base import utcnow
from models.directory.tables import Enterprise, Person
from models.periods import Quarter

SHOWN = 500  # characters of an appeal's text repeated in the question


class Ask(StrEnum):
    """What a button asks the text for: the first two parts of its data."""

    APPROVE = "g:ok"
    REJECT_RECORD = "g:no"
    UNDO = "g:un"
    APPEAL = "a:ap"
    UPHOLD = "a:up"
    REJECT_APPEAL = "a:rj"
    DISMISS = "d:ok"
    KEEP = "d:no"
    RERUN = "rk:re"


QUESTIONS: dict[Ask, str] = {
    Ask.APPROVE: N_("Approve this record?"),
    Ask.REJECT_RECORD: N_("Reject this record?"),
    Ask.UNDO: N_("Undo this record?"),
    Ask.UPHOLD: N_("Uphold the appeal of {enterprise}?"),
    Ask.REJECT_APPEAL: N_("Reject the appeal of {enterprise}?"),
    Ask.DISMISS: N_("Confirm the dismissal of {enterprise} ({quarters})?"),
    Ask.KEEP: N_("Reject the dismissal of {enterprise} ({quarters})?"),
}
INSTRUCTIONS: dict[Ask, str] = {
    Ask.APPROVE: N_("Send a note for the recorder (required). /cancel leaves the record waiting."),
    Ask.REJECT_RECORD: N_("Send the reason for the recorder (required). /cancel leaves the record waiting."),
    Ask.UNDO: N_(
        "Send the reason (required). The record stays on file, with a record that undoes it. "
        "/cancel changes nothing."
    ),
    Ask.UPHOLD: N_("Send your note (required); the enterprise will read it. /cancel leaves the appeal open."),
    Ask.REJECT_APPEAL: N_(
        "Send your note (required); the enterprise will read it. /cancel leaves the appeal open."
    ),
    Ask.DISMISS: N_("Send your note (required). /cancel leaves the proposal open."),
    Ask.KEEP: N_("Send your note (required). /cancel leaves the proposal open."),
}


def _shown(text: str) -> str:
    return inline(text, SHOWN)


async def _name(session: AsyncSession, enterprise_id: int) -> str:
    enterprise = await session.get(Enterprise, enterprise_id)
    return enterprise.name if enterprise is not None else "?"


async def ask_text(
    *, session: AsyncSession, person: Person, ask: Ask, args: list[str], settings: Settings
) -> str:
    """The question the press asks, once the domain says ``person`` may do this now; refused otherwise."""
    scheme, tz, now = settings.assessment.scheme, settings.bot.tzinfo, utcnow()
    question, detail = "", ""
    if ask in (Ask.APPROVE, Ask.REJECT_RECORD):
        record = await pending_record(session=session, record_id=int(args[0]), admin=person)
        question, detail = _(QUESTIONS[ask]), await record_line(session, record)
    elif ask == Ask.UNDO:
        record, _enterprise = await record_to_reverse(session=session, record_id=int(args[0]), person=person)
        question, detail = _(QUESTIONS[ask]), await record_line(session, record)
    elif ask == Ask.APPEAL:
        assessment = await appealable(
            session=session,
            assessment_id=int(args[0]),
            enterprise_id=int(args[1]),
            appellant=person,
            scheme=scheme,
            tz=tz,
            now=now,
        )
        return _(
            "Your appeal against the assessment of {quarter}: write what is wrong and why, in one message. "
            "You may send it as a photo with the text as its caption. Appeals are open until {time}. "
            "/cancel sends nothing."
        ).format(quarter=assessment.quarter, time=format_time(appeal_deadline(assessment, scheme), "short"))
    elif ask in (Ask.UPHOLD, Ask.REJECT_APPEAL):
        appeal = await pending_appeal(session=session, appeal_id=int(args[0]), admin=person)
        question = _(QUESTIONS[ask]).format(enterprise=await _name(session, appeal.enterprise_id))
        detail = _shown(appeal.text)
    elif ask in (Ask.DISMISS, Ask.KEEP):
        proposal = await pending_proposal(session=session, proposal_id=int(args[0]), admin=person)
        question = _(QUESTIONS[ask]).format(
            enterprise=await _name(session, proposal.enterprise_id),
            quarters=proposal.quarters.replace(",", ", "),
        )
    else:
        await office_street(session=session, person=person)
        return _(
            "{quarter} is final. To run it again as a new revision, send the reason; the earlier revision "
            "is kept. /cancel changes nothing."
        ).format(quarter=Quarter.parse(args[0]))
    return "\n\n".join(part for part in (question, detail, _(INSTRUCTIONS[ask])) if part)


async def submit_text(
    *,
    session: AsyncSession,
    person: Person,
    ask: Ask,
    args: list[str],
    text: str,
    photo: str | None,
    settings: Settings,
) -> str:
    """Run the operation the press asked for with this text; what to tell the person."""
    scheme, tz, now = settings.assessment.scheme, settings.bot.tzinfo, utcnow()
    if ask in (Ask.APPROVE, Ask.REJECT_RECORD):
        approve = ask == Ask.APPROVE
        await decide_record(
            session=session, record_id=int(args[0]), admin=person, approve=approve, note=text, now=now, tz=tz
        )
        return _("Approved. The recorder is told.") if approve else _("Rejected. The recorder is told.")
    if ask == Ask.UNDO:
        reversal = await reverse_record(
            session=session, record_id=int(args[0]), person=person, note=text, scheme=scheme, now=now, tz=tz
        )
        if reversal.status == RecordStatus.APPROVED:
            return _("Record #{number} is undone.").format(number=args[0])
        return _("Undoing record #{number} waits for the street property office's approval.").format(
            number=args[0]
        )
    if ask == Ask.APPEAL:
        await appeal_assessment(
            session=session,
            assessment_id=int(args[0]),
            enterprise_id=int(args[1]),
            appellant=person,
            text=text,
            photo_file_id=photo,
            scheme=scheme,
            tz=tz,
            now=now,
        )
        return _("Your appeal is sent to the street property office. You will be told its decision.")
    if ask in (Ask.UPHOLD, Ask.REJECT_APPEAL):
        uphold = ask == Ask.UPHOLD
        appeal = await decide_appeal(
            session=session, appeal_id=int(args[0]), admin=person, uphold=uphold, note=text, now=now
        )
        name = await _name(session, appeal.enterprise_id)
        if uphold:
            return _(
                "The appeal of {enterprise} is upheld, and the enterprise is told. If its score should "
                "change, add or undo records (/record, /records) before you finalise."
            ).format(enterprise=name)
        return _("The appeal of {enterprise} is rejected, and the enterprise is told.").format(
            enterprise=name
        )
    if ask in (Ask.DISMISS, Ask.KEEP):
        confirm = ask == Ask.DISMISS
        proposal = await decide_dismissal(
            session=session, proposal_id=int(args[0]), admin=person, confirm=confirm, note=text, now=now
        )
        name = await _name(session, proposal.enterprise_id)
        if confirm:
            return _(
                "The dismissal of {enterprise} is confirmed. Everyone concerned is told, and the bad-credit "
                "report comes to you."
            ).format(enterprise=name)
        return _("The dismissal of {enterprise} is rejected. Nothing is sent.").format(enterprise=name)
    quarter = Quarter.parse(args[0])
    street_id = await office_street(session=session, person=person)
    stored = await finalise_assessment(
        session=session,
        street_id=street_id,
        quarter=quarter,
        admin=person,
        scheme=scheme,
        tz=tz,
        now=now,
        reason=text,
    )
    return _("{quarter} is final again, as revision {revision}; the earlier revision is kept.").format(
        quarter=quarter, revision=stored.revision
    )
