"""The bot's clock: the system's, or moved forward through a file every process reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models import clock
from models.base import utcnow


@pytest.fixture
def clock_file(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "clock")
    clock.use_clock_file(path)
    yield path
    clock.use_clock_file(None)


def test_without_a_file_it_is_the_system_clock() -> None:
    before = datetime.now(UTC)
    assert before <= utcnow() <= datetime.now(UTC)


def test_moving_the_clock_moves_now_at_once(clock_file: str) -> None:
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=1)  # no file yet: no offset
    assert clock.move_clock(clock_file, timedelta(days=1)) == timedelta(days=1)
    assert timedelta(hours=23, minutes=59) < utcnow() - datetime.now(UTC) < timedelta(days=1, seconds=1)
    assert clock.move_clock(clock_file, timedelta(hours=2)) == timedelta(days=1, hours=2)
    assert timedelta(days=1, hours=1, minutes=59) < utcnow() - datetime.now(UTC)


def test_a_file_that_cannot_be_read_keeps_the_last_offset(clock_file: str) -> None:
    clock.move_clock(clock_file, timedelta(hours=5))
    assert utcnow() - datetime.now(UTC) > timedelta(hours=4)
    Path(clock_file).write_text("not a number", encoding="utf-8")
    assert utcnow() - datetime.now(UTC) > timedelta(hours=4)
