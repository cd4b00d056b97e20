"""Configuration: defaults, the shipped config.toml, precedence, and one-line errors naming the key."""

from __future__ import annotations

import re
import tomllib
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from bot.cli import main as cli_main
from config.settings import ConfigError, Settings, load_settings
from models.assessment.scheme import AssessmentScheme

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config.toml"
TOKEN = "123456789:AAHsecretTokenThatMustNeverBeShown_xyz"


@pytest.fixture
def in_empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a folder without a config.toml, so ``load_settings()`` reads no file."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def config_error(**kwargs: Any) -> str:
    """The message ``load_settings`` fails with; it must be exactly one line."""
    with pytest.raises(ConfigError) as caught:
        load_settings(**kwargs)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith("config: "), message
    return message


# --- defaults ----------------------------------------------------------------------------------


def test_defaults_without_file_env_or_overrides(in_empty_dir: Path) -> None:
    settings = load_settings()
    assert settings.telegram.token.get_secret_value() == ""
    assert settings.telegram.base_url == "https://api.telegram.org/bot"
    assert settings.telegram.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.telegram.username == ""
    assert settings.database.url == "sqlite+aiosqlite:///data/redprop.db"
    assert settings.database.busy_timeout == timedelta(seconds=30)
    assert settings.bot.timezone == "Asia/Shanghai"
    assert settings.bot.tzinfo.key == "Asia/Shanghai"
    assert settings.bot.default_locale == "zh_CN"
    assert settings.directory.invite_ttl == timedelta(days=14)
    assert settings.outbox.retry_for == timedelta(hours=24)
    assert settings.outbox.max_backoff == timedelta(minutes=5)
    assert settings.outbox.summary_time == time(9, 0)
    assert settings.logging.level == "INFO"


def test_default_config_file_is_read_from_the_working_directory(in_empty_dir: Path) -> None:
    write(in_empty_dir / "config.toml", '[bot]\ntimezone = "Europe/Berlin"\n')
    assert load_settings().bot.timezone == "Europe/Berlin"


def test_durations_serialize_back_to_their_written_form(in_empty_dir: Path) -> None:
    dumped = load_settings().model_dump(mode="json")
    assert dumped["database"]["busy_timeout"] == "30s"
    assert dumped["directory"]["invite_ttl"] == "14d"


# --- the shipped config.toml -------------------------------------------------------------------


def _without_token(settings: Settings) -> dict[str, Any]:
    dumped = settings.model_dump(mode="json")
    del dumped["telegram"]["token"]
    return dumped


def test_shipped_config_loads_and_equals_the_defaults(in_empty_dir: Path) -> None:
    shipped = load_settings(SHIPPED)
    assert _without_token(shipped) == _without_token(load_settings())


def _sections() -> dict[str, type[BaseModel]]:
    sections: dict[str, type[BaseModel]] = {}
    for name, field in Settings.model_fields.items():
        assert isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel), name
        sections[name] = field.annotation
    return sections


def test_shipped_config_documents_every_key() -> None:
    document = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    sections = _sections()
    assert set(document) == set(sections), "config.toml sections differ from the Settings sections"
    for name, model in sections.items():
        missing = set(model.model_fields) - set(document[name])
        assert not missing, f"config.toml [{name}] does not document: {sorted(missing)}"


_TABLE = re.compile(r"^\[([A-Za-z0-9_.]+)\]\s*$")
_KEY = re.compile(r"^([A-Za-z0-9_]+)\s*=")


