"""The escalation's own rows: one per stage a case went through, and the cases put on the agenda.

``case_escalation`` is unique per (case, stage, deadline): with the conditional UPDATEs on the
case's ``escalation_stage`` and ``escalation_level`` columns, two processes or a restart can never
handle one stage of a case twice; a deadline extended is a new deadline, whose reminder comes again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field


class CaseEscalation(SQLModel, table=True):
    """A reminder (level 1) or an escalation (level 2 or 3) of one case, as it happened."""

    __tablename__ = "case_escalation"
    __table_args__ = (UniqueConstraint("case_id", "stage", "deadline_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    stage: int
    deadline_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # the deadline it was for
    level: int
    # "response", "resolution" (a missed deadline), "reopened" (the second reopen) or "item"
    # (a meeting's action item past its deadline).
    cause: str = Field(sa_column=Column(String(16), nullable=False))
    at: datetime = created_at_field()


class AgendaRequest(SQLModel, table=True):
    """A case the escalated level put on the next Affairs Hall's agenda (once per case)."""

    __tablename__ = "agenda_request"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    requested_by: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = created_at_field()
