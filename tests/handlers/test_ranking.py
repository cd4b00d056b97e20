"""/ranking: the office sees the street's draft, publishes it once the quarter is over, finalises
it and runs it again with a reason; a committee member sees their communities' enterprises only."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from handlers.ranking_view import Ranking, ranking_pages
from locales.i18n import use_locale
from models.assessment.access import RankingScope
from models.assessment.compute import assess_street
from models.assessment.tables import AssessmentStatus
from models.base import utcnow
from models.outbox.kinds import OutboxKind
from models.periods import Quarter
from storage.database import Database
from tests.fakes.outbox import deliver_outbox
from tests.handlers.assessment_world import (
    ADMIN,
    COMMITTEE,
    NOT_OFFICE,
    RESIDENT,
    SCHEME,
    STAFF,
    assessments,
    forge,
    make_assessment_world,
)
from tests.handlers.test_cases import outbox
from tests.models.assessment.golden_street import Q3, SHANGHAI, GoldenStreet

A_LINE = "1. 海悦物业: 90.3 ★★★★★ (19 answers, 20 cases) — red list"
B_LINE = "2. 鑫海物业: 29.4 ★ (10 answers, 10 cases) — black list"
APART = "Not ranked: fewer than 10 answered surveys or 10 cases in the quarter."
HEADING = "Assessment of 2026Q3, 灵山卫街道"
DRAFT = "Draft: computed from the data as it stands now; not published."
C_LINE = "华庭物业: 81.0 ★★★★ (3 answers, 3 cases) — insufficient data, not ranked, black list"


@pytest.fixture
async def street(app_db: Database) -> GoldenStreet:
    return await make_assessment_world(app_db)


async def test_the_office_sees_the_draft_publishes_and_finalises(
    app: RedPropApplication, street: GoldenStreet, chat: Any, telegram: FakeTelegram, app_db: Database
) -> None:
    office = chat(ADMIN)
    [text] = await office.send("/ranking 2026Q3")
    assert text == "\n".join(
        [
            HEADING,
            DRAFT,
            "",
            A_LINE,
            B_LINE,
            "",
            APART,
            C_LINE,
        ]
    )
    assert len(telegram.calls_of("sendPhoto", ADMIN.id)) == 1  # the chart
    assert office.buttons() == {
        "◀ 2026Q2": "rk:q:2026Q2",
        "2026Q4 ▶": "rk:q:2026Q4",
        "Publish": "rk:pub:2026Q3",
    }

    # The current quarter is not over: no Publish button, and a forged one is refused.
    current = Quarter.of(utcnow(), SHANGHAI)
    await office.tap(f"rk:q:{current}")
    assert "Publish" not in office.buttons()
    said = await forge(office, f"rk:P:{current}")
    assert said[0] == f"{current} is not over yet; it can be published once it has ended."
    # Nor can anyone but the office publish.
    assert await forge(chat(COMMITTEE), "rk:pub:2026Q3") == [NOT_OFFICE]
    assert (await forge(chat(STAFF), "rk:P:2026Q3"))[0] == NOT_OFFICE
    assert await assessments(app_db) == []

    await office.send("/ranking 2026Q3")
    said = await office.tap("rk:pub:2026Q3")
    assert said[-1] == (
        "Publish the assessment of 2026Q3? Each enterprise's staff are told their score, and may appeal "
        "within 7 days."
    )
    said = await office.tap("rk:P:2026Q3")
    assert re.fullmatch(r"The assessment of 2026Q3 is published\. Enterprises may appeal until .+\.", said[0])
    [published] = await assessments(app_db)
    assert (published.quarter, published.revision, published.status) == (
        "2026Q3",
        1,
        AssessmentStatus.PUBLISHED,
    )
    told = await outbox(app_db, OutboxKind.ASSESSMENT_PUBLISHED)
    assert len(told) == 1  # 海悦物业's one staff member (the others have none)
    await deliver_outbox(app)
    assert telegram.texts_to(STAFF.id)[-1].startswith(
        "The assessment of 2026Q3 is published.\n海悦物业: 90.3"
    )
    assert await forge(office, "rk:P:2026Q3") == [
        "2026Q3 is published already.",
        "2026Q3 is published already.",
    ]

    [text] = await office.send("/ranking 2026Q3")
    assert text.splitlines()[1].startswith("Published on ")
    assert "revision 1; appeals are open until" in text.splitlines()[1]
    assert office.buttons()["Finalise"] == "rk:fin:2026Q3"
    said = await office.tap("rk:fin:2026Q3")
    assert said[-1].startswith("Finalise the assessment of 2026Q3?")
    said = await office.tap("rk:F:2026Q3")
    assert said[0] == "The assessment of 2026Q3 is final (revision 1)."
    [final] = await assessments(app_db)
    assert (final.status, final.finalised_by) == (AssessmentStatus.FINALISED, street.admin.id)

    [text] = await office.send("/ranking 2026Q3")
    assert text.splitlines()[1].startswith("Final, revision 1, finalised on ")
    assert office.buttons()["Run again"] == "rk:re:2026Q3"
    # Finalising a final quarter again needs the reason: a new revision, the old one kept.
    assert (await forge(office, "rk:F:2026Q3"))[
        0
    ] == "2026Q3 is final already; to run it again, give the reason."
    said = await office.tap("rk:re:2026Q3")
    assert said[-1].startswith("2026Q3 is final. To run it again as a new revision, send the reason")
    assert await office.send("A spot check was entered late.") == [
        "2026Q3 is final again, as revision 2; the earlier revision is kept."
    ]
    first, second = await assessments(app_db)
    assert (first.revision, second.revision, second.reason) == (1, 2, "A spot check was entered late.")
    assert {first.status, second.status} == {AssessmentStatus.FINALISED}
    [text] = await office.send("/ranking 2026Q3")
    assert "Final, revision 2, finalised on " in text
    assert "Run again because: A spot check was entered late." in text


async def test_a_committee_member_sees_only_their_communities_enterprises(
    app: RedPropApplication, street: GoldenStreet, chat: Any, telegram: FakeTelegram
) -> None:
    [text] = await chat(COMMITTEE).send("/ranking 2026Q3")
    # 鑫海物业 keeps its place in the street's ranking.
    assert text == f"{HEADING}\n{DRAFT}\n\n{B_LINE}"
    assert set(chat(COMMITTEE).buttons()) == {"◀ 2026Q2", "2026Q4 ▶"}  # nothing to publish or decide
    assert len(telegram.calls_of("sendPhoto", COMMITTEE.id)) == 1


async def test_an_unknown_or_malformed_quarter_and_people_without_a_ranking_are_refused(
    app: RedPropApplication, street: GoldenStreet, chat: Any, telegram: FakeTelegram
) -> None:
    office = chat(ADMIN)
    malformed = "Write the quarter like 2026Q3: a year from 2000 to 2100, Q, and 1 to 4."
    assert await office.send("/ranking 2026Q5") == [malformed]
    assert await office.send("/ranking 1999Q1") == [malformed]
    assert await office.send("/ranking soon") == [malformed]
    later = Quarter.of(utcnow(), SHANGHAI).next
    assert await office.send(f"/ranking {later}") == [f"{later} has not begun yet."]
    scores_refusal = "The scores are for the street property office and the community party committees."
    assert await chat(RESIDENT).send("/ranking 2026Q3") == [scores_refusal]
    assert await chat(STAFF).send("/ranking") == [scores_refusal]
    assert telegram.calls_of("sendPhoto") == []


async def test_a_long_ranking_comes_in_pages_within_telegrams_limit(app_db: Database) -> None:
    street = await make_assessment_world(app_db)
    async with app_db.read() as session:
        view = await assess_street(
            session=session, street_id=street.street, quarter=Q3, scheme=SCHEME, tz=SHANGHAI
        )
    many = [
        replace(view.scores[number % 3], enterprise_id=number, name=f"物业服务有限公司第{number}号" * 3)
        for number in range(1, 301)
    ]
    ranking = Ranking(
        scope=RankingScope(street.street, None, True),
        street="灵山卫街道",
        quarter=Q3,
        scores=many,
        places={score.enterprise_id: place for place, score in enumerate(many, start=1)},
        stored=None,
        quarter_over=True,
        appeals=[],
        proposals=[],
    )
    with use_locale("en"):
        pages = ranking_pages(ranking, SCHEME)
    assert len(pages) > 1
    assert all(len(page) <= 4096 for page in pages)
    assert pages[1].startswith(f"{HEADING}\n{DRAFT}\nPage 2 of {len(pages)}\n\n")
    shown = "\n".join(pages)
    assert all(f"物业服务有限公司第{number}号" in shown for number in range(1, 301))
