"""What /ranking shows: a street's assessment of one quarter as the viewer may see it, in pages
of text under Telegram's limit, with the office's buttons, and the bars of its chart.

Callback data (handled in handlers/ranking.py unless said): ``rk:pg:<quarter>:<page>`` another
page, ``rk:q:<quarter>`` another quarter, ``rk:pub|fin:<quarter>`` ask to publish or finalise,
``rk:re:<quarter>`` run a final quarter again (asks for the reason: handlers/assessment_input.py);
the decisions on appeals and dismissals are the notices' own ``a:up|rj`` and ``d:ok|no``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.assessment import appeal_decision_data, dismissal_data
from handlers.outgoing.fitting import inline
from handlers.outgoing.scores import score_heading, status_line
from handlers.paging import with_page_buttons
from handlers.quarters import quarter_row
from handlers.ranking_chart import Bar
from locales.i18n import gettext as _
from models.assessment.access import RankingScope, ranking_scope
from models.assessment.compute import StreetAssessment
from models.assessment.lifecycle import assessment_view, open_appeals, quarter_in_view
from models.assessment.notices import open_proposals
from models.assessment.scheme import AssessmentScheme
from models.assessment.scoring import EnterpriseScore
from models.assessment.tables import Appeal, Assessment, AssessmentStatus, DismissalProposal
from models.directory.tables import Enterprise, Person, Street
from models.periods import Quarter

PREFIX = "rk"
PAGE_BUDGET = 3500  # characters of one page's lines, below Telegram's 4096 with the heading
DECISION_ROWS = 10  # appeals and proposals with buttons here; the rest are decided from their notices
APPEAL_SHOWN = 300  # characters of an appeal's text shown in the ranking


def page_data(quarter: Quarter, page: int) -> str:
    return f"{PREFIX}:pg:{quarter}:{page}"


def quarter_data(quarter: Quarter) -> str:
    return f"{PREFIX}:q:{quarter}"


def action_data(action: str, quarter: Quarter) -> str:
    return f"{PREFIX}:{action}:{quarter}"


@dataclass(frozen=True)
class Ranking:
    """One quarter of a street as one viewer sees it."""

    scope: RankingScope
    street: str
    quarter: Quarter
    scores: list[EnterpriseScore]  # ranked, those the viewer may see
    places: dict[int, int]  # enterprise id → its place in the whole street's ranking
    stored: Assessment | None
    quarter_over: bool
    appeals: list[tuple[Appeal, str]]  # with the enterprise's name; the office only
    proposals: list[tuple[DismissalProposal, str]]


async def _name(session: AsyncSession, enterprise_id: int) -> str:
    enterprise = await session.get(Enterprise, enterprise_id)
    return enterprise.name if enterprise is not None else "?"


async def read_ranking(
    *,
    session: AsyncSession,
    person: Person | None,
    quarter: Quarter | None,
    scheme: AssessmentScheme,
    tz: tzinfo,
    now: datetime,
) -> Ranking:
    """The ranking ``person`` may see (refused otherwise), of ``quarter`` or else the one in view."""
    scope = await ranking_scope(session=session, person=person)
    if quarter is None:
        quarter = await quarter_in_view(session=session, street_id=scope.street_id, now=now, tz=tz)
    view, stored = await assessment_view(
        session=session, street_id=scope.street_id, quarter=quarter, scheme=scheme, tz=tz
    )
    street = await session.get(Street, scope.street_id)
    appeals: list[tuple[Appeal, str]] = []
    proposals: list[tuple[DismissalProposal, str]] = []
    if scope.is_office:
        if stored is not None and stored.status == AssessmentStatus.PUBLISHED:
            for appeal in await open_appeals(session=session, assessment_id=stored.id or 0):
                appeals.append((appeal, await _name(session, appeal.enterprise_id)))
        for proposal in await open_proposals(
            session=session, street_id=scope.street_id, quarter=str(quarter)
        ):
            proposals.append((proposal, await _name(session, proposal.enterprise_id)))
    return Ranking(
        scope=scope,
        street=street.name if street is not None else "?",
        quarter=quarter,
        scores=_visible(view, scope),
        places={
            score.enterprise_id: place
            for place, score in enumerate((s for s in view.scores if not s.insufficient), start=1)
        },
        stored=stored,
        quarter_over=now >= quarter.bounds(tz)[1],
        appeals=appeals,
        proposals=proposals,
    )


def _visible(view: StreetAssessment, scope: RankingScope) -> list[EnterpriseScore]:
    if scope.enterprise_ids is None:
        return view.scores
    return [score for score in view.scores if score.enterprise_id in scope.enterprise_ids]


def _lines(ranking: Ranking, scheme: AssessmentScheme) -> list[str]:
    """Every line after the heading: the ranked, those apart, then the office's open business."""
    ranked = [score for score in ranking.scores if not score.insufficient]
    apart = [score for score in ranking.scores if score.insufficient]
    if not ranking.scores:
        return [_("No enterprise has cases, answers or records in this quarter.")]
    lines = [f"{ranking.places.get(score.enterprise_id, '?')}. {score_heading(score)}" for score in ranked]
    if apart:
        lines += [
            "",
            _("Not ranked: fewer than {answers} answered surveys or {cases} cases in the quarter.").format(
                answers=scheme.min_answered, cases=scheme.min_cases
            ),
        ]
        lines += [score_heading(score) for score in apart]
    if ranking.appeals:
        lines += ["", _("Open appeals: {count}").format(count=len(ranking.appeals))]
        for appeal, name in ranking.appeals:
            lines.append(f"• {name}: {inline(appeal.text, APPEAL_SHOWN)}")
    if ranking.proposals:
        lines += [
            "",
            _("Dismissal proposals waiting for your decision: {count}").format(count=len(ranking.proposals)),
        ]
        lines += [f"• {name}: {proposal.quarters.replace(',', ', ')}" for proposal, name in ranking.proposals]
    return lines


