"""The assessment's tables: governance records, published and finalised results, appeals,
dismissal proposals, and the notices sent once per quarter.

Nothing here is ever deleted: a governance record is undone by a reversal record, a
re-run after finalisation is a new revision beside the old one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import N_, EnumText, UTCDateTime, created_at_field, timestamp_field

QUARTER_LENGTH = 8  # "2026Q3"


class RecordKind(StrEnum):
    MEETING = "meeting"  # a joint meeting (the Affairs Hall): attended, yes or no
    TASK = "task"  # a street or community task: completed by its deadline, yes or no
    PARTY_BUILDING = "party_building"  # a party-building item (PartyItem): yes or no
    SPOT_CHECK = "spot_check"  # a fault an inspector found in one of the nine duties: points off
    COMMENDATION = "commendation"  # a commendation by the street office: bonus points
    VETO = "veto"  # a veto event (VetoEvent): the black list whatever the score


class VetoEvent(StrEnum):
    ABANDONED_SITE = "abandoned_site"
    REFUSED_HANDOVER = "refused_handover"
    SAFETY_INCIDENT = "safety_incident"


RECORD_KIND_NAMES: dict[RecordKind, str] = {
    RecordKind.MEETING: N_("Joint meeting"),
    RecordKind.TASK: N_("Street or community task"),
    RecordKind.PARTY_BUILDING: N_("Party building"),
    RecordKind.SPOT_CHECK: N_("Spot-check fault"),
    RecordKind.COMMENDATION: N_("Commendation"),
    RecordKind.VETO: N_("Veto event"),
}
VETO_NAMES: dict[VetoEvent, str] = {
    VetoEvent.ABANDONED_SITE: N_("Abandoned the site"),
    VetoEvent.REFUSED_HANDOVER: N_("Refused a handover"),
    VetoEvent.SAFETY_INCIDENT: N_("Serious safety incident"),
}


class RecordStatus(StrEnum):
    PENDING = "pending"  # made by an instructor or a committee member: waits for the office
    APPROVED = "approved"
    REJECTED = "rejected"


class GovernanceRecord(SQLModel, table=True):
    """One fact about an enterprise's part in grassroots governance, with who recorded it."""

    __tablename__ = "governance_record"
    __table_args__ = (Index("ix_governance_record_street_quarter", "street_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id")
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    quarter: str = Field(sa_column=Column(String(QUARTER_LENGTH), nullable=False))
    kind: RecordKind = Field(sa_column=Column(EnumText(RecordKind, 16), nullable=False))
    # The party-building item, the duty of a spot-check fault, or the veto event.
    item: str | None = Field(default=None, max_length=24)
    yes: bool | None = None  # attended / completed / in place
    points_tenths: int | None = None  # a fault's or a commendation's points, in tenths
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    photo_file_id: str | None = Field(default=None, max_length=200)
    reverses_id: int | None = Field(default=None, foreign_key="governance_record.id")
    recorded_by: int = Field(foreign_key="person.id")
    recorded_at: datetime = created_at_field()
    status: RecordStatus = Field(sa_column=Column(EnumText(RecordStatus, 12), nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = timestamp_field()
    decision_note: str | None = Field(default=None, sa_column=Column(Text))


class AssessmentStatus(StrEnum):
    PUBLISHED = "published"  # open to appeals
    FINALISED = "finalised"  # a frozen snapshot


class Assessment(SQLModel, table=True):
    """One street's assessment of one quarter, as published, then finalised (and re-run)."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("street_id", "quarter", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id")
    quarter: str = Field(sa_column=Column(String(QUARTER_LENGTH), nullable=False))
    revision: int  # 1 when published; each re-run after finalisation adds one
    status: AssessmentStatus = Field(sa_column=Column(EnumText(AssessmentStatus, 12), nullable=False))
    scheme_version: str = Field(max_length=40)
    snapshot: str = Field(sa_column=Column(Text, nullable=False))  # JSON: every count and every point
    reason: str | None = Field(default=None, sa_column=Column(Text))  # why a re-run
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    published_by: int | None = Field(default=None, foreign_key="person.id")
    finalised_at: datetime | None = timestamp_field()
    finalised_by: int | None = Field(default=None, foreign_key="person.id")


class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class Appeal(SQLModel, table=True):
    """An enterprise's appeal against its published assessment."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    appellant_id: int = Field(foreign_key="person.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    photo_file_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()
    status: AppealStatus = Field(sa_column=Column(EnumText(AppealStatus, 12), nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = timestamp_field()
    decision_note: str | None = Field(default=None, sa_column=Column(Text))


class ProposalStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class DismissalProposal(SQLModel, table=True):
    """The three-quarter rule fired: the office confirms or rejects the dismissal, with a note."""

    __tablename__ = "dismissal_proposal"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    quarter: str = Field(sa_column=Column(String(QUARTER_LENGTH), nullable=False))  # the last failing one
    quarters: str = Field(max_length=40)  # the failing quarters, e.g. "2026Q1,2026Q2,2026Q3"
    status: ProposalStatus = Field(sa_column=Column(EnumText(ProposalStatus, 12), nullable=False))
    created_at: datetime = created_at_field()
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = timestamp_field()
    note: str | None = Field(default=None, sa_column=Column(Text))


class NoticeKind(StrEnum):
    PUBLISH_REMINDER = "publish_reminder"  # the quarter ended a while ago and is not published
    WARNING = "warning"  # one quarter short of the three-quarter rule
    DELIVERY_SUMMARY = "delivery_summary"  # the office's daily outbox summary ("quarter" holds the day)


class AssessmentNotice(SQLModel, table=True):
    """A notice sent once for a street's quarter (and enterprise): two processes never send it twice."""

    __tablename__ = "assessment_notice"
    __table_args__ = (UniqueConstraint("street_id", "quarter", "kind", "enterprise_id"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id")
    quarter: str = Field(sa_column=Column(String(QUARTER_LENGTH), nullable=False))
    kind: NoticeKind = Field(sa_column=Column(EnumText(NoticeKind, 20), nullable=False))
    enterprise_id: int = Field(default=0)  # 0: the street as a whole (a NULL would not be unique)
    sent_at: datetime = created_at_field()
