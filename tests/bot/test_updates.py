"""Updates of different users run at the same time; one user's updates one after another, in order."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.sandbox.updates import TelegramUser, message_update
from bot.updates import MAX_WAITING_PER_USER, PerUserUpdates
from tests.factories.ids import stranger

ALICE = TelegramUser(stranger(1), "Alice", "en")
BOB = TelegramUser(stranger(2), "Bob", "en")


def update(user: TelegramUser, number: int) -> Update:
    return Update.de_json({"update_id": number, **message_update(user, f"step {number}")}, None)


async def test_one_users_updates_run_in_arrival_order_and_never_overlap() -> None:
    processor = PerUserUpdates(max_concurrent_updates=8)
    log: list[str] = []

    async def handle(number: int, pause: float) -> None:
        log.append(f"start {number}")
        await asyncio.sleep(pause)
        log.append(f"end {number}")

    # The first step takes longest: a plain concurrent processor would finish it last.
    pauses = [0.05, 0.0, 0.02, 0.0]
    await asyncio.gather(
        *(processor.process_update(update(ALICE, n), handle(n, pause)) for n, pause in enumerate(pauses))
    )
    assert log == [f"{what} {n}" for n in range(4) for what in ("start", "end")]


async def test_different_users_run_at_the_same_time() -> None:
    processor = PerUserUpdates(max_concurrent_updates=8)
    both_running = asyncio.Event()
    running: set[int] = set()

    async def handle(user: TelegramUser) -> None:
        running.add(user.id)
        if running == {ALICE.id, BOB.id}:
            both_running.set()
        # Alice's update waits for Bob's to have started: handled one at a time, this would hang.
        await asyncio.wait_for(both_running.wait(), timeout=2)

    await asyncio.gather(
        processor.process_update(update(ALICE, 1), handle(ALICE)),
        processor.process_update(update(BOB, 2), handle(BOB)),
    )
    assert both_running.is_set()


async def test_no_more_than_the_limit_run_at_once_and_queues_are_let_go() -> None:
    processor = PerUserUpdates(max_concurrent_updates=2)
    running = 0
    most = 0

    async def handle() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    users = [TelegramUser(stranger(3 + n), f"U{n}", "en") for n in range(6)]
    await asyncio.gather(*(processor.process_update(update(u, n), handle()) for n, u in enumerate(users)))
    assert most == 2
    assert not processor._queues  # no per-user lock outlives the user's last update


async def test_a_flooding_user_is_cut_off_and_others_go_on() -> None:
    processor = PerUserUpdates(max_concurrent_updates=8)
    handled: list[str] = []
    gate = asyncio.Event()

    async def slow(name: str) -> None:
        await gate.wait()
        handled.append(name)

    async def quick(name: str) -> None:
        handled.append(name)

    flood = [
        asyncio.ensure_future(processor.process_update(update(ALICE, n), slow(f"alice {n}")))
        for n in range(100)
    ]
    await asyncio.sleep(0)
    await processor.process_update(update(BOB, 1000), quick("bob"))
    assert handled == ["bob"]  # Bob is not held up behind Alice's flood
    gate.set()
    await asyncio.gather(*flood)
    alice = [name for name in handled if name.startswith("alice")]
    assert alice == [f"alice {n}" for n in range(MAX_WAITING_PER_USER)]  # the first ones, in order
    assert processor.dropped == 100 - MAX_WAITING_PER_USER
