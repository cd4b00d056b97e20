"""``redprop assess`` output: a street's quarter as a table for people, or CSV and JSON for programs.

The table has translated headers, scores rounded to 0.1 and the enterprises without enough data
apart; CSV and JSON have fixed English keys and every number exact, as a fraction string
(``423/464``, which reads back with :class:`fractions.Fraction`), beside the rounded score.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from bot.text_table import table_lines
from handlers.outgoing.scores import stars
from locales.i18n import N_, format_time
from locales.i18n import gettext as _
from models.assessment.compute import StreetAssessment
from models.assessment.scheme import AssessmentScheme
from models.assessment.scoring import EnterpriseScore, RateScore, rounded
from models.assessment.tables import VETO_NAMES, Assessment, AssessmentStatus, VetoEvent
from models.directory.tables import Street

COLUMNS = [
    N_("Rank"),
    N_("Enterprise"),
    N_("Stars"),
    N_("Score"),
    N_("Service"),
    N_("Participation"),
    N_("Bonus"),
    N_("Answers"),
    N_("Cases"),
    N_("Lists"),
]


@dataclass(frozen=True)
class Shown:
    """What ``redprop assess`` shows: the quarter's final snapshot, or a draft computed now."""

    street: Street
    assessment: StreetAssessment
    stored: Assessment | None  # the published or finalised assessment, if any
    scheme: AssessmentScheme  # the scheme the numbers were computed with
    codes: dict[int, str]  # enterprise codes by id

    @property
    def final(self) -> bool:
        return self.stored is not None and self.stored.status == AssessmentStatus.FINALISED

    def ranked(self) -> list[tuple[int | None, EnterpriseScore]]:
        """Each score with its rank; None for those without enough data, which are not ranked."""
        ranks = iter(range(1, len(self.assessment.scores) + 1))
        return [(None if s.insufficient else next(ranks), s) for s in self.assessment.scores]


def fraction(value: Fraction | None) -> str | None:
    """An exact number as ``numerator/denominator`` (a whole number alone), or None."""
    return None if value is None else str(value)


def tenths(points: Fraction) -> str:
    """Points to 0.1 (the one rounding, :func:`rounded`), always with the tenth, for columns."""
    return f"{rounded(points):.1f}"


def heading(shown: Shown) -> str:
    """Which assessment this is: final (its revision) or a draft, and the scheme's version."""
    names = {"quarter": shown.assessment.quarter, "street": shown.street.name, "scheme": shown.scheme.version}
    stored = shown.stored
    if stored is not None and shown.final:
        text = _(
            "Assessment of {quarter}, {street}: final, revision {revision}, finalised on {time} "
            "(scheme {scheme})."
        ).format(
            revision=stored.revision, time=format_time(stored.finalised_at or stored.published_at), **names
        )
        return text + (
            "\n" + _("Run again because: {reason}").format(reason=stored.reason) if stored.reason else ""
        )
    if stored is not None:
        return _(
            "Assessment of {quarter}, {street}: a draft computed from the data now (scheme {scheme}); "
            "published on {time}, not final yet."
        ).format(time=format_time(stored.published_at), **names)
    return _(
        "Assessment of {quarter}, {street}: a draft computed from the data now (scheme {scheme}); "
        "not published yet."
    ).format(**names)


def veto_names(score: EnterpriseScore) -> list[str]:
    return [_(VETO_NAMES[VetoEvent(v)]) if v in set(VetoEvent) else v for v in score.participation.vetoes]


def lists_text(score: EnterpriseScore) -> str:
    marks = [_("red list")] if score.red else []
    if score.black:
        vetoes = veto_names(score)
        marks.append(_("black list") + (f" ({', '.join(vetoes)})" if vetoes else ""))
    return ", ".join(marks)


def _row(rank: int | None, score: EnterpriseScore) -> list[str]:
    part = score.participation
    return [
        str(rank) if rank is not None else "-",
        score.name,
        stars(score.stars),
        f"{score.score:.1f}",
        tenths(score.service_points),
        tenths(part.points),
        tenths(part.bonus),
        str(score.answered),
        str(score.cases),
        lists_text(score),
    ]


