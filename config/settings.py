"""Configuration: built-in defaults < config.toml < REDPROP_* environment < command line.

Every key is documented in the shipped ``config.toml``. A bad value fails at start with one
line naming the key and what is allowed (see :func:`load_settings`).
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from config.governance import AssessmentSettings, EscalationSettings, FundSettings
from config.values import (
    CLOCK_TIME,
    Duration,
    Section,
    category_durations,
    clock_range,
    known_categories,
    per_category,
    quiet_range,
)
from models.cases.reporting import ReportRules

DEFAULT_CONFIG_FILE = Path("config.toml")
SUPPORTED_LOCALES = ("zh_CN", "en")

# What Telegram allows as a webhook's secret token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# The HTTP client for the Bot API (bot/telegram_http.py): aiohttp, or python-telegram-bot's own httpx.
HttpClient = Literal["aiohttp", "httpx"]


class TelegramSettings(Section):
    token: SecretStr = SecretStr("")
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    username: str = ""
    http_client: HttpClient = "aiohttp"
    # `redprop run --webhook` (bot/webhook.py): the public URL Telegram posts updates to, where
    # this process listens for them, and the secret Telegram sends with each.
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr = SecretStr("")

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("a URL starting with http:// or https://")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        return cls._http_url(value) if value else value

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_token(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and not _SECRET_TOKEN.match(value.get_secret_value()):
            raise ValueError("1 to 256 characters: letters, digits, _ and -")
        return value


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///data/redprop.db"
    busy_timeout: Duration = timedelta(seconds=30)

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("a URL starting with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class BotSettings(Section):
    timezone: str = "Asia/Shanghai"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    # For the sandbox and end-to-end tests: a file of seconds to add to the clock (models/clock.py).
    clock_file: str = ""
    # PostgreSQL: a standby instance takes over within about this long of the active one's end.
    takeover_after: Duration = Field(default=timedelta(seconds=15), ge=timedelta(seconds=1))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder in tzdata
            raise ValueError("an IANA time zone such as Asia/Shanghai") from None
        return value

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DirectorySettings(Section):
    invite_ttl: Duration = timedelta(days=14)


class CaseSettings(Section):
    max_text_length: int = Field(default=2000, ge=100, le=4000)
    max_photos: int = Field(default=5, ge=0, le=10)
    reports_per_hour: int = Field(default=5, ge=1)
    suggestions_per_hour: int = Field(default=5, ge=1)
    draft_expiry: Duration = timedelta(hours=2)
    # Per report category (see models/cases/categories.py), with "default" for the rest.
    response_due: dict[str, Duration] = category_durations({"default": "24h", "leak": "4h", "sewer": "4h"})
    resolution_due: dict[str, Duration] = category_durations(
        {"default": "7d", "leak": "3d", "sewer": "2d", "elevator": "2d", "ev_charging": "30d"}
    )

    @field_validator("response_due", "resolution_due")
    @classmethod
    def _known_categories(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        return known_categories(value)

    @property
    def report_rules(self) -> ReportRules:
        """These settings as the domain takes them (deadlines per category, the hourly limit)."""
        return ReportRules(
            response_due=self.response_due, resolution_due=self.resolution_due, per_hour=self.reports_per_hour
        )


class SurveySettings(Section):
    # How long after a resolution the survey is sent, per report category ("default" for the rest).
    delay: Annotated[dict[str, Duration], NoDecode, BeforeValidator(per_category)] = category_durations(
        {"default": "24h", "leak": "7d"}
    )
    reminder_after: Duration = timedelta(hours=24)
    expire_after: Duration = timedelta(days=7)
    # No survey message goes out in these local hours; "" for none.
    quiet_hours: str = "21:00-08:00"
    # How often the bot looks for due surveys, reminders and expiries.
    check_interval: Duration = timedelta(seconds=30)

    @field_validator("delay")
    @classmethod
    def _delay_categories(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        return known_categories(value)

    @field_validator("quiet_hours")
    @classmethod
    def _clock_range(cls, value: str) -> str:
        return clock_range(value)

    @property
    def quiet_range(self) -> tuple[time, time] | None:
        return quiet_range(self.quiet_hours)


class OutboxSettings(Section):
    # Whether this process runs the sender (tests and helper processes turn it off).
    enabled: bool = True
    # Messages per second over all chats; Telegram allows about 30.
    rate: float = Field(default=25.0, gt=0, le=30)
    # At most one message per chat per this long; Telegram allows about one a second.
    per_chat_interval: Duration = timedelta(seconds=1)
    # How long a message meeting timeouts, server errors or network errors is tried again, from
    # its first failure; then it is a dead letter (failed, or uncertain if it may have arrived).
    retry_for: Duration = timedelta(hours=24)
    # The longest pause between two tries (the pauses double from one second, with jitter).
    max_backoff: Duration = timedelta(minutes=5)
    # How long a claimed message stays reserved for one sender process.
    lease: Duration = timedelta(seconds=60)
    # Local time (bot.timezone) of the street office's daily delivery summary.
    summary_at: str = "09:00"

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, values: Any) -> Any:
        # max_attempts (config.toml before retry_for) is read and ignored, so an old file still starts.
        if isinstance(values, dict) and "max_attempts" in values:
            values = {key: value for key, value in values.items() if key != "max_attempts"}
            logging.getLogger("redprop").warning(
                "config: outbox.max_attempts is no longer used (outbox.retry_for replaced it); ignored"
            )
        return values

    @field_validator("summary_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not CLOCK_TIME.match(value):
            raise ValueError("a local time such as 09:00")
        return value.strip()

    @property
    def summary_time(self) -> time:
        hour, minute = (int(part) for part in self.summary_at.split(":"))
        return time(hour, minute)


class HealthSettings(Section):
    # In polling mode, /healthz and /metrics on a port of their own (0: not served); in
    # webhook mode they share the webhook's port.
    listen: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "text": one readable line per event; "json": one JSON object per line, for a log collector.
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseSettings):
    """The whole configuration of one Red Property bot."""

    model_config = SettingsConfigDict(
        env_prefix="REDPROP_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    directory: DirectorySettings = Field(default_factory=DirectorySettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    surveys: SurveySettings = Field(default_factory=SurveySettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    assessment: AssessmentSettings = Field(default_factory=AssessmentSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    fund: FundSettings = Field(default_factory=FundSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The command line arrives as init kwargs, so it wins over the environment and the file.
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file.get()),
        )


class ConfigError(Exception):
    """A configuration value that cannot be used; the message is one line for the operator."""


# The file the TOML source reads, set only while load_settings runs.
_config_file: ContextVar[Path | None] = ContextVar("config_file", default=None)


def _nest(overrides: dict[str, Any]) -> dict[str, Any]:
    """Turn ``{"database.url": x}`` into ``{"database": {"url": x}}``."""
    nested: dict[str, Any] = {}
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"config: {dotted}: write overrides as section.key=value")
        nested.setdefault(section, {})[key] = value
    return nested


def load_settings(config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load the settings, raising :class:`ConfigError` with one readable line on a bad value."""
    path = config_file if config_file is not None else DEFAULT_CONFIG_FILE
    if config_file is not None and not path.is_file():
        raise ConfigError(f"config: file {path} does not exist")
    token = _config_file.set(path if path.is_file() else None)
    try:
        return Settings(**_nest(overrides or {}))
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown key"
        raise ConfigError(f"config: {key}: {problem}") from None
    except SettingsError as error:  # e.g. REDPROP_TELEGRAM='not json': not the file's fault
        raise ConfigError(f"config: environment: {error}") from None
    except ValueError as error:  # TOML syntax errors
        raise ConfigError(f"config: {path}: {error}") from None
    finally:
        _config_file.reset(token)
