"""Cases: one reported problem each, with a number, an owner, deadlines and a timeline.

This module holds the tables and the status machine. Who may do what is in
``models/cases/actions.py``; who owns a new case is decided in ``models/cases/routing.py``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import N_, EnumText, UTCDateTime, created_at_field, timestamp_field, utcnow


class CaseStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"  # not our responsibility: back to the street office
    DUPLICATE = "duplicate"
    REOPENED = "reopened"


# The domain refuses every other move, whatever buttons a client shows.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.ASSIGNED, CaseStatus.WITHDRAWN}),
    CaseStatus.ASSIGNED: frozenset(
        {
            CaseStatus.ASSIGNED,  # rerouted to another owner
            CaseStatus.ACCEPTED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.REJECTED,
            CaseStatus.DUPLICATE,
            CaseStatus.WITHDRAWN,
        }
    ),
    CaseStatus.ACCEPTED: frozenset(
        {
            CaseStatus.ASSIGNED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.RESOLVED,
            CaseStatus.DUPLICATE,
            CaseStatus.WITHDRAWN,
        }
    ),
    # In progress stays in progress through notes and the enterprise's "work done".
    CaseStatus.IN_PROGRESS: frozenset(
        {CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.WITHDRAWN}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.REOPENED}),
    CaseStatus.REOPENED: frozenset(
        {
            CaseStatus.ASSIGNED,
            CaseStatus.ACCEPTED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.RESOLVED,
            CaseStatus.WITHDRAWN,
        }
    ),
    # Back with the street office, which takes it on itself or passes it on.
    CaseStatus.REJECTED: frozenset(
        {CaseStatus.ASSIGNED, CaseStatus.ACCEPTED, CaseStatus.DUPLICATE, CaseStatus.WITHDRAWN}
    ),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.WITHDRAWN: frozenset(),
    CaseStatus.DUPLICATE: frozenset(),
}

OPEN_STATUSES = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.ASSIGNED,
        CaseStatus.ACCEPTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.REOPENED,
        CaseStatus.REJECTED,
    }
)

STATUS_NAMES: dict[CaseStatus, str] = {
    CaseStatus.NEW: N_("new"),
    CaseStatus.ASSIGNED: N_("assigned"),
    CaseStatus.ACCEPTED: N_("accepted"),
    CaseStatus.IN_PROGRESS: N_("in progress"),
    CaseStatus.RESOLVED: N_("resolved"),
    CaseStatus.CLOSED: N_("closed"),
    CaseStatus.WITHDRAWN: N_("withdrawn"),
    CaseStatus.REJECTED: N_("not our responsibility"),
    CaseStatus.DUPLICATE: N_("duplicate"),
    CaseStatus.REOPENED: N_("reopened"),
}


class OwnerLevel(StrEnum):
    """Where in the three-level chain a case's owner sits."""

    INSTRUCTOR = "instructor"
    PARTY_COMMITTEE = "party_committee"
    OFFICE = "office"


NUMBER_LENGTH = 32


