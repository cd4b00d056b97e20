"""Whatever people type, up to the input limits, the messages fit Telegram and keep their shape.

Hypothesis writes descriptions, names, notes and comments (newlines, right-to-left overrides,
characters outside the BMP included); every message must stay within Telegram's 4,096 UTF-16
units, and no typed text may add a line that reads as one of the card's field labels.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from handlers.outgoing.cards import case_card
from handlers.outgoing.fitting import BAR, TEXT_LIMIT, block, inline, length
from handlers.outgoing.surveys import survey_message
from locales.i18n import use_locale
from models.base import utcnow
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind
from models.directory.tables import Person
from models.surveys.tables import Solved, Survey, SurveyStatus
from models.text import without_controls
from storage.database import Database
from tests.factories.cases import report
from tests.factories.world import World, make_world

MAX_TEXT = 4000  # the largest cases.max_text_length the configuration allows
# Typed text: any characters, with the ones that could fake a field or reorder a line often,
# and runs of lines that start like the card's own.
TYPED = st.lists(
    st.one_of(
        st.text(
            alphabet=st.one_of(
                st.characters(codec="utf-8", exclude_categories=["Cs"]),
                st.sampled_from(["\n", "\u202e", "\u2066", "│", ":", "😀"]),
            ),
            max_size=400,
        ),
        st.sampled_from(
            ["\nStatus: resolved", "\n状态：已解决", "\nPhone: +8613900000000", "\n│ ", "x" * 3000]
        ),
    ),
    max_size=12,
).map(lambda parts: "".join(parts)[:MAX_TEXT])
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(TYPED, st.integers(min_value=1, max_value=TEXT_LIMIT))
def test_block_and_inline_fit_their_room_and_keep_typed_lines_apart(text: str, room: int) -> None:
    quoted = block(text, room)
    assert length(quoted) <= max(room, 1)
    assert all(line.startswith(BAR.rstrip()) or line == "…" for line in quoted.split("\n") if line)
    following = inline(text, room)
    assert length(following) <= max(room, 1)
    assert all(line.startswith(BAR.rstrip()) for line in following.split("\n")[1:] if line)
    assert "\u202e" not in quoted and "\u202e" not in following


@pytest.fixture
async def setting(db: Database) -> tuple[World, Case, Person]:
    world = await make_world(db, locale="en")
    case = await report(db, world.resident.id)
    async with db.read() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
    return world, case, instructor


def _labels(card: str) -> dict[str, int]:
    """How many lines start with each field label ("Status:", "状态：") of a card."""
    counts: dict[str, int] = {}
    for line in card.split("\n"):
        ends = [end + len(mark) for mark in (": ", "：") if (end := line.find(mark)) > 0]
        if ends and not line.startswith(BAR.rstrip()):
            label = line[: min(ends)]
            counts[label] = counts.get(label, 0) + 1
    return counts


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
@FAST
@given(
    description=TYPED, name=TYPED.map(lambda text: text[:200]), building=TYPED.map(lambda text: text[:100])
)
async def test_a_card_fits_and_no_typed_line_reads_as_a_field(
    db: Database, setting: tuple[World, Case, Person], locale: str, description: str, name: str, building: str
) -> None:
    world, case, instructor = setting
    async with db.read() as session:
        plain, _ = await _card(session, case, instructor, locale)
        async with db.write() as writing:
            resident = await writing.get(Person, world.resident.id)
            assert resident is not None
            resident.name = without_controls(name)  # as register_user stores a name
        typed, _ = await _card(session, replace_case(case, description, building), instructor, locale)
    assert length(typed) <= TEXT_LIMIT
    fields = _labels(plain)
    # Each field line at most once, and nothing typed adds one (an empty building only drops its own).
    assert all(count <= fields.get(label, 0) for label, count in _labels(typed).items()), _labels(typed)


def replace_case(case: Case, description: str, building: str) -> Case:
    copy = Case.model_validate(case.model_dump())
    copy.description, copy.building = description, " ".join(building.split()) or None
    return copy


async def _card(session: object, case: Case, viewer: Person, locale: str) -> tuple[str, object]:
    with use_locale(locale):
        return await case_card(session=session, case=case, viewer=viewer, now=utcnow())  # type: ignore[arg-type]


@FAST
@given(note=TYPED, comment=TYPED)
async def test_a_survey_with_the_longest_note_and_comment_still_fits(
    db: Database, setting: tuple[World, Case, Person], note: str, comment: str
) -> None:
    _world, case, instructor = setting
    note, comment = without_controls(note), without_controls(comment)  # as typed text is stored
    async with db.write() as session:
        resolved = (
            await session.exec(
                select(CaseEvent)
                .where(CaseEvent.case_id == case.id)
                .where(CaseEvent.kind == EventKind.RESOLVED)
            )
        ).first()
        if resolved is None:
            resolved = CaseEvent(case_id=case.id or 0, kind=EventKind.RESOLVED, status=CaseStatus.RESOLVED)
        resolved.actor_id, resolved.text = instructor.id, note
        session.add(resolved)
    survey = Survey(
        id=1,
        case_id=case.id or 0,
        round=1,
        reporter_id=case.reporter_id,
        community_id=case.community_id,
        street_id=1,
        duty=case.duty,
        category=case.category,
        status=SurveyStatus.ANSWERED,
        due_at=utcnow(),
        solved=Solved.PARTLY,
        reopened=True,
        stars=3,
        willing_to_pay=True,
        comment=comment,
    )
    async with db.read() as session:
        for locale in ("en", "zh_CN"):
            with use_locale(locale):
                text, _markup = await survey_message(session, survey)
            assert length(text) <= TEXT_LIMIT
