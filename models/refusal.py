"""The one refusal the domain raises: a message key and the parameters that fill it.

Every operation that will not do what it was asked raises :class:`Refused` and changes
nothing; the chat (or the command line) translates ``message`` in the reader's language and
fills its ``{placeholders}`` from ``params``.
"""

from __future__ import annotations

from typing import Any


class MessageId(str):
    """A parameter that is itself a message id (a status name, say), translated with the message."""


class Refused(Exception):
    """Not done: ``message`` is an ``N_`` message id, ``params`` fill its placeholders."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