def test_every_key_in_shipped_config_has_a_comment_above_it() -> None:
    """Each key line, or the ``[section.key]`` header of a key written as a table, has a comment."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    section, inside_value = "", False
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(lines):
        if table := _TABLE.match(line):
            section, _, key = table.group(1).partition(".")
            inside_value = bool(key)  # the lines below are the entries of one value, not keys
            if not inside_value:
                continue
        elif (match := _KEY.match(line)) and not inside_value:
            key = match.group(1)
        else:
            continue
        seen.add((section, key))
        above = lines[number - 1].strip() if number else ""
        assert above.startswith("#"), f"config.toml line {number + 1} ({line!r}) has no comment above it"
    expected = {(name, key) for name, model in _sections().items() for key in model.model_fields}
    assert expected <= seen, f"not documented as key lines: {sorted(expected - seen)}"


# --- precedence: defaults < file < environment < overrides -------------------------------------


def test_file_overrides_defaults(tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(
        tmp_path / "redprop.toml",
        '[database]\nurl = "sqlite+aiosqlite:///from-file.db"\n\n[logging]\nlevel = "debug"\n',
    )
    settings = load_settings(config)
    assert settings.database.url == "sqlite+aiosqlite:///from-file.db"
    assert settings.logging.level == "DEBUG"
    # Keys the file leaves out keep their defaults, even in a section it does set.
    assert settings.database.busy_timeout == timedelta(seconds=30)
    assert settings.bot.timezone == "Asia/Shanghai"


def test_environment_beats_file_and_overrides_beat_both(
    tmp_path: Path, in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        tmp_path / "redprop.toml",
        '[database]\nurl = "sqlite+aiosqlite:///from-file.db"\n\n'
        '[bot]\ntimezone = "Europe/London"\ndefault_locale = "en"\n',
    )
    assert load_settings(config).database.url == "sqlite+aiosqlite:///from-file.db"

    monkeypatch.setenv("REDPROP_DATABASE__URL", "sqlite+aiosqlite:///from-env.db")
    monkeypatch.setenv("REDPROP_BOT__TIMEZONE", "Asia/Tokyo")
    settings = load_settings(config)
    assert settings.database.url == "sqlite+aiosqlite:///from-env.db"
    assert settings.bot.timezone == "Asia/Tokyo"
    # The environment replaces single keys: the file's other key in [bot] still holds.
    assert settings.bot.default_locale == "en"

    settings = load_settings(config, {"database.url": "sqlite+aiosqlite:///from-command-line.db"})
    assert settings.database.url == "sqlite+aiosqlite:///from-command-line.db"
    assert settings.bot.timezone == "Asia/Tokyo"
    assert settings.bot.default_locale == "en"


def test_command_line_set_wins_over_environment_and_file(
    tmp_path: Path, in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real ``redprop`` parser: ``--config`` and ``--set`` reach load_settings."""
    config = write(tmp_path / "redprop.toml", '[directory]\ninvite_ttl = "1d"\n')
    monkeypatch.setenv("REDPROP_DIRECTORY__INVITE_TTL", "2d")
    seen: list[Settings] = []
    # Keep main() from touching process-wide state (logging, locale, zone) or the database.
    for name in ("setup_logging", "set_locale", "set_timezone"):
        monkeypatch.setattr(f"bot.cli.{name}", lambda *args, **kwargs: None)
    monkeypatch.setattr("bot.cli.db_upgrade", lambda settings, args: seen.append(settings) or 0)
    assert cli_main(["--config", str(config), "--set", "directory.invite_ttl=3d", "db", "upgrade"]) == 0
    assert cli_main(["--config", str(config), "db", "upgrade"]) == 0
    assert [s.directory.invite_ttl for s in seen] == [timedelta(days=3), timedelta(days=2)]


