"""The assessment scheme: every number the quarterly star assessment uses, in one place.

Lingshanwei's scheme is the default (and ``examples/assessment-lingshanwei.toml``); a street can
set its own in the ``[assessment]`` section of config.toml or in a TOML file that
``assessment.file`` names. The scheme's ``version`` is stored with every published and
finalised result. Numbers are read as decimals and kept exact: a score is only rounded at the end.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from models.base import N_


def _decimal(value: Any) -> Any:
    """A number as the decimal it was written as (a TOML 0.6 stays 0.6, not 0.59999…), without
    trailing zeros, so 0.60 and 0.6 are the same value written the same way."""
    if isinstance(value, float | int | str) and not isinstance(value, bool):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return value
    if isinstance(value, Decimal) and value.is_finite():
        value = value.normalize()
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return value


Number = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0)]


class ServiceItem(StrEnum):
    SATISFACTION = "satisfaction"
    RESOLUTION = "resolution"
    ON_TIME = "on_time"
    FIRST_RESPONSE = "first_response"
    WILLING_TO_PAY = "willing_to_pay"


class PartyItem(StrEnum):
    ORGANISATION = "organisation"  # a party organisation set up in the enterprise
    MEMBERS = "members"  # party members on its staff
    CROSS_APPOINTMENT = "cross_appointment"  # cross-appointment with the community party committee


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateItem(_Part):
    """A service item: ``points`` for a rate at ``full`` or above, none at ``floor`` or below,
    in proportion between; the rate is first shrunk toward the street's by ``shrinkage`` (m)."""

    points: Number
    floor: Number
    full: Number
    shrinkage: int = Field(default=10, ge=0)

    @model_validator(mode="after")
    def _floor_below_full(self) -> RateItem:
        if not self.floor < self.full <= 1:
            raise ValueError("floor must be below full, and full at most 1")
        return self


def _service_defaults() -> dict[ServiceItem, RateItem]:
    def item(points: str, floor: str, full: str) -> RateItem:
        return RateItem(points=Decimal(points), floor=Decimal(floor), full=Decimal(full))

    return {
        ServiceItem.SATISFACTION: item("25", "0.60", "0.95"),
        ServiceItem.RESOLUTION: item("12", "0.70", "0.98"),
        ServiceItem.ON_TIME: item("10", "0.60", "0.95"),
        ServiceItem.FIRST_RESPONSE: item("5", "0.80", "1.00"),
        ServiceItem.WILLING_TO_PAY: item("8", "0.60", "0.95"),
    }


class Participation(_Part):
    """Participation in grassroots governance: the points of each item."""

    attendance: Number = Decimal(10)  # share of the quarter's joint meetings attended
    tasks: Number = Decimal(10)  # share of assigned tasks completed by their deadline
    party_building: dict[PartyItem, Number] = Field(
        default_factory=lambda: {
            PartyItem.ORGANISATION: Decimal(4),
            PartyItem.MEMBERS: Decimal(3),
            PartyItem.CROSS_APPOINTMENT: Decimal(3),
        }
    )
    spot_checks: Number = Decimal(10)  # minus each recorded fault's points, never below 0


class Bands(_Part):
    """The lowest score of each band (Shandong's credit cut-offs); below the last: one star."""

    five: Number = Decimal(85)
    four: Number = Decimal(80)
    three: Number = Decimal(70)
    two: Number = Decimal(60)

    def stars(self, score: Decimal) -> int:
        for stars, lowest in ((5, self.five), (4, self.four), (3, self.three), (2, self.two)):
            if score >= lowest:
                return stars
        return 1


def _with_default_items(given: Any) -> Any:
    """A scheme that sets some service items keeps Lingshanwei's for the others."""
    if isinstance(given, dict):
        return {
            **_service_defaults(),
            **{ServiceItem(key): value for key, value in given.items() if key in set(ServiceItem)},
            **{key: value for key, value in given.items() if key not in set(ServiceItem)},
        }
    return given


class AssessmentScheme(_Part):
    """The whole scheme; see the README's "The quarterly assessment" for what each number does."""

    version: str = Field(default="lingshanwei-2026", min_length=1, max_length=40)
    service: Annotated[dict[ServiceItem, RateItem], BeforeValidator(_with_default_items)] = Field(
        default_factory=_service_defaults
    )
    participation: Participation = Field(default_factory=Participation)
    bonus_max: Number = Decimal(5)  # commendations recorded by the street office, at most this much
    total_max: Number = Decimal(100)
    bands: Bands = Field(default_factory=Bands)
    red_list_size: int = Field(default=5, ge=0)
    min_answered: int = Field(default=10, ge=0)  # fewer answered surveys: insufficient data
    min_cases: int = Field(default=10, ge=0)  # fewer cases: insufficient data
    failing_below: Number = Decimal(60)  # the three-quarter rule's line
    failing_quarters: int = Field(default=3, ge=2)  # in a row: a dismissal proposal (one fewer: a warning)
    appeal_days: int = Field(default=7, ge=1)
    publish_reminder_days: int = Field(default=7, ge=0)

    @model_validator(mode="after")
    def _every_service_item(self) -> AssessmentScheme:
        missing = sorted(set(ServiceItem) - set(self.service))
        if missing:
            raise ValueError(f"service items missing: {', '.join(missing)}")
        return self

    @property
    def service_points(self) -> Decimal:
        return sum((item.points for item in self.service.values()), Decimal(0))

    @property
    def participation_points(self) -> Decimal:
        part = self.participation
        return part.attendance + part.tasks + sum(part.party_building.values(), Decimal(0)) + part.spot_checks


def exact(value: Decimal) -> Fraction:
    """A scheme number as an exact fraction, for arithmetic that never rounds."""
    return Fraction(value)


SERVICE_ITEM_NAMES: dict[ServiceItem, str] = {
    ServiceItem.SATISFACTION: N_("Satisfaction"),
    ServiceItem.RESOLUTION: N_("Resolution"),
    ServiceItem.ON_TIME: N_("Resolved on time"),
    ServiceItem.FIRST_RESPONSE: N_("First response in time"),
    ServiceItem.WILLING_TO_PAY: N_("Willing to pay"),
}
PARTY_ITEM_NAMES: dict[PartyItem, str] = {
    PartyItem.ORGANISATION: N_("Party organisation set up"),
    PartyItem.MEMBERS: N_("Party members on the staff"),
    PartyItem.CROSS_APPOINTMENT: N_("Cross-appointment with the community party committee"),
}
