"""Webhook mode end to end: the real ``redprop run --webhook`` with the fake Bot API posting updates.

The fake Bot API posts like Telegram (bot/sandbox/webhook.py): the secret token in its header,
many chats at once, and one chat's updates one after another.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox.updates import TelegramUser, message_update
from bot.sandbox.webhook import SECRET_HEADER
from tests.e2e.conftest import BotProcess, BotRunner
from tests.factories.ids import stranger
from tests.fakes.server import FakeBotApiServer

SECRET = "s3cret-Webhook_token"
PATH = "/telegram"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_webhook(bot: BotRunner, *run_args: str, **env: str) -> tuple[BotProcess, str]:
    """Start the bot in webhook mode on a free port; the process and its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = bot.start(
        run_args=("--webhook", *run_args),
        REDPROP_TELEGRAM__WEBHOOK_URL=base + PATH,
        REDPROP_TELEGRAM__WEBHOOK_PORT=str(port),
        REDPROP_TELEGRAM__WEBHOOK_SECRET_TOKEN=SECRET,
        **env,
    )
    return process, base


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def handled(page: str, metric: str = "redprop_updates_handled_total") -> dict[str, float]:
    """Updates handled by handler, from a /metrics page (every handler is listed, from 0)."""
    return {
        sample.labels["handler"]: sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
        if sample.name == metric
    }


def test_webhook_is_set_with_the_secret_and_refuses_requests_without_it(
    bot: BotRunner, fake_api: FakeBotApiServer
) -> None:
    process, base = start_webhook(bot)
    setting = fake_api.telegram.calls_of("setWebhook")[-1].params
    assert setting["url"] == base + PATH
    assert setting["secret_token"] == SECRET
    alice = TelegramUser(stranger(1), "Alice", "en")

    mark = fake_api.mark()
    assert post(base + PATH, {"update_id": 900001, **message_update(alice, "/start")}, {}) == 403
    wrong = {SECRET_HEADER: "not-the-secret"}
    assert post(base + PATH, {"update_id": 900002, **message_update(alice, "/start")}, wrong) == 403
    right = {SECRET_HEADER: SECRET}
    assert post(base + PATH, {"not": "an update"}, right) == 400
    help_update = {"update_id": 900003, **message_update(alice, "/help")}
    assert post(base + PATH, help_update, right) == 200
    # Posted again (as Telegram does when an answer is lost): taken once.
    assert post(base + PATH, help_update, right) == 200
    assert fake_api.wait_for_text(alice.id, "Commands:", since=mark)

    # Updates the fake Telegram posts (with the secret) are handled like polled ones.
    fake_api.push(message_update(alice, "/start"))
    assert fake_api.wait_for_text(alice.id, "Welcome", since=mark).startswith("Hello, Alice!")
    # Handled after the others (one user's updates go in order), so they were all handled by now:
    # /help once, and no /start from the requests without the secret.
    answers = [
        text for text in fake_api.texts_to(alice.id, since=mark) if "Commands:" in text or "Welcome" in text
    ]
    assert len(answers) == 2 and answers[0].startswith("Commands:") and "Welcome" in answers[1]
    assert fake_api.webhook is not None and set(fake_api.webhook.statuses) == {200}

    # The same port serves /healthz and /metrics.
    status, body = get(base + "/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["database"] == {"reachable": True}
    assert health["bot_api"]["last_success_at"] is not None  # the answers just sent
    status, page = get(base + "/metrics")
    assert status == 200
    counts = handled(page)
    assert (counts["start.help_command"], counts["start.start"]) == (1, 1)
    timed = handled(page, "redprop_handler_seconds_count")
    assert (timed["start.help_command"], timed["start.start"]) == (1, 1)
    assert handled(page, "redprop_handler_seconds_sum")["start.start"] > 0
    assert "redprop_cases_opened_total 0.0" in page

    assert process.stop() == 0
    # The webhook stays: Telegram keeps the updates of a restart for the next start.
    assert not fake_api.telegram.calls_of("deleteWebhook")
    assert SECRET not in process.stderr
    assert "webhook request without the right secret token" in process.stderr


def test_the_webhook_is_deleted_on_stop_only_when_asked(bot: BotRunner, fake_api: FakeBotApiServer) -> None:
    process, _base = start_webhook(bot, "--delete-webhook-on-stop")
    assert process.stop() == 0
    assert len(fake_api.telegram.calls_of("deleteWebhook")) == 1


def test_each_chats_updates_are_handled_in_order_while_chats_are_delivered_at_once(
    bot: BotRunner, fake_api: FakeBotApiServer
) -> None:
    process, _base = start_webhook(bot)
    users = [TelegramUser(stranger(n), f"User {n}", "en") for n in range(1, 21)]
    commands = ["/start", "/help"] * 3
    mark = fake_api.mark()
    for command in commands:
        for user in users:
            fake_api.push(message_update(user, command))

    def answered(user: TelegramUser) -> list[str]:
        """Which command each answer was to: the greeting, or the list of commands."""
        texts = fake_api.texts_to(user.id, since=mark)
        return [
            "/start" if "Welcome" in text else "/help"
            for text in texts
            if "Welcome" in text or "Commands:" in text
        ]

    def answered_all() -> bool:
        return all(len(answered(user)) >= len(commands) for user in users)

    fake_api.wait_for(answered_all, timeout=60, what="an answer to every update")
    for user in users:
        assert answered(user) == commands, user.id
    assert process.stop() == 0


def test_a_webhook_without_a_secret_token_does_not_start(bot: BotRunner) -> None:
    result = bot.cli(
        "run", "--webhook", env=bot.env(REDPROP_TELEGRAM__WEBHOOK_URL="https://bot.example.org/t")
    )
    assert result.returncode == 2
    # One line, in the default language (bot.default_locale, zh_CN).
    assert result.stderr.splitlines() == [
        "Webhook 模式需要设置 telegram.webhook_secret_token（字母、数字、_ 和 -），"
        "最好通过环境变量 REDPROP_TELEGRAM__WEBHOOK_SECRET_TOKEN 设置。"
    ]


def test_polling_serves_health_and_metrics_on_the_port_asked_for(
    bot: BotRunner, fake_api: FakeBotApiServer
) -> None:
    port = free_port()
    process = bot.start(REDPROP_HEALTH__PORT=str(port))
    alice = TelegramUser(stranger(1), "Alice", "en")
    fake_api.push(message_update(alice, "/help"))
    fake_api.wait_for_text(alice.id, "Commands:")
    status, body = get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200 and json.loads(body)["database"] == {"reachable": True}
    assert json.loads(body)["bot_api"]["last_success_at"] is not None  # getUpdates answered
    counts = handled(get(f"http://127.0.0.1:{port}/metrics")[1])
    assert {name: count for name, count in counts.items() if count} == {"start.help_command": 1}
    assert counts["report.start_report"] == 0
    assert process.stop() == 0
