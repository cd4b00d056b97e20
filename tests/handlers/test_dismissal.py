"""The three-quarter rule in the chat: finalising a third failing quarter proposes a dismissal,
which the office confirms with a note from the notice or from /ranking; a forged press changes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import col, select

from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from models.assessment.compute import assess_street, to_snapshot
from models.assessment.lifecycle import finalise_assessment, publish_assessment
from models.assessment.tables import Assessment, AssessmentStatus, DismissalProposal, ProposalStatus
from models.base import utcnow
from storage.database import Database
from tests.fakes.outbox import deliver_outbox
from tests.handlers.assessment_world import ADMIN, COMMITTEE, NOT_OFFICE, SCHEME, forge, make_assessment_world
from tests.models.assessment.golden_street import Q3, SHANGHAI, GoldenStreet


async def fail_three_quarters(db: Database, street: GoldenStreet) -> DismissalProposal:
    """2026Q1 and Q2 finalised as Q3 scored (鑫海物业 under 60), then Q3 published and finalised."""
    async with db.write() as session:
        view = await assess_street(
            session=session, street_id=street.street, quarter=Q3, scheme=SCHEME, tz=SHANGHAI
        )
        for quarter in ("2026Q1", "2026Q2"):
            session.add(
                Assessment(
                    street_id=street.street,
                    quarter=quarter,
                    revision=1,
                    status=AssessmentStatus.FINALISED,
                    scheme_version=SCHEME.version,
                    snapshot=to_snapshot(replace(view, quarter=quarter), SCHEME),
                    published_at=utcnow(),
                    finalised_at=utcnow(),
                )
            )
        arguments: dict[str, Any] = {
            "street_id": street.street,
            "quarter": Q3,
            "scheme": SCHEME,
            "tz": SHANGHAI,
        }
        await publish_assessment(session=session, admin=street.admin, now=utcnow(), **arguments)
        await finalise_assessment(session=session, admin=street.admin, now=utcnow(), **arguments)
        proposals = list(await session.exec(select(DismissalProposal).order_by(col(DismissalProposal.id))))
    [proposal] = proposals
    assert (proposal.enterprise_id, proposal.quarters) == (street.b, "2026Q1,2026Q2,2026Q3")
    return proposal


async def test_the_office_confirms_a_dismissal_with_a_note(
    app: RedPropApplication, app_db: Database, chat: Any, telegram: FakeTelegram
) -> None:
    street = await make_assessment_world(app_db)
    proposal = await fail_three_quarters(app_db, street)
    await deliver_outbox(app)
    office = chat(ADMIN)
    assert office.buttons() == {"Confirm dismissal": f"d:ok:{proposal.id}", "Reject": f"d:no:{proposal.id}"}
    [ranking] = await office.send("/ranking 2026Q3")
    assert "Dismissal proposals waiting for your decision: 1\n• 鑫海物业: 2026Q1, 2026Q2, 2026Q3" in ranking
    assert office.buttons()["Dismiss: 鑫海物业"] == f"d:ok:{proposal.id}"
    assert await forge(chat(COMMITTEE), f"d:ok:{proposal.id}") == [NOT_OFFICE]

    said = await office.tap(f"d:ok:{proposal.id}")
    assert said[-1] == (
        "Confirm the dismissal of 鑫海物业 (2026Q1, 2026Q2, 2026Q3)?\n\n"
        "Send your note (required). /cancel leaves the proposal open."
    )
    assert await office.send("/cancel") == ["Cancelled. Nothing was changed."]
    await office.tap(f"d:ok:{proposal.id}")
    said = await office.send("Three quarters under 60; the owners' committee agrees.")
    assert said == [
        "The dismissal of 鑫海物业 is confirmed. Everyone concerned is told, and the bad-credit report "
        "comes to you."
    ]
    async with app_db.read() as session:
        decided = await session.get(DismissalProposal, proposal.id)
    assert decided is not None
    assert (decided.status, decided.note) == (
        ProposalStatus.CONFIRMED,
        "Three quarters under 60; the owners' committee agrees.",
    )
    await deliver_outbox(app)
    [report] = telegram.calls_of("sendDocument", ADMIN.id)
    assert report.params["caption"] == "The report for Shandong's property-service bad-credit system."
    assert await office.tap(f"d:no:{proposal.id}") == [
        "There is no such dismissal proposal waiting for a decision."
    ]