def test_environment_sets_telegram_base_url(in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDPROP_TELEGRAM__BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings()
    assert settings.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram.base_file_url == "https://api.telegram.org/file/bot"


def test_environment_sets_the_token(in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDPROP_TELEGRAM__TOKEN", TOKEN)
    assert load_settings().telegram.token.get_secret_value() == TOKEN


# --- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("48h", timedelta(hours=48)),
        ("7d", timedelta(days=7)),
        (" 90s ", timedelta(seconds=90)),
    ],
)
def test_durations_parse(written: str, expected: timedelta, tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(tmp_path / "d.toml", f'[directory]\ninvite_ttl = "{written}"\n')
    assert load_settings(config).directory.invite_ttl == expected
    assert load_settings(overrides={"database.busy_timeout": written}).database.busy_timeout == expected


@pytest.mark.parametrize("written", ["2w", "7", "d7", "1.5h", "-5m", "7 days", "", 30])
def test_bad_duration_fails_with_one_line_naming_the_key(
    written: object, tmp_path: Path, in_empty_dir: Path
) -> None:
    message = config_error(overrides={"directory.invite_ttl": written})
    assert message.startswith("config: directory.invite_ttl: "), message
    assert "30s" in message  # says what is allowed


def test_bad_duration_in_environment_names_the_key(
    in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDPROP_DATABASE__BUSY_TIMEOUT", "soon")
    assert config_error().startswith("config: database.busy_timeout: ")


def test_bad_duration_in_file_names_the_key(tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(tmp_path / "d.toml", '[directory]\ninvite_ttl = "two weeks"\n')
    assert config_error(config_file=config).startswith("config: directory.invite_ttl: ")


# --- other bad values --------------------------------------------------------------------------


def test_unknown_key_in_file_fails_naming_it(tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(tmp_path / "u.toml", '[bot]\ntimezone = "Asia/Shanghai"\ncolour = "red"\n')
    assert config_error(config_file=config) == "config: bot.colour: unknown key"


def test_unknown_section_in_file_fails_naming_it(tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(tmp_path / "u.toml", '[telegarm]\ntoken = "x"\n')
    assert config_error(config_file=config) == "config: telegarm: unknown key"


@pytest.mark.parametrize("at", ["9", "24:00", "09:60", "nine", "09:00-10:00"])
def test_bad_summary_time_fails_naming_the_key(at: str, in_empty_dir: Path) -> None:
    assert (
        config_error(overrides={"outbox.summary_at": at})
        == "config: outbox.summary_at: a local time such as 09:00"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "", "../../etc/passwd", "UTC+8"])
def test_bad_timezone_fails_naming_the_key(zone: str, in_empty_dir: Path) -> None:
    message = config_error(overrides={"bot.timezone": zone})
    assert message.startswith("config: bot.timezone: "), message
    assert "Asia/Shanghai" in message


@pytest.mark.parametrize("locale", ["fr", "zh", "zh-CN", "EN"])
def test_bad_locale_fails_naming_the_key(locale: str, in_empty_dir: Path) -> None:
    message = config_error(overrides={"bot.default_locale": locale})
    assert message.startswith("config: bot.default_locale: "), message
    assert "zh_CN" in message and "en" in message


@pytest.mark.parametrize(
    "url", ["sqlite:///data/redprop.db", "postgresql://u@h/db", "mysql+aiomysql://u@h/db", "redprop.db"]
)
def test_bad_database_url_scheme_fails_naming_the_key(url: str, tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(tmp_path / "db.toml", f'[database]\nurl = "{url}"\n')
    message = config_error(config_file=config)
    assert message.startswith("config: database.url: "), message
    assert "sqlite+aiosqlite://" in message and "postgresql+asyncpg://" in message


def test_bad_base_url_fails_naming_the_key(in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDPROP_TELEGRAM__BASE_URL", "api.telegram.org/bot")
    assert config_error().startswith("config: telegram.base_url: ")


def test_bad_log_level_fails_naming_the_key(in_empty_dir: Path) -> None:
    assert config_error(overrides={"logging.level": "LOUD"}).startswith("config: logging.level: ")


def test_override_without_section_fails(in_empty_dir: Path) -> None:
    assert config_error(overrides={"timezone": "UTC"}).startswith("config: timezone: ")


def test_toml_syntax_error_is_one_line_naming_the_file(tmp_path: Path, in_empty_dir: Path) -> None:
    config = write(tmp_path / "broken.toml", '[bot\ntimezone = "UTC"\n')
    message = config_error(config_file=config)
    assert str(config) in message and "line 1" in message


def test_unparsable_environment_section_is_blamed_on_the_environment_not_the_file(
    in_empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDPROP_TELEGRAM", "not json")
    message = config_error()
    assert message.startswith("config: environment: "), message
    assert "telegram" in message and "config.toml" not in message


def test_missing_config_file_fails(tmp_path: Path, in_empty_dir: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    message = config_error(config_file=missing)
    assert str(missing) in message and "does not exist" in message


def test_missing_config_file_on_the_command_line_exits_with_one_line(
    tmp_path: Path, in_empty_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.toml"
    assert cli_main(["--config", str(missing), "db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"config: file {missing} does not exist"]


# --- the token is a secret ---------------------------------------------------------------------


def test_token_never_shows_in_repr_str_or_dump(in_empty_dir: Path) -> None:
    settings = load_settings(overrides={"telegram.token": TOKEN})
    assert isinstance(settings.telegram.token, SecretStr)
    assert settings.telegram.token.get_secret_value() == TOKEN
    shown = [
        repr(settings),
        str(settings),
        repr(settings.telegram),
        str(settings.telegram),
        repr(settings.telegram.token),
        str(settings.telegram.token),
        f"{settings.telegram.token}",
        str(settings.model_dump()),
        str(settings.model_dump(mode="json")),
        settings.model_dump_json(),
        settings.telegram.model_dump_json(),
    ]
    for text in shown:
        assert TOKEN not in text
        assert "AAHsecret" not in text


def test_the_assessment_scheme_comes_from_the_named_file(tmp_path: Path) -> None:
    scheme_file = tmp_path / "scheme.toml"
    scheme_file.write_text(
        'version = "test-2027"\nred_list_size = 3\n'
        "[service.satisfaction]\npoints = 30\nfloor = 0.5\nfull = 0.9\n",
        encoding="utf-8",
    )
    settings = load_settings(overrides={"assessment.file": str(scheme_file)})
    scheme = settings.assessment.scheme
    assert (scheme.version, scheme.red_list_size) == ("test-2027", 3)
    assert scheme.service["satisfaction"].points == Decimal("30")
    assert scheme.service["satisfaction"].floor == Decimal("0.5")
    assert scheme.service["resolution"].points == Decimal("12")  # not given: Lingshanwei's


def test_the_shipped_scheme_file_is_lingshanwei_s_defaults() -> None:
    settings = load_settings(overrides={"assessment.file": "examples/assessment-lingshanwei.toml"})
    assert settings.assessment.scheme == AssessmentScheme()
    assert (settings.assessment.scheme.service_points, settings.assessment.scheme.participation_points) == (
        60,
        40,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[service.satisfaction]\npoints = 25\nfloor = 0.9\nfull = 0.6\n", "floor must be below full"),
        ("red_list_size = -1\n", "greater than or equal to 0"),
        ("colour = 'red'\n", "unknown key"),
    ],
)
def test_a_bad_scheme_stops_the_start_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    scheme_file = tmp_path / "scheme.toml"
    scheme_file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(overrides={"assessment.file": str(scheme_file)})
    assert str(error.value).startswith(f"config: assessment: file {scheme_file}: ")
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_a_config_file_from_before_retry_for_still_loads(
    in_empty_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (in_empty_dir / "config.toml").write_text("[outbox]\nmax_attempts = 5\nrate = 20\n", encoding="utf-8")
    settings = load_settings()
    assert (settings.outbox.rate, settings.outbox.retry_for) == (20.0, timedelta(hours=24))
    assert "outbox.max_attempts is no longer used" in caplog.text
