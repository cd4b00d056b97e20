"""The stand-in's webhook: once the bot calls ``setWebhook``, updates are posted to it.

:class:`WebhookDelivery` posts as Telegram does: with the secret token in
``X-Telegram-Bot-Api-Secret-Token``, on up to ``max_connections`` connections at once, and one
chat's updates one at a time, the next only after the bot answered the one before. An update
the bot does not take (no answer, or a 5xx) is posted again shortly, as Telegram retries; one
refused otherwise (403 for a wrong secret) is dropped. Every answer's status is kept.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_PAUSE = 0.1
ChatKey = int | str


def chat_key(update: dict[str, Any]) -> ChatKey:
    """Whose queue an update joins at Telegram: its sender's, else its chat's."""
    for value in update.values():
        if isinstance(value, dict):
            sender = value.get("from") or value.get("user") or {}
            chat = value.get("chat") or {}
            if "id" in sender:
                return int(sender["id"])
            if "id" in chat:
                return int(chat["id"])
    return "other"


class WebhookDelivery:
    """Posts updates to the bot's webhook, chats in parallel and each chat in order."""

    def __init__(self, url: str, secret_token: str, *, max_connections: int = 40) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path or "/"
        self.secret_token = secret_token
        self.statuses: list[int] = []  # every answer the bot gave, in the order they came
        self.delivered: list[dict[str, Any]] = []  # the updates it took (200), in that order
        self._lock = threading.Lock()
        self._queues: dict[ChatKey, deque[dict[str, Any]]] = {}
        self._pool = ThreadPoolExecutor(max_connections, thread_name_prefix="fake-webhook")
        self._local = threading.local()
        self._closed = False

    def deliver(self, update: dict[str, Any]) -> None:
        key = chat_key(update)
        with self._lock:
            queue = self._queues.get(key)
            if queue is not None:  # a worker is draining this chat: it takes this one next
                queue.append(update)
                return
            self._queues[key] = deque([update])
        self._pool.submit(self._drain, key)

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _drain(self, key: ChatKey) -> None:
        while not self._closed:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                update = queue[0]
            status = self._post(update)
            if status is None or status >= 500:
                time.sleep(RETRY_PAUSE)  # Telegram tries again later
                continue
            with self._lock:
                queue.popleft()
                if status == 200:
                    self.delivered.append(update)

    def _post(self, update: dict[str, Any]) -> int | None:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self._local.connection = connection
        body = json.dumps(update).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: self.secret_token}
        try:
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self._local.connection = None
            return None
        with self._lock:
            self.statuses.append(response.status)
        return response.status
