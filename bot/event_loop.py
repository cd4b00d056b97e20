"""The event loop the bot's processes run on: uvloop where it is installed, asyncio's otherwise.

uvloop (libuv, in C) runs the same coroutines with less CPU per socket read and callback, which
is most of what the bot does between its handlers. It is a dependency except on Windows, where
it does not exist; there the standard loop serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on :func:`new_event_loop`."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coroutine)
