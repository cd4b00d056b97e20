"""The directory commands as the operator sees them: what is printed, and what the database holds."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.directory_commands import export, import_file, print_invites
from locales.i18n import use_locale
from models.base import utcnow
from models.directory.invites import INVITE_PREFIX, redeem_invite
from models.directory.parsing import parse_directory
from models.directory.tables import Person
from storage.database import Database
from tests.directory_rows import EXAMPLE, directory_rows

LINK = re.compile(r"https://t\.me/redprop_test_bot\?start=(\S+)$")
UNINVITED = 10  # people in the example listed with a name and phone but no telegram_id


async def test_import_prints_what_changed_and_a_second_import_changes_nothing(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with use_locale("en"):
        assert await import_file(db, EXAMPLE) == 0
        first = capsys.readouterr()
        rows = await directory_rows(db)
        assert await import_file(db, EXAMPLE) == 0
        second = capsys.readouterr()

    assert first.err == "" and second.err == ""
    assert "Communities: 7 new, 0 updated, 0 unchanged" in first.out
    assert "Roles: 25 added, 0 removed" in first.out
    assert f"People in the directory without a Telegram account yet: {UNINVITED}." in first.out
    assert "Nothing changed" not in first.out
    assert "Communities: 0 new, 0 updated, 7 unchanged" in second.out
    assert "Nothing changed: the database already matched the file." in second.out
    assert await directory_rows(db) == rows


async def test_a_bad_file_prints_one_line_and_imports_nothing(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with use_locale("en"):
        assert await import_file(db, EXAMPLE) == 0
        rows = await directory_rows(db)
        capsys.readouterr()
        bad = tmp_path / "bad.toml"
        text = EXAMPLE.read_text(encoding="utf-8")
        bad.write_text(
            text.replace('name = "东方华庭"', 'name = "东方华庭改"').replace(
                'enterprises = ["qg"]', 'enterprises = ["xx"]'
            ),
            encoding="utf-8",
        )
        assert await import_file(db, bad) == 1
    out, err = capsys.readouterr()

    assert out == ""
    problem = 'instructor "张指导员": enterprises: no [[enterprise]] has the code "xx"'
    assert err == f"{bad}: {problem} (nothing was imported)\n"
    assert await directory_rows(db) == rows


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ('[[street]]\ncode = "lsw\n', "not valid TOML"),
        (b"\xff\xfe[[street]]", "not a UTF-8 text file"),
    ],
    ids=["missing", "syntax", "encoding"],
)
async def test_an_unreadable_file_is_one_clear_line(
    db: Database,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str | bytes | None,
    expected: str,
) -> None:
    path = tmp_path / "directory.toml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with use_locale("en"):
        assert await import_file(db, path) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"{path}: {expected}")
    assert (await directory_rows(db))["Street"] == []


async def test_export_prints_a_file_that_imports_back_unchanged(
    db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with use_locale("en"):
        await import_file(db, EXAMPLE)
        rows = await directory_rows(db)
        capsys.readouterr()
        assert await export(db) == 0
        exported = capsys.readouterr().out
        assert parse_directory(exported) == parse_directory(EXAMPLE.read_text(encoding="utf-8"))
        copy = tmp_path / "exported.toml"
        copy.write_text(exported, encoding="utf-8")
        assert await import_file(db, copy) == 0
    assert "Nothing changed" in capsys.readouterr().out
    assert await directory_rows(db) == rows


async def test_invite_links_name_the_person_and_redeem(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with use_locale("en"):
        await import_file(db, EXAMPLE)
        capsys.readouterr()
        assert await print_invites(db, bot_username="@redprop_test_bot", ttl=timedelta(days=14)) == 0
    header, *lines = capsys.readouterr().out.splitlines()

    assert header.startswith(f"Invite links: {UNINVITED}. Each works once, until ")
    assert len(lines) == UNINVITED
    zhao = next(line for line in lines if line.startswith("赵指导员"))
    assert zhao.startswith(
        "赵指导员 (13800000204) — party-building instructor: 鑫海物业, 安居物业 — https://t.me/"
    )
    gao = next(line for line in lines if line.startswith("高书记"))
    assert "community party committee: 农民公寓, 城口" in gao

    tokens = []
    for line in lines:
        match = LINK.search(line)
        assert match is not None, line
        assert match.group(1).startswith(INVITE_PREFIX)
        tokens.append(match.group(1).removeprefix(INVITE_PREFIX))
    async with db.write() as session:
        bound = await redeem_invite(
            session=session,
            token=tokens[lines.index(zhao)],
            telegram_id=900,
            language_code="zh",
            now=utcnow(),
        )
    assert bound.name == "赵指导员" and bound.telegram_id == 900

    with use_locale("en"):
        await print_invites(db, bot_username="redprop_test_bot", ttl=timedelta(days=14))
    again = capsys.readouterr().out.splitlines()
    assert len(again) == 1 + UNINVITED - 1 and not any(line.startswith("赵指导员") for line in again)


async def test_nobody_to_invite_and_no_username_are_said_plainly(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with use_locale("en"):
        assert await print_invites(db, bot_username="redprop_test_bot", ttl=timedelta(days=1)) == 0
        assert capsys.readouterr().out == (
            "Everyone in the directory has a Telegram account; no invites are needed.\n"
        )
        await import_file(db, EXAMPLE)
        capsys.readouterr()
        assert await print_invites(db, bot_username=" ", ttl=timedelta(days=1)) == 1
    out, err = capsys.readouterr()
    assert out == "" and "telegram.username is not set" in err
    async with db.read() as session:
        assert (await session.exec(select(Person).where(Person.name == "赵指导员"))).one().telegram_id is None
