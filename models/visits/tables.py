"""The visit tables: one row a visit, its photos, and the cases opened from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field


class Visit(SQLModel, table=True):
    """An instructor's visit to an enterprise or a community."""

    id: int | None = Field(default=None, primary_key=True)
    instructor_id: int = Field(foreign_key="person.id", index=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    # Where: a community (its enterprise is then known), or an enterprise as a whole.
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    note: str = Field(sa_column=Column(Text, nullable=False))
    problems: str | None = Field(default=None, sa_column=Column(Text))
    visited_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    created_at: datetime = created_at_field()


class VisitPhoto(SQLModel, table=True):
    __tablename__ = "visit_photo"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    file_id: str = Field(max_length=200)


class VisitCase(SQLModel, table=True):
    """A case opened on the spot from a problem found on the visit."""

    __tablename__ = "visit_case"
    __table_args__ = (UniqueConstraint("case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    case_id: int = Field(foreign_key="case.id")