class Case(SQLModel, table=True):
    # The quarterly assessment reads a street's cases through this index alone, community by
    # community, in the order it sums them (models/assessment/inputs.py).
    __table_args__ = (
        Index(
            "ix_case_assessment",
            "community_id",
            "enterprise_id",
            "duty",
            "status",
            "created_at",
            "first_response_at",
            "response_due_at",
            "resolution_due_at",
            "resolved_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True, index=True)  # e.g. LSW-2026-000123
    reporter_id: int = Field(foreign_key="person.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    # The enterprise answerable for the case when it was reported (None: no-property community).
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    category: str = Field(sa_column=Column(String(24), nullable=False, index=True))
    duty: str = Field(sa_column=Column(String(24), nullable=False, index=True))
    description: str = Field(sa_column=Column(Text, nullable=False))
    building: str | None = Field(default=None, max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    status: CaseStatus = Field(sa_column=Column(EnumText(CaseStatus, 16), nullable=False, index=True))
    owner_level: OwnerLevel = Field(sa_column=Column(EnumText(OwnerLevel, 16), nullable=False))
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Set while the enterprise works the case after the owner forwarded it.
    forwarded_enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    work_done_at: datetime | None = timestamp_field()
    duplicate_of_id: int | None = Field(default=None, foreign_key="case.id")
    reopen_count: int = 0
    # The resident's draft this case was confirmed from: a second tap on Confirm finds it.
    draft_key: str | None = Field(default=None, max_length=40, unique=True)
    # Indexed: the numbers (models/surveys/stats.py) count the cases created in a period.
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    first_response_at: datetime | None = timestamp_field()
    resolved_at: datetime | None = timestamp_field()
    closed_at: datetime | None = timestamp_field()
    response_due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Indexed: the assessment counts the cases whose resolution fell due in a quarter.
    resolution_due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # Deadlines that escalate (models/escalation): the highest level the case reached (0 none,
    # 2 the community party committee, 3 the street office), the last stage the escalation job
    # handled, and when it next has something to do (NULL: nothing). Indexed: the job reads only
    # the rows due, never the open cases that are not.
    escalation_level: int = Field(default=0, nullable=False)
    escalation_stage: int = Field(default=0, nullable=False)
    escalation_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(StrEnum):
    REPORTED = "reported"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    FORWARDED = "forwarded"
    NOTE = "note"
    WORK_DONE = "work_done"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"
    CLOSED = "closed"
    # Deadlines that escalate (models/escalation) and what the escalated level does.
    REMINDED = "reminded"
    ESCALATED = "escalated"
    URGED = "urged"
    TAKEN_OVER = "taken_over"
    REASSIGNED = "reassigned"
    EXTENDED = "extended"
    AGENDA = "agenda"
    SETTLED = "settled"  # a decision of the Affairs Hall closed its action item
    FUNDED = "funded"  # a repair grant of the property management fund pays for it


class CaseEvent(SQLModel, table=True):
    """One line of a case's timeline: what happened, when, by whom, and the status after it."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="person.id")  # None: the system
    kind: EventKind = Field(sa_column=Column(EnumText(EventKind, 16), nullable=False))
    status: CaseStatus = Field(sa_column=Column(EnumText(CaseStatus, 16), nullable=False))
    # A person's note or reason, shown as they wrote it.
    text: str | None = Field(default=None, sa_column=Column(Text))
    # A system explanation (e.g. why routing chose this owner): an N_ message id ...
    reason: str | None = Field(default=None, sa_column=Column(Text))
    # ... and the JSON of its placeholders.
    reason_params: str | None = Field(default=None, sa_column=Column(Text))


class CasePhoto(SQLModel, table=True):
    __tablename__ = "case_photo"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="case_event.id")  # None: from the report
    file_id: str = Field(max_length=200)


class CaseCounter(SQLModel, table=True):
    """The last case number given in a street in a year, so numbers run without gaps."""

    __tablename__ = "case_counter"
    __table_args__ = (UniqueConstraint("street_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id")
    year: int
    last: int = 0


class SuggestionOutcome(StrEnum):
    """What became of a suggestion once answered."""

    ADOPTED = "adopted"
    NOTED = "noted"
    AGENDA = "agenda"  # passed to the Red Property Affairs Hall's agenda


SUGGESTION_OUTCOME_NAMES: dict[SuggestionOutcome, str] = {
    SuggestionOutcome.ADOPTED: N_("adopted"),
    SuggestionOutcome.NOTED: N_("noted"),
    SuggestionOutcome.AGENDA: N_("passed to the Affairs Hall agenda"),
}


class Suggestion(SQLModel, table=True):
    """An idea for the community rather than a fault; counted apart from cases.

    It goes to the community party committee and the paired instructor (``instructor_id``, the
    one it was routed to), one of whom answers it with an outcome; the author is told.
    """

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = created_at_field()
    instructor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    outcome: SuggestionOutcome | None = Field(
        default=None, sa_column=Column(EnumText(SuggestionOutcome, 12), nullable=True)
    )
    answer: str | None = Field(default=None, sa_column=Column(Text))
    answered_by: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime | None = timestamp_field()
