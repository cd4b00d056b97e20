"""What the outbox can say: every kind of message the bot sends on its own initiative.

Each kind has exactly one renderer (handlers/outgoing/__init__.py), checked by a test and at
start-up, so a kind nobody can render fails early rather than at send time.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    CASE_CARD = "case.card"  # a case card with the actions its recipient may take
    CASE_STATUS = "case.status"  # a timeline event told to the reporter (or the owner)
    CASE_WORK_DONE = "case.work_done"  # the enterprise says it is done: the owner is asked to confirm
    CASE_REMINDER = "case.remind"  # the owner: a deadline of the case is near
    CASE_ESCALATED = "case.escalated"  # the escalated level: the case's card with what it can do
    CASE_URGED = "case.urged"  # the owner: the escalated level urges them on
    MEETING_INVITATION = "meeting.invite"  # an Affairs Hall invitation, with attend / can't attend
    MEETING_REMINDER = "meeting.remind"  # the day before the meeting
    MEETING_MINUTES = "meeting.minutes"  # the minutes, to the attendees
    ITEM_REMINDER = "item.remind"  # an action item's deadline is near
    ITEM_OVERDUE = "item.overdue"  # an action item is overdue: its owner and the street office
    SURVEY_ASK = "survey.ask"  # the survey message with its current question
    SURVEY_REMIND = "survey.remind"  # the one reminder of an unanswered survey
    DRAFT_EXPIRED = "draft.expired"  # an unfinished /report or /suggest was dropped
    RECORD_PENDING = "record.pending"  # a governance record waits for the office's approval
    RECORD_DECIDED = "record.decided"  # the recorder is told the office's decision
    PUBLISH_REMINDER = "assessment.remind"  # the quarter ended a while ago and is not published
    ASSESSMENT_PUBLISHED = "assessment.published"  # an enterprise's staff: their score, and the appeal
    APPEAL_RECEIVED = "appeal.received"  # the office: an appeal to decide
    APPEAL_DECIDED = "appeal.decided"  # the appellant: the decision
    FAILING_WARNING = "assessment.warning"  # one failing quarter short of a dismissal proposal
    DISMISSAL_PROPOSED = "dismissal.proposed"  # the office: confirm or reject, with the quarters
    DISMISSAL_CONFIRMED = "dismissal.confirmed"  # everyone concerned; the office also gets the report
    CARD_UNDELIVERED = "outbox.card_failed"  # the office: a case card could not be delivered
    DELIVERY_SUMMARY = "outbox.summary"  # the office, daily: what could not be delivered
    FUND_SUBMITTED = "fund.submitted"  # the office: an application to decide
    FUND_DECIDED = "fund.decided"  # the applicant: the office's decision or question, or a drafted reward
    SUGGESTION_NEW = "suggestion.new"  # the committee and the instructor: a suggestion to answer
    SUGGESTION_ANSWERED = "suggestion.answered"  # the author: the answer and its outcome
