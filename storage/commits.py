"""Whether the update being handled has committed a write: the error handler's question.

An update that fails after its write transaction committed (a case accepted, then the card's
edit refused) did what the user asked; telling them "something went wrong" would make them
try again. :func:`start_counting` is called as each update begins (handlers/errors.py), every
committed :meth:`storage.database.Database.write` counts (:func:`note_commit`), and the error
handler asks :func:`committed_since_start`. The count lives in a context variable: each update
runs in a task of its own, so updates handled at the same time do not see each other's commits.
"""

from __future__ import annotations

from contextvars import ContextVar

_commits: ContextVar[list[int] | None] = ContextVar("redprop_commits", default=None)


def start_counting() -> None:
    """From now on, in this task, count the write transactions that commit."""
    _commits.set([0])


def note_commit() -> None:
    box = _commits.get()
    if box is not None:
        box[0] += 1


def committed_since_start() -> bool:
    """Whether a write transaction committed since :func:`start_counting` in this task."""
    box = _commits.get()
    return box is not None and box[0] > 0
