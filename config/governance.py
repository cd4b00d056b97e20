"""The settings of the governance loop around the cases: escalation, the assessment, the fund."""

from __future__ import annotations

import tomllib
from datetime import timedelta, tzinfo
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator

from config.values import Duration, Section, category_durations, clock_range, known_categories, quiet_range
from models.assessment.scheme import AssessmentScheme
from models.escalation.rules import DEFAULT_URGENT, EscalationRules
from models.fund.money import FEN_PER_YUAN, MAX_FEN
from models.fund.tables import FundType
from models.surveys.scheduling import QuietHours


class EscalationSettings(Section):
    """Deadlines that escalate (models/escalation): every timing per report category."""

    # The owner's reminder, at this share of the time from the report to each deadline.
    remind_at: dict[str, float] = Field(default_factory=lambda: {"default": 0.75})
    # From a missed response deadline (level 2) to the street office (level 3).
    response_delay: dict[str, Duration] = category_durations(
        {"default": "24h"} | dict.fromkeys(DEFAULT_URGENT, "2h")
    )
    # From a missed resolution deadline (level 2) to the street office (level 3).
    resolution_delay: dict[str, Duration] = category_durations({"default": "24h"})
    # These categories' reminders and escalations go out at any hour; the others wait out quiet_hours.
    urgent: list[str] = Field(default_factory=lambda: list(DEFAULT_URGENT))
    quiet_hours: str = "21:00-08:00"
    check_interval: Duration = timedelta(seconds=30)

    @field_validator("response_delay", "resolution_delay")
    @classmethod
    def _delay_categories(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        return known_categories(value)

    @field_validator("remind_at")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        known_categories({key: timedelta(0) for key in value})
        if any(not 0 < share < 1 for share in value.values()):
            raise ValueError("a share of the time between 0 and 1, such as 0.75")
        return value

    @field_validator("urgent")
    @classmethod
    def _urgent_categories(cls, value: list[str]) -> list[str]:
        known_categories({key: timedelta(0) for key in [*value, "default"]})
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _clock_range(cls, value: str) -> str:
        return clock_range(value)

    def rules(self, tz: tzinfo) -> EscalationRules:
        """These settings as the domain takes them."""
        quiet = quiet_range(self.quiet_hours)
        return EscalationRules(
            remind_at=self.remind_at,
            response_delay=self.response_delay,
            resolution_delay=self.resolution_delay,
            urgent=frozenset(self.urgent),
            quiet=QuietHours(quiet[0], quiet[1], tz).next_allowed if quiet is not None else None,
        )


class AssessmentSettings(AssessmentScheme):
    """The ``[assessment]`` section: the scheme itself, or ``file``, a TOML file that holds it."""

    file: str = ""

    @model_validator(mode="after")
    def _scheme_file_readable(self) -> AssessmentSettings:
        if self.file:
            self.scheme  # noqa: B018  (read and checked at start, not at the first assessment)
        return self

    @property
    def scheme(self) -> AssessmentScheme:
        """The scheme in force: the file's if one is named, else this section's."""
        if not self.file:
            return AssessmentScheme(**self.model_dump(exclude={"file"}))
        try:
            data = tomllib.loads(Path(self.file).read_text(encoding="utf-8"))
            return AssessmentScheme(**data)
        except ValidationError as error:
            first = error.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            problem = (
                "unknown key"
                if first["type"] == "extra_forbidden"
                else first["msg"].removeprefix("Value error, ")
            )
            raise ValueError(f"file {self.file}: {key}: {problem}") from None
        except (OSError, ValueError) as error:
            raise ValueError(f"file {self.file}: {error}") from None


class FundSettings(Section):
    # Each fund type's yearly budget in whole yuan, until the office sets the year's own.
    budget: dict[str, int] = Field(default_factory=lambda: {fund_type.value: 0 for fund_type in FundType})
    # The amount of each reward draft proposed from a final quarter's red list, in whole yuan.
    red_list_reward: int = Field(default=10000, ge=1, le=100_000_000)

    @field_validator("budget")
    @classmethod
    def _known_types(cls, value: dict[str, int]) -> dict[str, int]:
        allowed = {fund_type.value for fund_type in FundType}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown fund type {unknown[0]!r}; use one of {', '.join(sorted(allowed))}")
        if any(amount < 0 or amount * FEN_PER_YUAN > MAX_FEN for amount in value.values()):
            raise ValueError("a budget is a whole number of yuan from 0 to 100000000")
        return value

    @property
    def budget_fen(self) -> dict[str, int]:
        """The budgets as the domain takes them: integer fen per fund type."""
        return {fund_type: amount * FEN_PER_YUAN for fund_type, amount in self.budget.items()}
