"""The scheme's arithmetic: from counts and records to points, exactly.

Every rate and every point is a :class:`~fractions.Fraction`, so nothing is rounded on the way
and both databases give the same numbers; only the final total is rounded, to 0.1 (half up).

* A service item counts k successes of n. Shrinkage first: with the street's own rate p0 for
  the quarter and m = the item's ``shrinkage``, the rate is (k + m·p0)/(n + m). An enterprise
  with nothing to count on an item takes the street's rate; if the street has nothing either,
  the item is not measured this quarter and scores full points.
* Points = the item's points × clamp((rate − floor)/(full − floor), 0, 1).
* Joint meetings and tasks score their share done; with none in the quarter, full points.
* Party building scores each item in place (the latest record up to the quarter; the
  organisation defaults to the directory's ``party_branch``); spot checks start full and lose
  each fault's points, never below 0; commendations add at most ``bonus_max``; the total is
  capped at ``total_max``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cache

from models.assessment.inputs import Counts, RecordInputs
from models.assessment.scheme import AssessmentScheme, PartyItem, RateItem, ServiceItem, exact
from models.assessment.tables import RecordKind

TENTH = Fraction(1, 10)


@dataclass(frozen=True)
class RateScore:
    """One service item: what was counted, the street's rate, the rate after shrinkage, the points."""

    item: ServiceItem
    successes: Fraction  # k (halves for "partly solved")
    count: int  # n
    street_rate: Fraction | None  # p0; None: nothing counted in the whole street
    shrinkage: int  # m
    rate: Fraction | None  # after shrinkage; None: not measured this quarter
    points: Fraction

    @property
    def own_rate(self) -> Fraction | None:
        return self.successes / self.count if self.count else None


def counted(item: ServiceItem, counts: Counts) -> tuple[Fraction, int]:
    """k and n of one service item."""
    if item == ServiceItem.SATISFACTION:
        return Fraction(counts.satisfied), counts.stars
    if item == ServiceItem.RESOLUTION:
        return counts.solved + Fraction(counts.partly, 2), counts.solved_asked
    if item == ServiceItem.ON_TIME:
        return Fraction(counts.on_time), counts.due
    if item == ServiceItem.FIRST_RESPONSE:
        return Fraction(counts.responded), counts.opened
    return Fraction(counts.willing), counts.pay_asked


StreetRates = dict[ServiceItem, Fraction | None]  # p0 of each item; None: nothing counted


def street_rates(street: Counts) -> StreetRates:
    """Each service item's rate over the whole street (or over one duty of it): its p0."""
    rates: StreetRates = {}
    for item in ServiceItem:
        k, n = counted(item, street)
        rates[item] = k / n if n else None
    return rates


@cache
def _bounds(rule: RateItem) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """The item's points, floor and full rate, and its points per unit of rate between the two,
    as fractions, worked out once per scheme item."""
    weight, floor, full = exact(rule.points), exact(rule.floor), exact(rule.full)
    return weight, floor, full, weight / (full - floor)


def _shrunk(k: Fraction, n: int, p0: Fraction, m: int) -> Fraction:
    """(k + m·p0)/(n + m), put together from whole numbers and reduced once rather than at each
    step: a street's assessment scores every item of every enterprise, and again per duty."""
    numerator = k.numerator * p0.denominator + m * p0.numerator * k.denominator
    return Fraction(numerator, k.denominator * p0.denominator * (n + m))


def rate_score(item: ServiceItem, rule: RateItem, counts: Counts, p0: Fraction | None) -> RateScore:
    """One service item's points (see the module docstring)."""
    k, n = counted(item, counts)
    m = rule.shrinkage
    if n == 0:
        rate = p0
    elif p0 is None or m == 0:
        rate = k / n
    else:
        rate = _shrunk(k, n, p0, m)
    weight, floor, full, per_rate = _bounds(rule)
    if rate is None or rate >= full:
        points = weight
    elif rate <= floor:
        points = Fraction(0)
    else:
        points = (rate - floor) * per_rate
    return RateScore(item, k, n, p0, m, rate, points)


def service_scores(scheme: AssessmentScheme, counts: Counts, rates: StreetRates) -> list[RateScore]:
    return [rate_score(item, scheme.service[item], counts, rates[item]) for item in ServiceItem]


@dataclass(frozen=True)
class ShareScore:
    """Joint-meeting attendance or tasks: done of recorded; with none recorded, full points."""

    done: int
    of: int
    points: Fraction


@dataclass(frozen=True)
class Participation:
    attendance: ShareScore
    tasks: ShareScore
    party: dict[PartyItem, bool]
    party_points: Fraction
    faults: dict[str, Fraction]  # spot-check points lost, by duty
    spot_check_points: Fraction
    bonus: Fraction
    vetoes: list[str]
    record_ids: list[int] = field(default_factory=list)

    @property
    def points(self) -> Fraction:
        return self.attendance.points + self.tasks.points + self.party_points + self.spot_check_points


