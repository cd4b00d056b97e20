"""The Affairs Hall's tables: a meeting, its communities, invitations, agenda items, decisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import EnumText, UTCDateTime, created_at_field, timestamp_field


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"  # the agenda is a draft the admin may change
    HELD = "held"  # minutes sent; the agenda is closed


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    scheduled_by: int = Field(foreign_key="person.id")
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    place: str = Field(sa_column=Column(Text, nullable=False))
    status: MeetingStatus = Field(
        default=MeetingStatus.SCHEDULED, sa_column=Column(EnumText(MeetingStatus, 12), nullable=False)
    )
    created_at: datetime = created_at_field()
    held_at: datetime | None = timestamp_field()


class MeetingCommunity(SQLModel, table=True):
    __tablename__ = "meeting_community"
    __table_args__ = (UniqueConstraint("meeting_id", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    community_id: int = Field(foreign_key="community.id")


class Invitation(SQLModel, table=True):
    """One invitee; ``enterprise_id`` when they come for a property enterprise (its attendance)."""

    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    coming: bool | None = None  # the invitee's answer
    attended: bool | None = None  # recorded at the meeting
    reminded_at: datetime | None = timestamp_field()


class ItemKind(StrEnum):
    ESCALATED = "escalated"
    REOPENED = "reopened"
    OVERDUE = "overdue"
    SUGGESTIONS = "suggestions"
    SUGGESTION = "suggestion"  # one passed to the agenda by whoever answered it
    HOTSPOT = "hotspot"
    ADDED = "added"  # added by the admin


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    # One item per subject per meeting: building the agenda again adds only what is new.
    __table_args__ = (UniqueConstraint("meeting_id", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    kind: ItemKind = Field(sa_column=Column(EnumText(ItemKind, 12), nullable=False))
    subject: str = Field(sa_column=Column(String(80), nullable=False))
    # The words of an added item, or the category and community of a hotspot.
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    case_numbers: str = Field(default="", sa_column=Column(Text, nullable=False))  # space-separated
    dropped: bool = False


class ItemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Decision(SQLModel, table=True):
    """What the meeting decided on an item: an action item with an owner and a deadline."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="agenda_item.id", unique=True)
    owner_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    owner_enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    action: str = Field(sa_column=Column(Text, nullable=False))
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    status: ItemStatus = Field(
        default=ItemStatus.OPEN, sa_column=Column(EnumText(ItemStatus, 8), nullable=False, index=True)
    )
    decided_by: int = Field(foreign_key="person.id")
    decided_at: datetime = created_at_field()
    reminded_at: datetime | None = timestamp_field()
    escalated_at: datetime | None = timestamp_field()
    closed_at: datetime | None = timestamp_field()
