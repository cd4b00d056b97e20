"""Every message the bot sends on its own initiative, rendered in one place.

The outbox names *what* to tell *whom* (:class:`models.outbox.kinds.OutboxKind`); the table
below names the one renderer of each kind. The sender (bot/outbox/sender.py) sets the
recipient's locale around :func:`render_outbox` and sends the parts in order, one Bot API call
each. :func:`check_renderers` runs at start-up, so a kind without a renderer stops the start
rather than failing at send time.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.outgoing.assessment import (
    render_appeal_decided,
    render_appeal_received,
    render_dismissal_confirmed,
    render_dismissal_proposed,
    render_failing_warning,
    render_publish_reminder,
    render_published,
    render_record_decided,
    render_record_pending,
)
from handlers.outgoing.case_notices import render_card, render_status, render_work_done
from handlers.outgoing.delivery import render_card_undelivered, render_delivery_summary
from handlers.outgoing.drafts import render_draft_expired
from handlers.outgoing.escalation import render_escalated, render_reminder, render_urged
from handlers.outgoing.fund import render_fund_decided, render_fund_submitted
from handlers.outgoing.meetings import render_invitation, render_item_notice, render_minutes
from handlers.outgoing.parts import Outgoing, Renderer, UnknownNotification
from handlers.outgoing.suggestions import render_suggestion_answered, render_suggestion_new
from handlers.outgoing.surveys import render_survey
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage

__all__ = ["RENDERERS", "Outgoing", "UnknownNotification", "check_renderers", "render_outbox"]

RENDERERS: dict[OutboxKind, Renderer] = {
    OutboxKind.CASE_CARD: render_card,
    OutboxKind.CASE_STATUS: render_status,
    OutboxKind.CASE_WORK_DONE: render_work_done,
    OutboxKind.CASE_REMINDER: render_reminder,
    OutboxKind.CASE_ESCALATED: render_escalated,
    OutboxKind.CASE_URGED: render_urged,
    OutboxKind.MEETING_INVITATION: render_invitation,
    OutboxKind.MEETING_REMINDER: render_invitation,
    OutboxKind.MEETING_MINUTES: render_minutes,
    OutboxKind.ITEM_REMINDER: render_item_notice,
    OutboxKind.ITEM_OVERDUE: render_item_notice,
    OutboxKind.SURVEY_ASK: render_survey,
    OutboxKind.SURVEY_REMIND: render_survey,
    OutboxKind.DRAFT_EXPIRED: render_draft_expired,
    OutboxKind.RECORD_PENDING: render_record_pending,
    OutboxKind.RECORD_DECIDED: render_record_decided,
    OutboxKind.PUBLISH_REMINDER: render_publish_reminder,
    OutboxKind.ASSESSMENT_PUBLISHED: render_published,
    OutboxKind.APPEAL_RECEIVED: render_appeal_received,
    OutboxKind.APPEAL_DECIDED: render_appeal_decided,
    OutboxKind.FAILING_WARNING: render_failing_warning,
    OutboxKind.DISMISSAL_PROPOSED: render_dismissal_proposed,
    OutboxKind.DISMISSAL_CONFIRMED: render_dismissal_confirmed,
    OutboxKind.CARD_UNDELIVERED: render_card_undelivered,
    OutboxKind.DELIVERY_SUMMARY: render_delivery_summary,
    OutboxKind.FUND_SUBMITTED: render_fund_submitted,
    OutboxKind.FUND_DECIDED: render_fund_decided,
    OutboxKind.SUGGESTION_NEW: render_suggestion_new,
    OutboxKind.SUGGESTION_ANSWERED: render_suggestion_answered,
}


def check_renderers() -> None:
    """Refuse to start if an outbox kind has no renderer."""
    missing = sorted(kind.value for kind in OutboxKind if kind not in RENDERERS)
    if missing:
        raise RuntimeError(f"outbox kinds without a renderer: {', '.join(missing)}")


async def render_outbox(
    *, session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The calls that deliver ``message`` to ``recipient``, in the current locale, in order
    (none: there is nothing to say any more)."""
    try:
        renderer = RENDERERS[OutboxKind(message.kind)]
    except (ValueError, KeyError):
        raise UnknownNotification(f"outbox row {message.id}: unknown kind {message.kind!r}") from None
    return await renderer(session, message, recipient, now)
