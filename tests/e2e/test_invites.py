"""An invite link from the directory, redeemed in the chat: it binds once, then is refused."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.sandbox.updates import TelegramUser, message_update
from models.base import utcnow
from models.directory.invites import INVITE_PREFIX, issue_invite
from models.directory.tables import Enterprise, Person, Role, RoleKind
from storage.database import Database
from tests.e2e.conftest import BotRunner
from tests.fakes.server import FakeBotApiServer

DIRECTORY = """\
[[street]]
code = "dh"
name = "东湖街道"

[[enterprise]]
code = "hy"
name = "海悦物业"
party_branch = true
staff = [{ name = "陈委员", phone = "13800000000" }]
"""

LINK = re.compile(r"https://t\.me/redprop_test_bot\?start=(i-[A-Za-z0-9_-]+)")


def bound_telegram_id(database_url: str, name: str) -> int | None:
    async def read() -> int | None:
        database = Database(database_url)
        try:
            async with database.read() as session:
                person = (await session.exec(select(Person).where(Person.name == name))).one()
                return person.telegram_id
        finally:
            await database.dispose()

    return asyncio.run(read())


def redeem_once_then_refuse(
    bot: BotRunner, server: FakeBotApiServer, payload: str, database_url: str
) -> None:
    chen = TelegramUser(501, "Chen", "zh-hans")
    other = TelegramUser(502, "Someone", "zh-hans")
    process = bot.start()

    server.push(message_update(chen, f"/start {payload}"))
    greeting = server.wait_for_text(chen.id, "您好")
    assert greeting.startswith("陈委员，您好！"), greeting
    assert "物业企业工作人员" in greeting and "海悦物业" in greeting

    server.push(message_update(other, f"/start {payload}"))
    refusal = server.wait_for_text(other.id, "已被使用")
    assert server.texts_to(other.id) == [refusal]
    assert process.stop() == 0
    assert bound_telegram_id(database_url, "陈委员") == chen.id


def test_invite_from_the_directory_cli(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str, workdir: Path
) -> None:
    directory = workdir / "directory.toml"
    directory.write_text(DIRECTORY, encoding="utf-8")
    imported = bot.cli("directory", "import", str(directory))
    assert imported.returncode == 0, imported.stderr
    invites = bot.cli("directory", "invites", "--bot-username", "redprop_test_bot")
    assert invites.returncode == 0, invites.stderr
    links = LINK.findall(invites.stdout)
    assert len(links) == 1 and "陈委员" in invites.stdout, invites.stdout

    redeem_once_then_refuse(bot, fake_api, links[0], database_url)


def test_invite_issued_in_the_database(bot: BotRunner, fake_api: FakeBotApiServer, database_url: str) -> None:
    """The same, with the rows written through the models: the chat side without the CLI."""

    async def seed() -> str:
        database = Database(database_url)
        try:
            async with database.write() as session:
                enterprise = Enterprise(code="hy", name="海悦物业", party_branch=True)
                person = Person(name="陈委员", phone="13800000000")
                session.add_all([enterprise, person])
                await session.flush()
                assert person.id is not None
                session.add(
                    Role(person_id=person.id, kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=enterprise.id)
                )
                token = await issue_invite(
                    session=session, person=person, now=utcnow(), ttl=timedelta(days=1)
                )
        finally:
            await database.dispose()
        return INVITE_PREFIX + token

    redeem_once_then_refuse(bot, fake_api, asyncio.run(seed()), database_url)
