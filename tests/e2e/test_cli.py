"""The ``redprop`` command as an operator meets it: help, and one clear line when it cannot start."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import TOKEN, BotRunner, clean_environment


def test_help_lists_the_commands(bot: BotRunner) -> None:
    top = bot.cli("--help")
    assert top.returncode == 0, top.stderr
    for command in ("run", "db", "directory"):
        assert command in top.stdout
    directory = bot.cli("directory", "--help")
    assert directory.returncode == 0, directory.stderr
    for command in ("import", "export", "invites"):
        assert command in directory.stdout
    db = bot.cli("db", "--help")
    assert db.returncode == 0, db.stderr
    assert "upgrade" in db.stdout


def test_run_without_a_token_says_how_to_get_one(bot: BotRunner, workdir: Path) -> None:
    assert not (workdir / "config.toml").exists()
    result = bot.cli("run", env=clean_environment())
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "BotFather" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_bad_config_value_is_one_line_naming_the_key(bot: BotRunner) -> None:
    result = bot.cli("run", env=bot.env(REDPROP_BOT__TIMEZONE="Mars/Base"))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "bot.timezone" in lines[0] and "Traceback" not in result.stderr
    assert TOKEN not in result.stderr
