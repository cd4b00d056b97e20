"""Logging: one line per event, and never the bot token.

httpx logs every request URL, and Bot API URLs contain the token, so its INFO chatter is
silenced and, as a second guard, every formatted line is scrubbed of anything that looks
like a token before it is written.

``logging.format = "json"`` writes each event as one JSON object per line (JSON lines), for a
log collector: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, and ``exception``
with the traceback when there is one; scrubbed of the token in the same way.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Writes each record on one line with secrets replaced."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        # A traceback stays one event: its lines are joined instead of spilling over.
        return self.redact(super().format(record)).replace("\r", "").replace("\n", " | ")

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)


class JsonLinesFormatter(RedactingFormatter):
    """Writes each record as one JSON object on one line, with secrets replaced."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Redacted after encoding too: a secret split by JSON escaping cannot survive both.
        return self.redact(
            json.dumps({key: self.redact(value) for key, value in entry.items()}, ensure_ascii=False)
        )


def setup_logging(level: str, *, secrets: list[str], fmt: LogFormat = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter(secrets) if fmt == "json" else RedactingFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Request URLs carry the token; the redaction above is the second line of defence.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, logging.getLevelName(level)))
    # Alembic names its dialect and DDL mode at every start; only worth reading when debugging.
    logging.getLogger("alembic").setLevel(
        max(logging.WARNING, logging.getLevelName(level)) if level != "DEBUG" else logging.DEBUG
    )
