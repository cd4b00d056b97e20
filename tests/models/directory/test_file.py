"""The directory file: checked before anything is written, imported idempotently, exported back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.base import utcnow
from models.cases.routing import SharedProperty
from models.directory.document import (
    AMBIGUOUS_PERSON,
    BAD_CODE,
    BAD_DATE,
    BAD_PERSON,
    BAD_TELEGRAM_ID,
    DUPLICATE_CODE,
    INSTRUCTOR_TWICE,
    LISTED_TWICE,
    MISSING,
    NAME_CONFLICT,
    NO_ID_NOR_NAME,
    NO_STREET,
    NOT_ARRAY_OF_TABLES,
    NOT_BOOL,
    NOT_LIST,
    PERSON_TWICE,
    PHONE_NOT_TEXT,
    SHARED_SINCE_MISSING,
    SHARED_WITH_ENTERPRISE,
    SINCE_WITHOUT_SHARED,
    TOO_LONG,
    UNKNOWN_ENTERPRISE,
    UNKNOWN_KEY,
    UNKNOWN_SECTION,
    UNKNOWN_STREET,
    DirectoryFileError,
    PersonEntry,
)
from models.directory.file import ImportSummary, export_directory, import_directory
from models.directory.invites import issue_invite, people_to_invite, redeem_invite
from models.directory.parsing import parse_directory
from models.directory.people import register_user
from models.directory.shared import current_take_overs
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street
from storage.database import Database
from tests.directory_rows import EXAMPLE, directory_rows

BASE = """
[[street]]
code = "lsw"
name = "灵山卫街道"
office_admins = [111111]

[[enterprise]]
code = "hy"
name = "海悦物业"
party_branch = true
staff = [333333]

[[enterprise]]
code = "qg"
name = "青港物业"

[[community]]
code = "dfht"
name = "东方华庭"
street = "lsw"
enterprise = "hy"
party_committee = [222222]
owners_committee = [{ name = "陈委员", phone = "13800000000" }]

