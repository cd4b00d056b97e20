"""``redprop assess --explain CODE``: one enterprise's score item by item, with the case numbers and
answers behind every count and the governance records counted (models/assessment/explain.py).

As text for people (✓ a success, ½ half of one, ✗ in n only), or JSON and CSV for programs
(fixed English keys, exact fractions, times in ISO 8601 in the bot's time zone).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from bot.assess_render import Shown, enterprise_record, fraction, heading, veto_names
from handlers.outgoing.scores import points_text, record_what, score_heading
from handlers.outgoing.surveys import SOLVED_LABELS
from locales.i18n import format_time, percent
from locales.i18n import gettext as _
from models.assessment.explain import Behind, CountedAnswer, CountedCase, CountedRecord, Explanation
from models.assessment.reports import ATTENDANCE, PARTY_BUILDING, SPOT_CHECKS, TASKS
from models.assessment.scheme import (
    PARTY_ITEM_NAMES,
    SERVICE_ITEM_NAMES,
    AssessmentScheme,
    ServiceItem,
    exact,
)
from models.assessment.scoring import RateScore, ShareScore
from models.cases.categories import DUTY_NAMES, ServiceDuty

MARKS = {Fraction(1): "✓", Fraction(1, 2): "½", Fraction(0): "✗"}


def count_text(value: Fraction) -> str:
    """A count of successes: whole, or with the half a partly solved case adds."""
    return (
        str(value.numerator) if value.denominator == 1 else str(Decimal(value.numerator) / value.denominator)
    )


def _rate(value: Fraction | None) -> str:
    return percent(float(value) if value is not None else None)


def _time(moment: datetime | None) -> str:
    return format_time(moment, "yyyy-MM-dd HH:mm") if moment is not None else "-"


def duty_name(duty: str) -> str:
    return _(DUTY_NAMES[ServiceDuty(duty)]) if duty in set(ServiceDuty) else duty


def item_line(item: RateScore, maximum: Fraction) -> str:
    """``Satisfaction: 18 of 19 (94.7%); street 84.4%, m = 10: rate 91.2% → 22.3 of 25 points``."""
    name = _(SERVICE_ITEM_NAMES[item.item])
    if item.rate is None:
        return _(
            "{item}: nothing to count in the whole street this quarter → {points} of {maximum} points"
        ).format(item=name, points=points_text(item.points), maximum=points_text(maximum))
    return _(
        "{item}: {k} of {n} ({own}); street {street}, m = {m}: rate {rate} → {points} of {maximum} points"
    ).format(
        item=name,
        k=count_text(item.successes),
        n=item.count,
        own=_rate(item.own_rate),
        street=_rate(item.street_rate),
        m=item.shrinkage,
        rate=_rate(item.rate),
        points=points_text(item.points),
        maximum=points_text(maximum),
    )


def evidence_line(item: ServiceItem, behind: Behind) -> str:
    """One case behind an item: its number, what counted, and the mark."""
    row, mark = behind.row, MARKS.get(behind.success, str(behind.success))
    if isinstance(row, CountedAnswer):
        where = _("{number} (round {round}, answered {time})").format(
            number=row.number, round=row.round, time=_time(row.answered_at)
        )
        if item == ServiceItem.SATISFACTION:
            what = _("{stars} stars").format(stars=row.stars)
        elif item == ServiceItem.RESOLUTION:
            what = _(SOLVED_LABELS[row.solved]) if row.solved is not None else "-"
        else:
            what = _("willing to pay: {answer}").format(answer=_("yes") if row.willing else _("no"))
        return f"    {mark} " + _("{case}: {what}").format(case=where, what=what)
    if item == ServiceItem.ON_TIME:
        what = _("due {due}, resolved {resolved}").format(
            due=_time(row.resolution_due_at), resolved=_time(row.resolved_at)
        )
    else:
        what = _("opened {opened}, response due {due}, first response {first}").format(
            opened=_time(row.created_at), due=_time(row.response_due_at), first=_time(row.first_response_at)
        )
    return f"    {mark} " + _("{case}: {what}").format(case=row.number, what=what)


def _record_text(counted: CountedRecord) -> str:
    record = counted.record
    line = _("#{id} {quarter} {what}; recorded by {recorder} on {time}").format(
        id=record.id,
        quarter=record.quarter,
        what=record_what(record),
        recorder=counted.recorded_by,
        time=_time(record.recorded_at),
    )
    if counted.decided_by is not None:
        line += "; " + _("approved by {name} on {time}").format(
            name=counted.decided_by, time=_time(record.decided_at)
        )
    return f"  {line}" + (f" — {record.note}" if record.note else "")


def _changes(explanation: Explanation) -> list[str]:
    if not explanation.changed:
        return []
    parts = [
        _("{item}: {k_then} of {n_then} then, {k_now} of {n_now} now").format(
            item=_(SERVICE_ITEM_NAMES[change.item]),
            k_then=count_text(change.then[0]),
            n_then=change.then[1],
            k_now=count_text(change.now[0]),
            n_now=change.now[1],
        )
        for change in explanation.changes
    ]
    if explanation.records_added:
        parts.append(_("records counted now, not then: {ids}").format(ids=_ids(explanation.records_added)))
    if explanation.records_removed:
        parts.append(_("records counted then, not now: {ids}").format(ids=_ids(explanation.records_removed)))
    return [_("The data changed since finalisation: {changes}.").format(changes="; ".join(parts))]


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{value}" for value in ids)


def _governance_lines(explanation: Explanation, scheme: AssessmentScheme) -> list[str]:
    """The participation items, the bonus and any veto event."""
    score = explanation.score
    part, rules = score.participation, scheme.participation
    nothing = _("none recorded: full points")

    def share(name: str, done: ShareScore, maximum: Decimal) -> str:
        text = _("{item}: {done} of {of} → {points} of {maximum}").format(
            item=_(name),
            done=done.done,
            of=done.of,
            points=points_text(done.points),
            maximum=points_text(exact(maximum)),
        )
        return f"  {text}" + ("" if done.of else f" ({nothing})")

    def points(name: str, got: Fraction, maximum: Fraction, detail: str) -> str:
        text = _("{item}: {points} of {maximum}").format(
            item=_(name), points=points_text(got), maximum=points_text(maximum)
        )
        return f"  {text}" + (f" ({detail})" if detail else "")

    party = "; ".join(
        f"{_(PARTY_ITEM_NAMES[i])}: {_('yes') if yes else _('no')}" for i, yes in part.party.items()
    )
    faults = ", ".join(f"{duty_name(duty)} {points_text(lost)}" for duty, lost in part.faults.items())
    party_maximum = sum(map(exact, rules.party_building.values()), Fraction(0))
    lines = [
        _("Participation: {points} of {maximum}").format(
            points=points_text(part.points), maximum=points_text(exact(scheme.participation_points))
        ),
        share(ATTENDANCE, part.attendance, rules.attendance),
        share(TASKS, part.tasks, rules.tasks),
        points(PARTY_BUILDING, part.party_points, party_maximum, party),
        points(SPOT_CHECKS, part.spot_check_points, exact(rules.spot_checks), faults),
        _("Bonus: {points} (at most {maximum})").format(
            points=points_text(part.bonus), maximum=points_text(exact(scheme.bonus_max))
        ),
    ]
    if part.vetoes:
        lines.append(_("Veto events: {events}").format(events=", ".join(veto_names(score))))
    return lines


def render_explanation(shown: Shown, explanation: Explanation) -> str:
    """The whole explanation as text (see the module docstring)."""
    score, scheme = explanation.score, shown.scheme
    lines = [
        heading(shown),
        "",
        f"{score_heading(score)} [{explanation.enterprise.code}]",
        *_changes(explanation),
    ]
    lines += [
        "",
        _("Service level: {points} of {maximum}").format(
            points=points_text(score.service_points), maximum=points_text(exact(scheme.service_points))
        ),
        _("✓ a success, ½ half of one, ✗ counted in n only."),
    ]
    for item in score.service:
        lines.append("  " + item_line(item, exact(scheme.service[item.item].points)))
        lines += [evidence_line(item.item, behind) for behind in explanation.behind(item.item)]
    if score.by_duty:
        lines += ["", _("By duty:")]
        for duty, items in score.by_duty.items():
            lines.append("  " + duty_name(duty))
            lines += ["    " + item_line(i, exact(scheme.service[i.item].points)) for i in items]
    lines += ["", *_governance_lines(explanation, scheme)]
    lines.append(
        _("Total: {score} (exactly {total})").format(score=f"{score.score:.1f}", total=fraction(score.total))
    )
    lines += ["", _("Records counted:")]
    lines += [_record_text(record) for record in explanation.records] or ["  -"]
    return "\n".join(lines)


def _iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


def _evidence(behind: Behind, tz: tzinfo) -> dict[str, Any]:
    row = behind.row
    common = {"case": row.number, "duty": row.duty, "success": fraction(behind.success)}
    if isinstance(row, CountedAnswer):
        return common | {
            "round": row.round,
            "answered_at": _iso(row.answered_at, tz),
            "stars": row.stars,
            "solved": row.solved.value if row.solved is not None else None,
            "willing_to_pay": row.willing,
        }
    assert isinstance(row, CountedCase)
    return common | {
        "created_at": _iso(row.created_at, tz),
        "response_due_at": _iso(row.response_due_at, tz),
        "first_response_at": _iso(row.first_response_at, tz),
        "resolution_due_at": _iso(row.resolution_due_at, tz),
        "resolved_at": _iso(row.resolved_at, tz),
    }


def _record(counted: CountedRecord, tz: tzinfo) -> dict[str, Any]:
    record = counted.record
    return {
        "id": record.id,
        "quarter": record.quarter,
        "kind": record.kind.value,
        "item": record.item,
        "yes": record.yes,
        "points": fraction(Fraction(record.points_tenths, 10)) if record.points_tenths is not None else None,
        "note": record.note,
        "recorded_by": counted.recorded_by,
        "recorded_at": _iso(record.recorded_at, tz),
        "approved_by": counted.decided_by,
        "approved_at": _iso(record.decided_at, tz),
    }


def explanation_document(shown: Shown, explanation: Explanation, tz: tzinfo) -> dict[str, Any]:
    score = explanation.score
    rank = next((rank for rank, s in shown.ranked() if s.enterprise_id == score.enterprise_id), None)
    return {
        "quarter": explanation.quarter,
        "street": {"code": shown.street.code, "name": shown.street.name},
        "view": "final" if explanation.final else "draft",
        "revision": explanation.stored.revision if explanation.stored is not None else None,
        "scheme_version": shown.scheme.version,
        "enterprise": enterprise_record(rank, score, explanation.enterprise.code),
        "behind": {
            item.value: [_evidence(behind, tz) for behind in explanation.behind(item)] for item in ServiceItem
        },
        "records": [_record(record, tz) for record in explanation.records],
        "changed_since_final": {
            "items": {
                change.item.value: {
                    "then": {"k": fraction(change.then[0]), "n": change.then[1]},
                    "now": {"k": fraction(change.now[0]), "n": change.now[1]},
                }
                for change in explanation.changes
            },
            "records_added": explanation.records_added,
            "records_removed": explanation.records_removed,
        },
    }


def render_explanation_json(shown: Shown, explanation: Explanation, tz: tzinfo) -> str:
    return json.dumps(explanation_document(shown, explanation, tz), ensure_ascii=False, indent=2)


EVIDENCE_KEYS = [
    "item",
    "case",
    "duty",
    "success",
    "round",
    "answered_at",
    "stars",
    "solved",
    "willing_to_pay",
    "created_at",
    "response_due_at",
    "first_response_at",
    "resolution_due_at",
    "resolved_at",
]


def render_explanation_csv(explanation: Explanation, tz: tzinfo) -> str:
    """One row per case behind each item (a case behind several items has a row for each)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVIDENCE_KEYS, lineterminator="\n")
    writer.writeheader()
    for item in ServiceItem:
        for behind in explanation.behind(item):
            row = {"item": item.value} | _evidence(behind, tz)
            writer.writerow({key: _csv_value(row.get(key)) for key in EVIDENCE_KEYS})
    return out.getvalue().rstrip("\n")


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value
