"""An in-process Bot API: a ``BaseRequest`` the real ``Application`` talks to instead of HTTP."""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.sandbox.telegram import FakeTelegram
from bot.telegram_http import PLAIN_TRUE
from handlers.replies import answer_is_unused


class FakeRequest(BaseRequest):
    """Hands every request to a :class:`FakeTelegram` and returns its answer as Telegram's JSON.

    Inside :func:`handlers.replies.answer_unused` a successful call answers plain ``true``, as the
    bot's HTTP client does, so code that reads such an answer fails in tests too.
    """

    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        status, body = self.telegram.answer(api_method, params)
        if status == 200 and answer_is_unused():
            return status, PLAIN_TRUE
        return status, json.dumps(body).encode()
