"""The escalation plan of a case: which stage comes next and when, from the configured timings.

A case passes through up to six stages, in order: for its response deadline a reminder to the
owner, level 2 at the deadline, level 3 after a further delay; then the same for its resolution
deadline. ``Case.escalation_stage`` is the last stage handled (0: none yet), so a stage is never
handled twice and none is skipped unless it no longer applies (the response came, the case was
resolved, the level was reached already).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from models.cases.categories import DEFAULT
from models.cases.tables import Case


class Deadline(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class Level(IntEnum):
    NONE = 0
    REMINDER = 1  # the owner is reminded; no level above is involved yet
    COMMITTEE = 2  # the community party committee of the case's community
    OFFICE = 3  # the street property office


@dataclass(frozen=True)
class Stage:
    number: int
    deadline: Deadline
    level: Level


STAGES: tuple[Stage, ...] = (
    Stage(1, Deadline.RESPONSE, Level.REMINDER),
    Stage(2, Deadline.RESPONSE, Level.COMMITTEE),
    Stage(3, Deadline.RESPONSE, Level.OFFICE),
    Stage(4, Deadline.RESOLUTION, Level.REMINDER),
    Stage(5, Deadline.RESOLUTION, Level.COMMITTEE),
    Stage(6, Deadline.RESOLUTION, Level.OFFICE),
)
# A second reopen escalates through the same mechanism; its row in case_escalation has this stage.
REOPEN_STAGE = 7
# Where a deadline's stages start: an extended deadline is watched again from its reminder.
FIRST_STAGE = {Deadline.RESPONSE: 0, Deadline.RESOLUTION: 3}

DEFAULT_URGENT = ("leak", "sewer", "fire_safety", "elevator")


def deadline_of(case: Case, deadline: str) -> datetime:
    """The case's response or resolution deadline as it stands."""
    return case.response_due_at if deadline == Deadline.RESPONSE else case.resolution_due_at


def _per_category(values: dict[str, timedelta], category: str) -> timedelta:
    return values.get(category, values[DEFAULT])


@dataclass(frozen=True)
class EscalationRules:
    """The timings, per report category (``default`` for the rest)."""

    # The reminder goes at this share of the time from the report to the deadline.
    remind_at: dict[str, float] = field(default_factory=lambda: {DEFAULT: 0.75})
    # From a missed deadline (level 2) to the street office (level 3).
    response_delay: dict[str, timedelta] = field(
        default_factory=lambda: (
            {DEFAULT: timedelta(hours=24)} | dict.fromkeys(DEFAULT_URGENT, timedelta(hours=2))
        )
    )
    resolution_delay: dict[str, timedelta] = field(default_factory=lambda: {DEFAULT: timedelta(hours=24)})
    urgent: frozenset[str] = frozenset(DEFAULT_URGENT)
    # The end of the quiet hours a moment falls in (the moment itself outside them); None: no quiet hours.
    quiet: Callable[[datetime], datetime] | None = None

    def due(self, case: Case, stage: Stage) -> datetime:
        """When ``stage`` falls due for ``case``."""
        deadline = case.response_due_at if stage.deadline == Deadline.RESPONSE else case.resolution_due_at
        if stage.level == Level.REMINDER:
            share = self.remind_at.get(case.category, self.remind_at[DEFAULT])
            return case.created_at + (deadline - case.created_at) * share
        if stage.level == Level.COMMITTEE:
            return deadline
        delays = self.response_delay if stage.deadline == Deadline.RESPONSE else self.resolution_delay
        return deadline + _per_category(delays, case.category)

    def send_at(self, case: Case, now: datetime) -> datetime:
        """When a message about the case may go: at once if urgent, else after the quiet hours."""
        if case.category in self.urgent or self.quiet is None:
            return now
        return self.quiet(now)


def applies(case: Case, stage: Stage, now: datetime) -> bool:
    """Whether ``stage`` still means something for the case as it is now."""
    if not case.is_open:
        return False
    if stage.deadline == Deadline.RESPONSE and case.first_response_at is not None:
        return False
    if stage.level == Level.REMINDER:
        # A reminder after the deadline has passed says nothing the escalation will not.
        deadline = case.response_due_at if stage.deadline == Deadline.RESPONSE else case.resolution_due_at
        return now < deadline
    return case.escalation_level < stage.level


def next_stage(case: Case, rules: EscalationRules, now: datetime) -> tuple[list[Stage], int, datetime | None]:
    """The stages due now (in order), the stage number after them, and when the next one falls due
    (None: nothing more to watch). Stages that no longer apply are passed over."""
    due_now: list[Stage] = []
    last = case.escalation_stage
    for stage in STAGES[case.escalation_stage :]:
        if not case.is_open:
            return due_now, last, None
        at = rules.due(case, stage)
        if at > now and (stage.deadline != Deadline.RESPONSE or case.first_response_at is None):
            return due_now, last, at
        if at <= now and applies(case, stage, now):
            due_now.append(stage)
        last = stage.number
    return due_now, last, None
