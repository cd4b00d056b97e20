"""Two ``redprop run`` processes on one PostgreSQL database: one active, one hot standby.

The second waits on the advisory lock (bot/instances.py) without polling, running jobs or
starting an outbox worker. 500 surveys fall due while the first is active; it is killed
(SIGKILL) halfway through sending them, the standby takes over, and every resident gets their
survey exactly once, each survey claimed by one job run of one process.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, OutboxStatus
from models.surveys.tables import Survey, SurveyStatus
from storage.database import Database
from tests.e2e.case_loop import import_street
from tests.e2e.conftest import START_TIMEOUT, BotProcess, BotRunner
from tests.e2e.survey_setup import resolve_cases, surveys_delivered
from tests.factories.ids import new_resident
from tests.fakes.server import FakeBotApiServer

SURVEYS = 500
TAKEOVER_AFTER = 2.0  # seconds: bot.takeover_after in this test
ENV = {
    "REDPROP_SURVEYS__CHECK_INTERVAL": "1s",
    "REDPROP_SURVEYS__QUIET_HOURS": "",
    "REDPROP_OUTBOX__RATE": "30",
    "REDPROP_BOT__TAKEOVER_AFTER": f"{int(TAKEOVER_AFTER)}s",
}


def surveys_claimed(process: BotProcess) -> int:
    """The surveys the process's survey job sent, from its log lines."""
    return sum(int(number) for number in re.findall(r"surveys: (\d+) sent", process.stderr))


def survey_rows(database_url: str) -> tuple[dict[str, int], list[int]]:
    """Surveys by status, and the case of each queued question (one per case if none was queued twice)."""

    async def read() -> tuple[dict[str, int], list[int]]:
        database = Database(database_url)
        try:
            async with database.read() as session:
                statuses = await session.exec(
                    select(Survey.status, func.count(col(Survey.id))).group_by(Survey.status)
                )
                asked = await session.exec(
                    select(OutboxMessage.case_id)
                    .where(OutboxMessage.kind == OutboxKind.SURVEY_ASK)
                    .where(OutboxMessage.status == OutboxStatus.SENT)
                )
                return {str(status): count for status, count in statuses}, [int(case or 0) for case in asked]
        finally:
            await database.dispose()

    return asyncio.run(read())


def test_two_instances_send_each_survey_once_and_the_standby_takes_over(
    bot: BotRunner, fake_api: FakeBotApiServer, postgres_url: str
) -> None:
    import_street(postgres_url)
    first = bot.start(**ENV)
    second = bot.start_standby(**ENV)
    residents = [new_resident(number) for number in range(1, SURVEYS + 1)]
    resolve_cases(postgres_url, [(tg, f"Resident {tg}") for tg in residents], survey_delay=timedelta(0))
    chats = set(residents)
    fake_api.wait_for(
        lambda: len(surveys_delivered(fake_api, chats)) >= SURVEYS // 4, timeout=60, what="a quarter sent"
    )
    # Until now the standby polled nothing, ran no job and started no outbox worker.
    assert "outbox worker started" not in second.stderr
    assert surveys_claimed(second) == 0

    polls = fake_api.polls
    first.process.kill()  # SIGKILL: its worker finishes what is on the wire and gives back the rest
    killed_at = time.monotonic()
    fake_api.wait_for(lambda: fake_api.polls > polls, timeout=START_TIMEOUT, what="the standby to poll")
    took_over = time.monotonic() - killed_at
    assert "standby: the active instance is gone; taking over" in second.stderr

    delivered = fake_api.wait_for(
        lambda: (counts := surveys_delivered(fake_api, chats)) and len(counts) == SURVEYS and counts,
        timeout=90,
        what="every survey",
    )
    time.sleep(2)  # more job runs and sender polls: still one each
    delivered = surveys_delivered(fake_api, chats)
    assert set(delivered) == chats and set(delivered.values()) == {1}
    statuses, asked = survey_rows(postgres_url)
    assert statuses == {SurveyStatus.SENT.value: SURVEYS}
    assert len(asked) == SURVEYS and len(set(asked)) == SURVEYS
    # Each due survey was claimed by exactly one job run, in one of the two processes.
    assert surveys_claimed(first) + surveys_claimed(second) == SURVEYS
    print(f"the standby polled {took_over:.2f}s after the active instance was killed")
    assert second.stop() == 0