def ranking_pages(ranking: Ranking, scheme: AssessmentScheme) -> list[str]:
    """The ranking as messages: each the heading and as many lines as fit, a line never split."""
    heading = _("Assessment of {quarter}, {street}").format(quarter=ranking.quarter, street=ranking.street)
    heading += "\n" + status_line(ranking.stored, scheme)
    chunks: list[list[str]] = [[]]
    size = 0
    for line in _lines(ranking, scheme):
        if chunks[-1] and size + len(line) > PAGE_BUDGET:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    pages = []
    for number, chunk in enumerate(chunks):
        head = heading
        if len(chunks) > 1:
            head += "\n" + _("Page {page} of {pages}").format(page=number + 1, pages=len(chunks))
        pages.append(head + "\n\n" + "\n".join(chunk).strip("\n"))
    return pages


def _office_rows(ranking: Ranking) -> list[list[InlineKeyboardButton]]:
    quarter, stored = ranking.quarter, ranking.stored
    rows = []
    if stored is None:
        if ranking.quarter_over:
            rows.append([InlineKeyboardButton(_("Publish"), callback_data=action_data("pub", quarter))])
    elif stored.status == AssessmentStatus.FINALISED:
        rows.append([InlineKeyboardButton(_("Run again"), callback_data=action_data("re", quarter))])
    elif not ranking.appeals:  # published: final once every appeal is decided
        rows.append([InlineKeyboardButton(_("Finalise"), callback_data=action_data("fin", quarter))])
    for appeal, name in ranking.appeals[:DECISION_ROWS]:
        appeal_id = appeal.id or 0
        rows.append(
            [
                InlineKeyboardButton(
                    _("Uphold: {enterprise}").format(enterprise=name),
                    callback_data=appeal_decision_data(appeal_id, True),
                ),
                InlineKeyboardButton(
                    _("Reject: {enterprise}").format(enterprise=name),
                    callback_data=appeal_decision_data(appeal_id, False),
                ),
            ]
        )
    for proposal, name in ranking.proposals[:DECISION_ROWS]:
        proposal_id = proposal.id or 0
        rows.append(
            [
                InlineKeyboardButton(
                    _("Dismiss: {enterprise}").format(enterprise=name),
                    callback_data=dismissal_data(proposal_id, True),
                ),
                InlineKeyboardButton(
                    _("Keep: {enterprise}").format(enterprise=name),
                    callback_data=dismissal_data(proposal_id, False),
                ),
            ]
        )
    return rows


def ranking_keyboard(
    ranking: Ranking, page: int, pages: int, *, now: datetime, tz: tzinfo
) -> InlineKeyboardMarkup:
    """Pages, the quarters either side, and for the office: publish, finalise and the decisions."""
    after = [quarter_row(ranking.quarter, now=now, tz=tz, data=quarter_data)]
    if ranking.scope.is_office:
        after += _office_rows(ranking)
    return with_page_buttons([], page, pages, lambda other: page_data(ranking.quarter, other), after=after)


def chart_bars(ranking: Ranking, labels: dict[int, str], limit: int) -> list[Bar]:
    """The chart's bars: the first ``limit`` ranked, then those apart (up to the same limit in all)."""
    ordered = [s for s in ranking.scores if not s.insufficient] + [
        s for s in ranking.scores if s.insufficient
    ]
    return [
        Bar(
            label=labels.get(score.enterprise_id, score.name),
            score=float(score.score),
            stars=score.stars,
            sample=f"{score.answered} / {score.cases}",
            insufficient=score.insufficient,
        )
        for score in ordered[:limit]
    ]
