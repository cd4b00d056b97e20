"""What residents report about, and which of the nine service duties each category falls under.

The star assessment scores an enterprise by duty, so every report category maps to exactly
one duty (see the glossary's proposal, listed in the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from models.base import N_

T = TypeVar("T")
DEFAULT = "default"  # the key of a per-category setting that covers the other categories


class ServiceDuty(StrEnum):
    CUSTOMER_SERVICE = "customer_service"
    BUILDING_REPAIR = "building_repair"
    FACILITIES = "facilities"
    SANITATION = "sanitation"
    GREENING = "greening"
    SECURITY = "security"
    PARKING = "parking"
    FIRE_SAFETY = "fire_safety"
    EMERGENCY = "emergency"


class ReportCategory(StrEnum):
    LEAK = "leak"
    SEWER = "sewer"
    EV_CHARGING = "ev_charging"
    PARKING = "parking"
    UTILITIES = "utilities"
    ELEVATOR = "elevator"
    SANITATION = "sanitation"
    GREENING = "greening"
    SECURITY = "security"
    FIRE_SAFETY = "fire_safety"
    PUBLIC_HEALTH = "public_health"
    OTHER = "other"


DUTY_OF: dict[ReportCategory, ServiceDuty] = {
    ReportCategory.LEAK: ServiceDuty.BUILDING_REPAIR,
    ReportCategory.SEWER: ServiceDuty.FACILITIES,
    ReportCategory.EV_CHARGING: ServiceDuty.FACILITIES,
    ReportCategory.PARKING: ServiceDuty.PARKING,
    ReportCategory.UTILITIES: ServiceDuty.CUSTOMER_SERVICE,
    ReportCategory.ELEVATOR: ServiceDuty.FACILITIES,
    ReportCategory.SANITATION: ServiceDuty.SANITATION,
    ReportCategory.GREENING: ServiceDuty.GREENING,
    ReportCategory.SECURITY: ServiceDuty.SECURITY,
    ReportCategory.FIRE_SAFETY: ServiceDuty.FIRE_SAFETY,
    ReportCategory.PUBLIC_HEALTH: ServiceDuty.EMERGENCY,
    ReportCategory.OTHER: ServiceDuty.CUSTOMER_SERVICE,
}

CATEGORY_NAMES: dict[ReportCategory, str] = {
    ReportCategory.LEAK: N_("Roof or wall leak / waterproofing"),
    ReportCategory.SEWER: N_("Sewer or drain blockage"),
    ReportCategory.EV_CHARGING: N_("Electric-bike charging shed"),
    ReportCategory.PARKING: N_("Parking"),
    ReportCategory.UTILITIES: N_("Water, electricity, gas: supply and payment"),
    ReportCategory.ELEVATOR: N_("Elevator"),
    ReportCategory.SANITATION: N_("Sanitation and garbage"),
    ReportCategory.GREENING: N_("Greening"),
    ReportCategory.SECURITY: N_("Security and order"),
    ReportCategory.FIRE_SAFETY: N_("Fire safety"),
    ReportCategory.PUBLIC_HEALTH: N_("Epidemic prevention and public health"),
    ReportCategory.OTHER: N_("Other"),
}

DUTY_NAMES: dict[ServiceDuty, str] = {
    ServiceDuty.CUSTOMER_SERVICE: N_("Customer service and fees"),
    ServiceDuty.BUILDING_REPAIR: N_("Building and common-area repair"),
    ServiceDuty.FACILITIES: N_("Shared facilities and equipment"),
    ServiceDuty.SANITATION: N_("Environmental sanitation"),
    ServiceDuty.GREENING: N_("Greening maintenance"),
    ServiceDuty.SECURITY: N_("Order maintenance and security"),
    ServiceDuty.PARKING: N_("Vehicles and parking"),
    ServiceDuty.FIRE_SAFETY: N_("Fire safety management"),
    ServiceDuty.EMERGENCY: N_("Emergency response and epidemic prevention"),
}


def for_category(values: Mapping[str, T], category: str) -> T:
    """The value a per-category setting gives ``category``: its own, else the ``default``."""
    return values[category] if category in values else values[DEFAULT]
