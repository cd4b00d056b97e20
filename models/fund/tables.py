"""The fund's tables: applications, their history, linked cases, photos, and yearly budgets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import N_, EnumText, UTCDateTime, created_at_field, timestamp_field


class FundType(StrEnum):
    REWARD = "reward"
    SUBSIDY = "subsidy"
    PARTY_BUILDING = "party_building"
    REPAIR = "repair"  # a repair grant, e.g. roof waterproofing out of warranty


FUND_TYPE_NAMES: dict[FundType, str] = {
    FundType.REWARD: N_("reward"),
    FundType.SUBSIDY: N_("subsidy"),
    FundType.PARTY_BUILDING: N_("party-building funding"),
    FundType.REPAIR: N_("repair grant"),
}


class FundStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"  # the office asked for more; the answer submits it again
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


FUND_STATUS_NAMES: dict[FundStatus, str] = {
    FundStatus.DRAFT: N_("draft"),
    FundStatus.SUBMITTED: N_("submitted"),
    FundStatus.NEEDS_INFO: N_("more information asked"),
    FundStatus.APPROVED: N_("approved"),
    FundStatus.PARTLY_APPROVED: N_("partly approved"),
    FundStatus.REJECTED: N_("rejected"),
    FundStatus.WITHDRAWN: N_("withdrawn"),
}

GRANTED = frozenset({FundStatus.APPROVED, FundStatus.PARTLY_APPROVED})


class FundEventKind(StrEnum):
    CREATED = "created"
    PHOTO = "photo"
    SUBMITTED = "submitted"
    INFO_ASKED = "info_asked"
    INFO_GIVEN = "info_given"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class FundApplication(SQLModel, table=True):
    __tablename__ = "fund_application"

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    applicant_id: int = Field(foreign_key="person.id", index=True)
    fund_type: FundType = Field(sa_column=Column(EnumText(FundType, 16), nullable=False, index=True))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    approved_fen: int | None = Field(default=None, sa_column=Column(BigInteger))
    purpose: str = Field(sa_column=Column(Text, nullable=False))
    status: FundStatus = Field(sa_column=Column(EnumText(FundStatus, 16), nullable=False, index=True))
    # The budget year it is counted in: the local year it was decided in (None until then).
    year: int | None = Field(default=None, index=True)
    # Set for a reward proposed from a quarter's red list: (enterprise, quarter) proposes once.
    proposed_for: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()
    submitted_at: datetime | None = timestamp_field()
    decided_at: datetime | None = timestamp_field()
    decided_by: int | None = Field(default=None, foreign_key="person.id")


class FundEvent(SQLModel, table=True):
    """One step of an application's history: what, when, by whom, the status after it, the note."""

    __tablename__ = "fund_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="fund_application.id", index=True)
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    kind: FundEventKind = Field(sa_column=Column(EnumText(FundEventKind, 16), nullable=False))
    status: FundStatus = Field(sa_column=Column(EnumText(FundStatus, 16), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger))


class FundCase(SQLModel, table=True):
    """A case an application is for (the roof leaks a repair grant pays for, say)."""

    __tablename__ = "fund_case"
    __table_args__ = (UniqueConstraint("application_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="fund_application.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)


class FundPhoto(SQLModel, table=True):
    """A quote or photo attached to an application."""

    __tablename__ = "fund_photo"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="fund_application.id", index=True)
    file_id: str = Field(max_length=200)
    added_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class FundBudget(SQLModel, table=True):
    """A fund type's budget for a street's year, as the office set it (else the config's).

    The row is also what an approval locks, so two approvals of one type never both spend the
    same remainder.
    """

    __tablename__ = "fund_budget"
    __table_args__ = (UniqueConstraint("street_id", "year", "fund_type"),)

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id")
    year: int
    fund_type: FundType = Field(sa_column=Column(EnumText(FundType, 16), nullable=False))
    amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger))  # None: the config's
    set_by: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime | None = timestamp_field()