def render_table(shown: Shown) -> str:
    """The heading, then the ranking, then the enterprises without enough data apart."""
    ranked = shown.ranked()
    if not ranked:
        return heading(shown) + "\n" + _("No enterprise is assessed in this street.")
    lines = table_lines(
        [_(title) for title in COLUMNS], [_row(rank, s) for rank, s in ranked], left=frozenset({1, 2, 9})
    )
    count = 2 + sum(1 for rank, _score in ranked if rank is not None)
    apart = lines[count:]
    if apart:
        note = _("Not ranked, too little data (fewer than {answers} answers or {cases} cases):").format(
            answers=shown.scheme.min_answered, cases=shown.scheme.min_cases
        )
        lines = [*lines[:count], "", note, *apart]
    return "\n".join([heading(shown), "", *lines])


def _item(item: RateScore) -> dict[str, Any]:
    return {
        "k": fraction(item.successes),
        "n": item.count,
        "own_rate": fraction(item.own_rate),
        "street_rate": fraction(item.street_rate),
        "m": item.shrinkage,
        "rate": fraction(item.rate),
        "points": fraction(item.points),
    }


def enterprise_record(rank: int | None, score: EnterpriseScore, code: str) -> dict[str, Any]:
    """One enterprise with fixed English keys, every number exact (see the module docstring)."""
    part = score.participation
    return {
        "rank": rank,
        "code": code,
        "name": score.name,
        "stars": score.stars,
        "score": f"{score.score:.1f}",
        "total": fraction(score.total),
        "service": fraction(score.service_points),
        "participation": fraction(part.points),
        "bonus": fraction(part.bonus),
        "answered": score.answered,
        "cases": score.cases,
        "insufficient": score.insufficient,
        "red": score.red,
        "black": score.black,
        "vetoes": list(part.vetoes),
        "items": {item.item.value: _item(item) for item in score.service},
        "attendance": {
            "done": part.attendance.done,
            "of": part.attendance.of,
            "points": fraction(part.attendance.points),
        },
        "tasks": {"done": part.tasks.done, "of": part.tasks.of, "points": fraction(part.tasks.points)},
        "party_building": {
            "items": {item.value: yes for item, yes in part.party.items()},
            "points": fraction(part.party_points),
        },
        "spot_checks": {
            "faults": {duty: fraction(points) for duty, points in part.faults.items()},
            "points": fraction(part.spot_check_points),
        },
        "by_duty": {duty: {i.item.value: _item(i) for i in items} for duty, items in score.by_duty.items()},
    }


def document(shown: Shown) -> dict[str, Any]:
    """The whole assessment for JSON: which one it is, then every enterprise in rank order."""
    stored = shown.stored
    return {
        "quarter": shown.assessment.quarter,
        "street": {"code": shown.street.code, "name": shown.street.name},
        "view": "final" if shown.final else "draft",
        "status": stored.status.value if stored is not None else None,
        "revision": stored.revision if stored is not None else None,
        "reason": stored.reason if stored is not None else None,
        "scheme_version": shown.scheme.version,
        "enterprises": [
            enterprise_record(rank, score, shown.codes.get(score.enterprise_id, ""))
            for rank, score in shown.ranked()
        ],
    }


def render_json(shown: Shown) -> str:
    return json.dumps(document(shown), ensure_ascii=False, indent=2)


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested keys joined by ``_`` (``items_satisfaction_k``); lists joined by ``;``."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}_"))
        elif isinstance(value, list):
            flat[prefix + key] = ";".join(value)
        elif isinstance(value, bool):
            flat[prefix + key] = "true" if value else "false"
        else:
            flat[prefix + key] = "" if value is None else value
    return flat


def render_csv(shown: Shown) -> str:
    """One row per enterprise, in rank order; the per-duty numbers are in the JSON only."""
    head = document(shown)
    rows = []
    for record in head.pop("enterprises"):
        record.pop("by_duty")
        # Party-building items and faults are keyed by the scheme's items and duties, so every
        # row has the same columns: the items are fixed, the faults go in as one field.
        faults = record["spot_checks"].pop("faults")
        record["spot_checks"]["faults"] = [f"{duty}={points}" for duty, points in sorted(faults.items())]
        rows.append(
            _flat(
                {key: head[key] for key in ("quarter", "street", "view", "revision", "scheme_version")}
                | record
            )
        )
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")
