"""A final quarter's red list proposes reward drafts, once per enterprise and quarter, in the
name of the enterprise's instructor; before the quarter is final nothing is proposed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from handlers.outgoing import render_outbox
from locales.i18n import use_locale
from models.assessment.lifecycle import assessment_view, finalise_assessment, publish_assessment
from models.assessment.scheme import AssessmentScheme
from models.directory.tables import Person
from models.fund.proposals import NOT_FINAL, propose_red_list_rewards
from models.fund.tables import FundApplication, FundStatus, FundType
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.refusal import Refused
from storage.database import Database
from tests.models.assessment.golden_street import (
    AFTER,
    Q3,
    SHANGHAI,
    build_golden_street,
    record_golden_governance,
)

SCHEME = AssessmentScheme()


async def test_the_red_list_proposes_reward_drafts_once(db: Database) -> None:
    street = await build_golden_street(db)
    await record_golden_governance(db, street, SCHEME)
    arguments: dict[str, Any] = {"street_id": street.street, "quarter": Q3, "scheme": SCHEME, "tz": SHANGHAI}
    propose: dict[str, Any] = {
        **arguments,
        "amount_fen": 10_000_00,
        "purpose": "Red list reward for {enterprise}, {quarter}",
    }
    async with db.write() as session:
        with pytest.raises(Refused) as refused:
            await propose_red_list_rewards(session=session, admin=street.admin, now=AFTER, **propose)
        assert refused.value.message == NOT_FINAL
        await publish_assessment(session=session, admin=street.admin, now=AFTER, **arguments)
        await finalise_assessment(session=session, admin=street.admin, now=AFTER, **arguments)
        view, _stored = await assessment_view(session=session, **arguments)
        red = [score.enterprise_id for score in view.scores if score.red]
        drafts = await propose_red_list_rewards(session=session, admin=street.admin, now=AFTER, **propose)
        again = await propose_red_list_rewards(session=session, admin=street.admin, now=AFTER, **propose)
    assert red == [street.a]  # the only red-list enterprise, and the one with an instructor
    [draft] = drafts
    assert again == []
    assert (draft.fund_type, draft.status, draft.amount_fen, draft.applicant_id) == (
        FundType.REWARD,
        FundStatus.DRAFT,
        10_000_00,
        street.instructor.id,
    )
    assert draft.purpose == "Red list reward for 海悦物业, 2026Q3"
    async with db.read() as session:
        assert len(list(await session.exec(select(FundApplication)))) == 1
        told = list(
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.FUND_DECIDED))
        )
    # The instructor is told of the draft in their name, once.
    assert [(row.recipient_id, row.parameters()["application_id"]) for row in told] == [
        (street.instructor.id, draft.id)
    ]
    async with db.read() as session:
        recipient = await session.get(Person, street.instructor.id)
        assert recipient is not None
        with use_locale("en"):
            [shown] = await render_outbox(session=session, message=told[0], recipient=recipient, now=AFTER)
    assert shown.text.startswith(
        f"The street property office drafted a red list reward in your name: fund application #{draft.id}, "
        "10,000.00 yuan."
    )
    assert shown.reply_markup is not None and "Submit" in str(shown.reply_markup)
