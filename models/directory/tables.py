"""The directory: streets, communities, property enterprises, people and their roles.

A community may have no property enterprise (a "no-property" community). Party-building
instructors are paired with enterprises through roles: one ``Role`` of kind ``instructor``
per enterprise they serve, so one enterprise may have several instructors and one
instructor several enterprises.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from models.base import EnumText, created_at_field


class RoleKind(StrEnum):
    OFFICE_ADMIN = "office_admin"  # street property office
    PARTY_COMMITTEE = "party_committee"  # community party committee member
    ENTERPRISE_STAFF = "enterprise_staff"
    OWNERS_COMMITTEE = "owners_committee"
    ENTERPRISE_HEAD = "enterprise_head"  # invited to the Red Property Affairs Hall
    PARTY_BRANCH_CONTACT = "party_branch_contact"  # the enterprise's party branch, at the Affairs Hall
    INSTRUCTOR = "instructor"  # party-building instructor


class Street(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class Enterprise(SQLModel, table=True):
    """A property service enterprise."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    party_branch: bool = Field(default=False)
    created_at: datetime = created_at_field()


class Community(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    street_id: int = Field(foreign_key="street.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    created_at: datetime = created_at_field()

    @property
    def has_property_enterprise(self) -> bool:
        return self.enterprise_id is not None


class Person(SQLModel, table=True):
    """Anyone the bot knows: a resident who wrote to it, or someone listed in the directory."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True, index=True))
    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    # The language the person chose with /language; None means "follow Telegram".
    locale: str | None = Field(default=None, sa_column=Column(String(8)))
    language_code: str | None = Field(default=None, max_length=16)
    reachable: bool = Field(default=True)
    # Where a resident lives: set through a community's QR link or /profile.
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    building: str | None = Field(default=None, max_length=100)
    # Whether the phone came from the person themselves (Telegram's contact button).
    phone_shared: bool = Field(default=False)
    created_at: datetime = created_at_field()


class Role(SQLModel, table=True):
    """One thing a person is in the directory, with the street, community or enterprise it is for."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: RoleKind = Field(sa_column=Column(EnumText(RoleKind, 24), nullable=False, index=True))
    street_id: int | None = Field(default=None, foreign_key="street.id", index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
