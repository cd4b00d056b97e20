"""A street's assessment of one quarter, computed from the database as it is now (a draft), and
its snapshot: every count and every point, exact, as JSON that reads back to the same numbers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.inputs import (
    Counts,
    RecordInputs,
    assessed_enterprises,
    governance_inputs,
    service_counts,
)
from models.assessment.scheme import AssessmentScheme, PartyItem, ServiceItem
from models.assessment.scoring import (
    EnterpriseScore,
    Participation,
    RateScore,
    ShareScore,
    enterprise_score,
    participation,
    place_on_lists,
    street_rates,
)
from models.periods import Quarter


@dataclass(frozen=True)
class StreetAssessment:
    """Every assessed enterprise of one street in one quarter, ranked, with the scheme's version."""

    street_id: int
    quarter: str
    scheme_version: str
    scores: list[EnterpriseScore]

    def of(self, enterprise_id: int) -> EnterpriseScore | None:
        return next((score for score in self.scores if score.enterprise_id == enterprise_id), None)


async def assess_street(
    *, session: AsyncSession, street_id: int, quarter: Quarter, scheme: AssessmentScheme, tz: tzinfo
) -> StreetAssessment:
    """Compute the quarter's assessment from the data as it stands (see models/assessment/scoring.py)."""
    start, end = quarter.bounds(tz)
    counts = await service_counts(session=session, street_id=street_id, start=start, end=end)
    street, by_enterprise = Counts(), defaultdict[int | None, Counts](Counts)
    street_by_duty: dict[str, Counts] = defaultdict(Counts)
    own_duties: dict[int | None, dict[str, Counts]] = defaultdict(dict)
    for (enterprise_id, duty), found in counts.items():
        street.add(found)
        by_enterprise[enterprise_id].add(found)
        street_by_duty[duty].add(found)
        own_duties[enterprise_id][duty] = found
    records = await governance_inputs(session=session, street_id=street_id, quarter=str(quarter))
    enterprises = await assessed_enterprises(
        session=session, street_id=street_id, with_counts=set(by_enterprise), with_records=set(records)
    )
    rates = street_rates(street)
    duty_rates = {duty: street_rates(pool) for duty, pool in street_by_duty.items()}
    scores = []
    for enterprise_id, enterprise in enterprises.items():
        duties = {duty: (found, duty_rates[duty]) for duty, found in own_duties[enterprise_id].items()}
        governance = participation(
            scheme,
            records.get(enterprise_id, RecordInputs()),
            quarter=str(quarter),
            party_branch=enterprise.party_branch,
        )
        scores.append(
            enterprise_score(
                scheme,
                enterprise_id=enterprise_id,
                name=enterprise.name,
                counts=by_enterprise.get(enterprise_id, Counts()),
                street=rates,
                by_duty=duties,
                governance=governance,
            )
        )
    return StreetAssessment(street_id, str(quarter), scheme.version, place_on_lists(scheme, scores))


# --- snapshots -----------------------------------------------------------------------------


def _fraction(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _read_fraction(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def _rate(score: RateScore) -> dict[str, Any]:
    return {
        "item": score.item.value,
        "k": _fraction(score.successes),
        "n": score.count,
        "p0": _fraction(score.street_rate),
        "m": score.shrinkage,
        "rate": _fraction(score.rate),
        "points": _fraction(score.points),
    }


def _read_rate(data: dict[str, Any]) -> RateScore:
    return RateScore(
        item=ServiceItem(data["item"]),
        successes=Fraction(data["k"]),
        count=int(data["n"]),
        street_rate=_read_fraction(data["p0"]),
        shrinkage=int(data["m"]),
        rate=_read_fraction(data["rate"]),
        points=Fraction(data["points"]),
    )


def _share(share: ShareScore) -> dict[str, Any]:
    return {"done": share.done, "of": share.of, "points": _fraction(share.points)}


def _read_share(data: dict[str, Any]) -> ShareScore:
    return ShareScore(int(data["done"]), int(data["of"]), Fraction(data["points"]))


def _score(score: EnterpriseScore) -> dict[str, Any]:
    part = score.participation
    return {
        "enterprise_id": score.enterprise_id,
        "name": score.name,
        "service": [_rate(item) for item in score.service],
        "by_duty": {duty: [_rate(item) for item in items] for duty, items in score.by_duty.items()},
        "attendance": _share(part.attendance),
        "tasks": _share(part.tasks),
        "party": {item.value: yes for item, yes in part.party.items()},
        "party_points": _fraction(part.party_points),
        "faults": {duty: _fraction(points) for duty, points in part.faults.items()},
        "spot_check_points": _fraction(part.spot_check_points),
        "bonus": _fraction(part.bonus),
        "vetoes": part.vetoes,
        "records": part.record_ids,
        "answered": score.answered,
        "cases": score.cases,
        "insufficient": score.insufficient,
        "total": _fraction(score.total),
        "score": str(score.score),
        "stars": score.stars,
        "red": score.red,
        "black": score.black,
    }


def _read_score(data: dict[str, Any]) -> EnterpriseScore:
    governance = Participation(
        attendance=_read_share(data["attendance"]),
        tasks=_read_share(data["tasks"]),
        party={PartyItem(item): bool(yes) for item, yes in data["party"].items()},
        party_points=Fraction(data["party_points"]),
        faults={duty: Fraction(points) for duty, points in data["faults"].items()},
        spot_check_points=Fraction(data["spot_check_points"]),
        bonus=Fraction(data["bonus"]),
        vetoes=list(data["vetoes"]),
        record_ids=[int(record) for record in data["records"]],
    )
    return EnterpriseScore(
        enterprise_id=int(data["enterprise_id"]),
        name=str(data["name"]),
        service=[_read_rate(item) for item in data["service"]],
        by_duty={duty: [_read_rate(item) for item in items] for duty, items in data["by_duty"].items()},
        participation=governance,
        answered=int(data["answered"]),
        cases=int(data["cases"]),
        insufficient=bool(data["insufficient"]),
        total=Fraction(data["total"]),
        score=Decimal(data["score"]),
        stars=int(data["stars"]),
        red=bool(data["red"]),
        black=bool(data["black"]),
    )


def to_snapshot(assessment: StreetAssessment, scheme: AssessmentScheme) -> str:
    """The assessment as JSON: the scheme it used, and every count and point, exact."""
    document = {
        "street_id": assessment.street_id,
        "quarter": assessment.quarter,
        "scheme": json.loads(scheme.model_dump_json()),
        "enterprises": [_score(score) for score in assessment.scores],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def from_snapshot(snapshot: str) -> StreetAssessment:
    """The assessment a snapshot holds, numbers as they were computed."""
    document = json.loads(snapshot)
    return StreetAssessment(
        street_id=int(document["street_id"]),
        quarter=str(document["quarter"]),
        scheme_version=str(document["scheme"]["version"]),
        scores=[_read_score(item) for item in document["enterprises"]],
    )


def scheme_in(snapshot: str) -> AssessmentScheme:
    """The scheme a snapshot was computed with, as it was then."""
    return AssessmentScheme(**json.loads(snapshot)["scheme"])