[[instructor]]
telegram_id = 444444
name = "王指导员"
enterprises = ["hy"]
"""


async def load(db: Database, text: str) -> ImportSummary:
    async with db.write() as session:
        return await import_directory(session=session, document=parse_directory(text))


async def roles(db: Database) -> set[tuple[str, str, str | None]]:
    """Every role as (person's name or Telegram id, kind, code of what it is for)."""
    async with db.read() as session:
        people = {p.id: p.name or str(p.telegram_id) for p in (await session.exec(select(Person))).all()}
        streets = {row.id: row.code for row in (await session.exec(select(Street))).all()}
        communities = {row.id: row.code for row in (await session.exec(select(Community))).all()}
        enterprises = {row.id: row.code for row in (await session.exec(select(Enterprise))).all()}
        found = set()
        for role in (await session.exec(select(Role))).all():
            code = (
                streets.get(role.street_id)
                or communities.get(role.community_id)
                or enterprises.get(role.enterprise_id)
            )
            found.add((people[role.person_id], str(role.kind), code))
        return found


async def test_importing_the_example_twice_leaves_identical_rows(db: Database) -> None:
    first = await load(db, EXAMPLE.read_text(encoding="utf-8"))
    assert (first.streets.created, first.enterprises.created, first.communities.created) == (1, 4, 7)
    # 海悦物业 lists a head (its manager, staff too) and a party-branch contact (one more person).
    assert first.people.created == 20 and first.roles_added == 25 and first.changed
    rows = await directory_rows(db)

    again = await load(db, EXAMPLE.read_text(encoding="utf-8"))

    assert await directory_rows(db) == rows
    assert not again.changed and again.people.unchanged == 20 and again.communities.unchanged == 7
    held = await roles(db)
    hy_instructors = {name for name, kind, code in held if kind == "instructor" and code == "hy"}
    assert hy_instructors == {"王指导员", "李指导员"}
    assert {code for name, kind, code in held if name == "赵指导员"} == {"xh", "aj"}
    # 陈书记 is listed by name in 东方华庭 and by id alone in 东山: one person, two roles.
    assert {code for name, kind, code in held if name == "陈书记"} == {"dfht", "dongshan"}
    by_code = {c["code"]: c for c in rows["Community"]}
    hy = next(e for e in rows["Enterprise"] if e["code"] == "hy")
    assert by_code["dfht"]["enterprise_id"] == hy["id"] and by_code["shanhou"]["enterprise_id"] is None
    assert {e["code"]: e["party_branch"] for e in rows["Enterprise"]} == {
        "hy": True,
        "qg": True,
        "xh": False,
        "aj": False,
    }


async def test_a_changed_file_updates_rows_in_place_and_moves_roles(db: Database) -> None:
    await load(db, BASE)
    before = await directory_rows(db)
    changed = BASE.replace('name = "东方华庭"', 'name = "东方华庭小区"').replace(
        'enterprises = ["hy"]', 'enterprises = ["qg"]'
    )

    summary = await load(db, changed)

    after = await directory_rows(db)
    assert [c["id"] for c in after["Community"]] == [c["id"] for c in before["Community"]]
    assert after["Community"][0]["name"] == "东方华庭小区"
    assert (summary.communities.updated, summary.roles_added, summary.roles_removed) == (1, 1, 1)
    held = await roles(db)
    assert ("王指导员", "instructor", "qg") in held and ("王指导员", "instructor", "hy") not in held
    # The roles the change did not touch keep their rows.
    untouched = [r for r in before["Role"] if r["kind"] != RoleKind.INSTRUCTOR]
    assert all(r in after["Role"] for r in untouched)


async def test_entities_left_out_of_the_file_are_kept_without_roles(db: Database) -> None:
    await load(db, BASE)
    without_community = BASE[: BASE.index("[[community]]")] + BASE[BASE.index("[[instructor]]") :]

    summary = await load(db, without_community)

    assert summary.communities.kept == 1 and summary.roles_removed == 2
    async with db.read() as session:
        assert [c.code for c in (await session.exec(select(Community))).all()] == ["dfht"]
    assert not {code for _, _, code in await roles(db)} & {"dfht"}


async def test_an_instructor_with_no_enterprise_gets_one_unscoped_role(db: Database) -> None:
    await load(db, BASE.replace('enterprises = ["hy"]', "enterprises = []"))
    assert ("王指导员", "instructor", None) in await roles(db)


async def test_a_bare_id_keeps_the_name_the_person_already_has(db: Database) -> None:
    async with db.write() as session:
        await register_user(session=session, telegram_id=111111, name="Liu", language_code="en")
    summary = await load(db, BASE)
    assert ("Liu", "office_admin", "lsw") in await roles(db)
    assert summary.people.unchanged == 1 and summary.people.created == 4


async def test_a_telegram_id_added_later_binds_the_listed_person(db: Database) -> None:
    await load(db, BASE)
    with_id = BASE.replace(
        '{ name = "陈委员", phone = "13800000000" }',
        '{ name = "陈委员", phone = "13800000000", telegram_id = 555555 }',
    )
    summary = await load(db, with_id)
    async with db.read() as session:
        people = (await session.exec(select(Person).where(Person.name == "陈委员"))).all()
    assert [p.telegram_id for p in people] == [555555]
    assert (summary.people.created, summary.people.updated, summary.roles_added) == (0, 1, 0)


@pytest.mark.parametrize("already_chatting", [False, True], ids=["new account", "resident account"])
async def test_a_person_bound_through_an_invite_survives_reimport(
    db: Database, already_chatting: bool
) -> None:
    await load(db, BASE)
    now = utcnow()
    async with db.write() as session:
        if already_chatting:
            await register_user(session=session, telegram_id=777, name="Chen", language_code="zh")
        (listed,) = await people_to_invite(session=session)
        token = await issue_invite(session=session, person=listed, now=now, ttl=timedelta(days=1))
    async with db.write() as session:
        bound = await redeem_invite(
            session=session, token=token, telegram_id=777, language_code="zh", now=now
        )
    rows = await directory_rows(db)

    summary = await load(db, BASE)

    assert await directory_rows(db) == rows and not summary.changed
    async with db.read() as session:
        chen = (await session.exec(select(Person).where(Person.name == "陈委员"))).all()
        assert [(p.id, p.telegram_id) for p in chen] == [(bound.id, 777)]
    assert ("陈委员", "owners_committee", "dfht") in await roles(db)


async def test_a_resident_with_the_same_name_is_not_given_the_role(db: Database) -> None:
    async with db.write() as session:
        resident = await register_user(session=session, telegram_id=888, name="王伟", language_code="zh")
    await load(db, BASE.replace("owners_committee = [{", 'owners_committee = [{ name = "王伟" }, {'))
    async with db.read() as session:
        wangs = (await session.exec(select(Person).where(Person.name == "王伟"))).all()
        assert sorted((p.id == resident.id, p.telegram_id) for p in wangs) == [(False, None), (True, 888)]
        held = (await session.exec(select(Role).where(Role.person_id == resident.id))).all()
        assert held == []


async def test_export_reads_back_to_the_same_document_and_reimports_unchanged(db: Database) -> None:
    original = EXAMPLE.read_text(encoding="utf-8")
    await load(db, original)
    async with db.write() as session:
        person = (await session.exec(select(Person).where(Person.name == "何委员"))).one()
        person.name = 'He "Tricky" \\ Name\twith tab'
        session.add(person)
    rows = await directory_rows(db)
    async with db.read() as session:
        text = await export_directory(session=session)

    document = parse_directory(text)
    assert PersonEntry(None, 'He "Tricky" \\ Name\twith tab', "13800000103") in document.people()
    assert document == parse_directory(
        original.replace('name = "何委员"', 'name = "He \\"Tricky\\" \\\\ Name\\twith tab"')
    )
    async with db.write() as session:
        summary = await import_directory(session=session, document=document)
    assert not summary.changed and await directory_rows(db) == rows


async def test_export_writes_people_with_only_an_id_as_bare_ids(db: Database) -> None:
    await load(db, BASE)
    async with db.read() as session:
        text = await export_directory(session=session)
    assert "office_admins = [111111]" in text
    assert 'owners_committee = [{ name = "陈委员", phone = "13800000000" }]' in text


def test_one_person_listed_in_several_places_is_one_entry() -> None:
    document = parse_directory(
        BASE.replace(
            "party_committee = [222222]", 'party_committee = [{ name = "王指导员", telegram_id = 444444 }]'
        )
        .replace("staff = [333333]", 'staff = [{ name = "陈委员", phone = "13800000000" }, 444444]')
        .replace(
            'owners_committee = [{ name = "陈委员", phone = "13800000000" }]', "owners_committee = [555555]"
        )
    )
    wang = PersonEntry(444444, "王指导员", None)
    assert document.enterprises[0].staff == (PersonEntry(None, "陈委员", "13800000000"), wang)
    assert document.instructors[0].person == wang and document.communities[0].party_committee == (wang,)


def test_a_person_without_an_id_is_folded_into_the_listed_one_with_an_id() -> None:
    document = parse_directory(
        BASE.replace(
            "office_admins = [111111]",
            'office_admins = [{ name = "陈委员", phone = "13800000000", telegram_id = 5 }]',
        )
    )
    assert document.communities[0].owners_committee == (PersonEntry(5, "陈委员", "13800000000"),)


def _replace(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


INSTRUCTOR = 'instructor "王指导员"'
COMMUNITY = 'community "dfht"'
BAD_FILES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    (_replace('["hy"]', '["hy", "xx"]'), INSTRUCTOR, "enterprises", UNKNOWN_ENTERPRISE, {"code": "xx"}),
    (_replace('["hy"]', '["hy", "hy"]'), INSTRUCTOR, "enterprises", LISTED_TWICE, {"code": "hy"}),
    (
        _replace('enterprise = "hy"', 'enterprise = "xx"'),
        COMMUNITY,
        "enterprise",
        UNKNOWN_ENTERPRISE,
        {"code": "xx"},
    ),
    (_replace('street = "lsw"', 'street = "old"'), COMMUNITY, "street", UNKNOWN_STREET, {"code": "old"}),
    (_replace('street = "lsw"\n', ""), COMMUNITY, "street", MISSING, {}),
    (_replace('name = "灵山卫街道"\n', ""), 'street "lsw"', "name", MISSING, {}),
    (
        _replace('enterprise = "hy"\n', 'enterprise = "hy"\nenterpise = "hy"\n'),
        COMMUNITY,
        "enterpise",
        UNKNOWN_KEY,
        {},
    ),
    (_replace('code = "qg"', 'code = "hy"'), 'enterprise "hy"', "code", DUPLICATE_CODE, {"code": "hy"}),
    (_replace('code = "lsw"', 'code = "灵山卫"'), 'street "灵山卫"', "code", BAD_CODE, {"value": "灵山卫"}),
    (_replace('code = "lsw"', f'code = "{"x" * 33}"'), f'street "{"x" * 33}"', "code", BAD_CODE, {}),
    (_replace('code = "lsw"\n', ""), "street #1", "code", MISSING, {}),
    (
        _replace("party_branch = true", 'party_branch = "yes"'),
        'enterprise "hy"',
        "party_branch",
        NOT_BOOL,
        {},
    ),
    (_replace("staff = [333333]", "staff = 333333"), 'enterprise "hy"', "staff", NOT_LIST, {}),
    (_replace("[111111]", "[-5]"), 'street "lsw"', "office_admins #1", BAD_TELEGRAM_ID, {"value": "-5"}),
    (_replace("[111111]", '["111111"]'), 'street "lsw"', "office_admins #1", BAD_PERSON, {}),
    (_replace("[111111]", "[true]"), 'street "lsw"', "office_admins #1", BAD_PERSON, {}),
    (
        _replace("[111111]", "[{ telegram_id = true }]"),
        'street "lsw"',
        "office_admins #1.telegram_id",
        BAD_TELEGRAM_ID,
        {},
    ),
    (_replace("[111111]", '[{ phone = "138" }]'), 'street "lsw"', "office_admins #1", NO_ID_NOR_NAME, {}),
    (
        _replace("[111111]", '[{ name = "A", phone = 138 }]'),
        'street "lsw"',
        "office_admins #1.phone",
        PHONE_NOT_TEXT,
        {},
    ),
    (
        _replace("[111111]", '[{ name = "A", mail = "a@b" }]'),
        'street "lsw"',
        "office_admins #1.mail",
        UNKNOWN_KEY,
        {},
    ),
    (
        _replace("[111111]", f'[{{ name = "{"名" * 201}" }}]'),
        'street "lsw"',
        "office_admins #1.name",
        TOO_LONG,
        {"limit": 200},
    ),
    (
        _replace("[111111]", "[111111, 111111]"),
        'street "lsw"',
        "office_admins #2",
        PERSON_TWICE,
        {"number": 1},
    ),
    (
        _replace("[111111]", '[{ name = "刘主任", telegram_id = 444444 }]'),
        INSTRUCTOR,
        "telegram_id",
        NAME_CONFLICT,
        {"other": "刘主任"},
    ),
    (
        _replace('telegram_id = 444444\nname = "王指导员"\n', 'phone = "1"\n'),
        "instructor #1",
        "name",
        NO_ID_NOR_NAME,
        {},
    ),
    (
        BASE + '[[instructor]]\ntelegram_id = 444444\nenterprises = ["qg"]\n',
        "instructor 444444",
        "telegram_id",
        INSTRUCTOR_TWICE,
        {},
    ),
    (
        _replace(
            "[111111]", '[{ name = "A", telegram_id = 1 }, { name = "A", telegram_id = 2 }, { name = "A" }]'
        ),
        'street "lsw"',
        "office_admins #3",
        AMBIGUOUS_PERSON,
        {"name": "A"},
    ),
    (BASE + "[[streets]]\ncode = 'x'\n", "", "streets", UNKNOWN_SECTION, {}),
    ('[street]\ncode = "lsw"\nname = "x"\n', "", "street", NOT_ARRAY_OF_TABLES, {"section": "street"}),
    (BASE[BASE.index("[[enterprise]]") : BASE.index("[[community]]")], "", "street", NO_STREET, {}),
]


@pytest.mark.parametrize(("text", "entry", "field", "problem", "params"), BAD_FILES)
def test_a_bad_file_names_the_entry_the_key_and_the_problem(
    text: str, entry: str, field: str, problem: str, params: dict[str, Any]
) -> None:
    with pytest.raises(DirectoryFileError) as raised:
        parse_directory(text)
    error = raised.value
    assert (error.entry, error.field, error.message) == (entry, field, problem)
    assert params.items() <= error.params.items()


def test_the_error_line_reads_entry_key_problem() -> None:
    with pytest.raises(DirectoryFileError) as raised:
        parse_directory(_replace('["hy"]', '["xx"]'))
    assert str(raised.value) == 'instructor "王指导员": enterprises: no [[enterprise]] has the code "xx"'
    chinese = raised.value.describe(lambda message: "没有代码为「{code}」的物业企业")
    assert chinese == 'instructor "王指导员": enterprises: 没有代码为「xx」的物业企业'


SHARED = (
    BASE
    + """
[[community]]
code = "weicheng"
name = "卫城小区"
street = "lsw"
shared_by = "qg"
shared_since = 2025-03-01
"""
)


async def test_shared_property_round_trips_exactly_and_changes_by_ending_the_old_take_over(
    db: Database,
) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    async with db.write() as session:
        await import_directory(session=session, document=parse_directory(SHARED), tz=shanghai)
    async with db.read() as session:
        exported = await export_directory(session=session, tz=shanghai)
        [row] = list(await session.exec(select(SharedProperty)))
    assert 'shared_by = "qg"\nshared_since = 2025-03-01\n' in exported
    assert row.started_at == datetime(2025, 2, 28, 16, 0, tzinfo=UTC)  # local midnight
    assert row.ended_at is None
    async with db.write() as session:
        again = await import_directory(session=session, document=parse_directory(exported), tz=shanghai)
    async with db.read() as session:
        assert await export_directory(session=session, tz=shanghai) == exported
    assert not again.changed
    # Another enterprise takes over: the old take-over ends the day the new one begins.
    moved = SHARED.replace('shared_by = "qg"', 'shared_by = "hy"').replace("2025-03-01", "2026-01-01")
    async with db.write() as session:
        summary = await import_directory(session=session, document=parse_directory(moved), tz=shanghai)
    assert summary.changed and summary.shared_changed == 1
    async with db.read() as session:
        rows = list(await session.exec(select(SharedProperty).order_by(SharedProperty.id)))  # type: ignore[arg-type]
    assert [(r.enterprise_id is not None, r.ended_at) for r in rows] == [
        (True, datetime(2025, 12, 31, 16, 0, tzinfo=UTC)),
        (True, None),
    ]
    # Left out of the file: the take-over ends now.
    async with db.write() as session:
        await import_directory(
            session=session,
            document=parse_directory(moved.replace('shared_by = "hy"\nshared_since = 2026-01-01\n', "")),
            tz=shanghai,
        )
        assert (await current_take_overs(session=session)) == {}


@pytest.mark.parametrize(
    ("lines", "key", "problem"),
    [
        (
            'enterprise = "hy"\nshared_by = "qg"\nshared_since = 2025-03-01',
            "shared_by",
            SHARED_WITH_ENTERPRISE,
        ),
        ('shared_by = "qg"', "shared_since", SHARED_SINCE_MISSING),
        ("shared_since = 2025-03-01", "shared_since", SINCE_WITHOUT_SHARED),
        ('shared_by = "qg"\nshared_since = "2025-03-01"', "shared_since", BAD_DATE),
        ('shared_by = "zz"\nshared_since = 2025-03-01', "shared_by", UNKNOWN_ENTERPRISE),
    ],
)
def test_a_bad_take_over_is_refused(lines: str, key: str, problem: str) -> None:
    text = BASE + f'\n[[community]]\ncode = "wc"\nname = "卫城"\nstreet = "lsw"\n{lines}\n'
    with pytest.raises(DirectoryFileError) as error:
        parse_directory(text)
    assert (error.value.entry, error.value.field, error.value.message) == ('community "wc"', key, problem)
