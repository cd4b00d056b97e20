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
    SURVEY_ASK = "survey.ask"  # the survey message with its current question
    SURVEY_REMIND = "survey.remind"  # the one reminder of an unanswered survey
    DRAFT_EXPIRED = "draft.expired"  # an unfinished /report or /suggest was dropped
