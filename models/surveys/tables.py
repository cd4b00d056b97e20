"""The survey table: one survey per resolution of a case, with the answers as they come.

Columns used for grouping (enterprise, community, street, duty, instructor) are copied from
the case when the survey is scheduled, so the numbers keep the picture of that resolution.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import EnumText, UTCDateTime, timestamp_field


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"  # every step answered (the comment may be skipped)
    EXPIRED = "expired"  # closed without an answer to every step


class Solved(StrEnum):
    SOLVED = "solved"
    PARTLY = "partly"
    NOT = "not"


class Survey(SQLModel, table=True):
    __tablename__ = "survey"
    __table_args__ = (
        UniqueConstraint("case_id", "round"),  # once per resolution
        Index("ix_survey_status_due_at", "status", "due_at"),
        Index("ix_survey_status_sent_at", "status", "sent_at"),
        # The quarterly assessment reads a street's answers of a quarter from this index alone,
        # without visiting the rows (models/assessment/inputs.py).
        Index(
            "ix_survey_assessment",
            "street_id",
            "answered_at",
            "excluded_from_numbers",
            "enterprise_id",
            "duty",
            "case_id",
            "round",
            "stars",
            "solved",
            "willing_to_pay",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    round: int  # 1 for the case's first resolution, 2 after a reopen and a second one, ...
    reporter_id: int = Field(foreign_key="person.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    community_id: int = Field(foreign_key="community.id")
    street_id: int = Field(foreign_key="street.id")
    duty: str = Field(sa_column=Column(String(24), nullable=False))
    category: str = Field(sa_column=Column(String(24), nullable=False))
    # The instructor who owned the case when it was resolved (None: another level owned it).
    instructor_id: int | None = Field(default=None, foreign_key="person.id")
    # The reporter also handles cases there: surveyed, but never counted.
    excluded_from_numbers: bool = False
    status: SurveyStatus = Field(sa_column=Column(EnumText(SurveyStatus, 12), nullable=False))
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # When the question goes out (after quiet hours, if it fell due in them).
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    reminded_at: datetime | None = timestamp_field()
    # The first answer: the resident responded (the assessment reads it through ix_survey_assessment).
    answered_at: datetime | None = timestamp_field()
    expired_at: datetime | None = timestamp_field()
    solved: Solved | None = Field(default=None, sa_column=Column(EnumText(Solved, 8)))
    # "Partly solved": whether the resident chose to reopen ("not solved" always reopens).
    reopened: bool | None = None
    stars: int | None = None
    willing_to_pay: bool | None = None
    comment: str | None = Field(default=None, sa_column=Column(Text))
