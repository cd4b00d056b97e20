"""A start that says what is wrong: one line naming what failed, and no stop for a small reason.

The real ``redprop run`` against the fake Bot API answering 500 or 401, and against databases
that cannot be reached or migrated; at INFO (the default) nothing but that line is written.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.sandbox.updates import TelegramUser, message_update
from tests.e2e.conftest import BotRunner
from tests.factories.ids import stranger
from tests.fakes.server import FakeBotApiServer

ENGLISH = {"REDPROP_BOT__DEFAULT_LOCALE": "en"}  # the lines in English; 中文 is the default
WRONG_TOKEN = "7012345678:AAGwrongwrongwrongwrongwrongwrongwro"


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_500_from_set_my_commands_is_a_warning_and_the_bot_runs_on(
    bot: BotRunner, fake_api: FakeBotApiServer
) -> None:
    fake_api.telegram.fail("setMyCommands", status=500, times=3)
    process = bot.start(log_level="INFO")

    warnings = [line for line in process.stderr.splitlines() if " WARNING " in line]
    assert any("setMyCommands" in line and "command menus" in line for line in warnings), process.stderr
    assert "Traceback" not in process.stderr
    user = TelegramUser(stranger(1), "Alice", "en")
    fake_api.push(message_update(user, "/start"))
    assert fake_api.wait_for_text(user.id, "Welcome")
    assert process.stop() == 0


def test_a_401_says_the_token_is_wrong(bot: BotRunner) -> None:
    result = bot.cli("run", env=bot.env(REDPROP_TELEGRAM__TOKEN=WRONG_TOKEN, **ENGLISH))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "token" in line and "401" in line and "BotFather" in line
    assert WRONG_TOKEN.split(":")[1] not in result.stderr
    # In the default language, 中文.
    result = bot.cli("run", env=bot.env(REDPROP_TELEGRAM__TOKEN=WRONG_TOKEN))
    assert one_line(result.stderr).startswith("启动失败：Telegram 拒绝了机器人令牌（401 Unauthorized）")


def test_a_getme_that_fails_is_named(bot: BotRunner, fake_api: FakeBotApiServer) -> None:
    fake_api.telegram.fail("getMe", status=500, times=5)
    result = bot.cli("run", env=bot.env(**ENGLISH))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("Start failed: getMe:") and "Internal Server Error" in line


def test_an_unreachable_database_is_one_line(bot: BotRunner) -> None:
    url = "postgresql+asyncpg://redprop:secret-password@127.0.0.1:1/redprop"
    result = bot.cli("run", env=bot.env(REDPROP_DATABASE__URL=url, **ENGLISH))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "the database postgresql+asyncpg://redprop:***@127.0.0.1:1/redprop cannot be reached" in line
    assert "secret-password" not in result.stderr


def test_with_json_logs_the_line_is_json_too(bot: BotRunner) -> None:
    url = "postgresql+asyncpg://redprop@127.0.0.1:1/redprop"
    env = bot.env(REDPROP_DATABASE__URL=url, REDPROP_LOGGING__FORMAT="json", **ENGLISH)
    result = bot.cli("run", env=env)
    assert result.returncode == 1
    entry = json.loads(one_line(result.stderr))
    assert entry["level"] == "ERROR"
    assert entry["message"].startswith(
        "Start failed: the database postgresql+asyncpg://redprop@127.0.0.1:1/redprop"
    )


def test_a_failed_migration_is_one_line(bot: BotRunner, workdir: Path) -> None:
    path = workdir / "from-the-future.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
    result = bot.cli("run", env=bot.env(REDPROP_DATABASE__URL=f"sqlite+aiosqlite:///{path}", **ENGLISH))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("Start failed: a database migration failed:") and "9999" in line


def test_a_second_instance_on_one_sqlite_file_is_refused(bot: BotRunner, sqlite_path: str) -> None:
    first = bot.start(log_level="INFO")
    result = bot.cli("run", env=bot.env(**ENGLISH))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert f"another redprop run (pid {first.process.pid})" in line and sqlite_path in line
    assert "PostgreSQL" in line
    assert first.process.poll() is None
    assert first.stop() == 0


def test_json_logs_are_one_json_object_a_line_from_the_bot_and_its_worker(
    bot: BotRunner, fake_api: FakeBotApiServer
) -> None:
    process = bot.start(log_level="DEBUG", REDPROP_LOGGING__FORMAT="json")
    user = TelegramUser(stranger(1), "Alice", "en")
    fake_api.push(message_update(user, "/start"))
    fake_api.wait_for_text(user.id, "Welcome")
    fake_api.wait_for(lambda: "outbox worker" in process.stderr and "sending" in process.stderr)
    assert process.stop() == 0
    entries = [json.loads(line) for line in process.stderr.splitlines()]
    assert len(entries) > 10
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(entry["logger"] == "bot.outbox.worker" for entry in entries)  # the worker's own lines
    assert entries[-1]["message"] == "stopped"
