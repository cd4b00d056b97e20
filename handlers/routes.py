"""Every feature's handlers, added to the application in the one order that works."""

from __future__ import annotations

from handlers import (
    assessment_input,
    case_input,
    cases,
    errors,
    fund,
    fund_input,
    guard,
    language,
    locale,
    meeting,
    meeting_actions,
    mycases,
    oversight,
    oversight_input,
    profile,
    ranking,
    record,
    records,
    report,
    score,
    start,
    stats,
    suggest,
    suggestion_answers,
    surveys,
    visit,
    work_report,
)
from handlers.context import RedPropApplication


def register_all(application: RedPropApplication) -> None:
    """Add every feature's handlers; the locale goes first and the catch-alls last."""
    locale.register(application)
    guard.register(application)  # private chats, and commands for this bot, only
    # Survey answers go before the conversations: a tap or a comment in the middle of one answers
    # the survey and leaves the conversation where it was.
    surveys.register(application)
    # Conversations go before /start and /help, so their /start and /help fallbacks can end them.
    case_input.register(application)
    # Before the draft conversations: a decision's note goes to the question asked last, even
    # with a /record or /report open.
    assessment_input.register(application)
    oversight_input.register(application)
    fund_input.register(application)
    suggestion_answers.register(application)
    visit.register_input(application)
    profile.register(application)
    report.register(application)
    suggest.register(application)
    record.register(application)
    start.register(application)
    language.register(application)
    cases.register(application)
    mycases.register(application)
    oversight.register(application)
    meeting.register(application)
    meeting_actions.register(application)
    stats.register(application)
    records.register(application)
    ranking.register(application)
    score.register(application)
    fund.register(application)
    visit.register(application)
    work_report.register(application)
    errors.register(application)
