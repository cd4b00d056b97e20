"""Logging: one line per event, and never the bot token.

httpx logs every request URL, and Bot API URLs contain the token, so its INFO chatter is
silenced and, as a second guard, every formatted line is scrubbed of anything that looks
like a token before it is written.
"""

from __future__ import annotations

import logging
import re
import sys

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Writes each record on one line with secrets replaced."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        line = _TOKEN_SHAPE.sub(REDACTED, line)
        # A traceback stays one event: its lines are joined instead of spilling over.
        return line.replace("\r", "").replace("\n", " | ")


def setup_logging(level: str, *, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
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