def _share(weight: Fraction, yes: list[bool]) -> ShareScore:
    done = sum(yes)
    return ShareScore(done, len(yes), weight * Fraction(done, len(yes)) if yes else weight)


def participation(
    scheme: AssessmentScheme, records: RecordInputs, *, quarter: str, party_branch: bool
) -> Participation:
    """The governance dimension from the enterprise's counted records (see the module docstring)."""
    rules = scheme.participation
    this_quarter = [record for record in records.records if record.quarter == quarter]
    party: dict[PartyItem, bool] = {item: False for item in PartyItem}
    party[PartyItem.ORGANISATION] = party_branch
    # Earlier quarters first, then in the order recorded: the latest word on each item stands.
    for record in sorted(records.of(RecordKind.PARTY_BUILDING), key=lambda r: (r.quarter, r.id or 0)):
        if record.item in set(PartyItem) and record.yes is not None:
            party[PartyItem(record.item)] = record.yes
    faults: dict[str, Fraction] = {}
    bonus = Fraction(0)
    vetoes: list[str] = []
    meetings: list[bool] = []
    tasks: list[bool] = []
    for record in this_quarter:
        points = Fraction(record.points_tenths or 0, 10)
        if record.kind == RecordKind.MEETING:
            meetings.append(bool(record.yes))
        elif record.kind == RecordKind.TASK:
            tasks.append(bool(record.yes))
        elif record.kind == RecordKind.SPOT_CHECK:
            faults[record.item or ""] = faults.get(record.item or "", Fraction(0)) + points
        elif record.kind == RecordKind.COMMENDATION:
            bonus += points
        elif record.kind == RecordKind.VETO:
            vetoes.append(record.item or "")
    spot_full = exact(rules.spot_checks)
    return Participation(
        attendance=_share(exact(rules.attendance), meetings),
        tasks=_share(exact(rules.tasks), tasks),
        party=party,
        party_points=sum(
            (exact(rules.party_building[item]) for item, yes in party.items() if yes), Fraction(0)
        ),
        faults=faults,
        spot_check_points=max(spot_full - sum(faults.values(), Fraction(0)), Fraction(0)),
        bonus=min(bonus, exact(scheme.bonus_max)),
        vetoes=sorted(vetoes),
        record_ids=sorted(record.id or 0 for record in this_quarter),
    )


def rounded(total: Fraction) -> Decimal:
    """The total to 0.1, half up: the only rounding the assessment does."""
    tenths = (total / TENTH + Fraction(1, 2)).__floor__()
    return Decimal(tenths) / 10


@dataclass(frozen=True)
class EnterpriseScore:
    """One enterprise's quarter: both dimensions, its sample, its band and its lists."""

    enterprise_id: int
    name: str
    service: list[RateScore]
    by_duty: dict[str, list[RateScore]]
    participation: Participation
    answered: int
    cases: int
    insufficient: bool
    total: Fraction  # exact, capped
    score: Decimal  # the total rounded to 0.1
    stars: int
    red: bool = False
    black: bool = False

    @property
    def service_points(self) -> Fraction:
        return sum((item.points for item in self.service), Fraction(0))


def enterprise_score(
    scheme: AssessmentScheme,
    *,
    enterprise_id: int,
    name: str,
    counts: Counts,
    street: StreetRates,
    by_duty: dict[str, tuple[Counts, StreetRates]],
    governance: Participation,
) -> EnterpriseScore:
    """Score one enterprise; its place on the lists is set by :func:`place_on_lists`."""
    service = service_scores(scheme, counts, street)
    total = sum((item.points for item in service), Fraction(0)) + governance.points + governance.bonus
    total = min(total, exact(scheme.total_max))
    score = rounded(total)
    return EnterpriseScore(
        enterprise_id=enterprise_id,
        name=name,
        service=service,
        by_duty={duty: service_scores(scheme, own, pool) for duty, (own, pool) in sorted(by_duty.items())},
        participation=governance,
        answered=counts.answered,
        cases=counts.opened,
        insufficient=counts.answered < scheme.min_answered or counts.opened < scheme.min_cases,
        total=total,
        score=score,
        stars=scheme.bands.stars(score),
    )


def place_on_lists(scheme: AssessmentScheme, scores: list[EnterpriseScore]) -> list[EnterpriseScore]:
    """The scores ranked (enough data first, best first) with their red and black marks."""
    ranked = sorted(scores, key=lambda s: (s.insufficient, -s.score, -s.total, s.name, s.enterprise_id))
    red_candidates = [
        s
        for s in ranked
        if not s.insufficient and not s.participation.vetoes and s.score >= scheme.bands.five
    ]
    red = {s.enterprise_id for s in red_candidates[: scheme.red_list_size]}
    placed = []
    for s in ranked:
        black = bool(s.participation.vetoes) or (not s.insufficient and s.score < scheme.failing_below)
        placed.append(replace(s, red=s.enterprise_id in red, black=black))
    return placed
