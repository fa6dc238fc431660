"""Running a blocking service call in a worker thread while its graph updates reach the
event loop as they happen (so tool steps and the answer show up live)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tradepit.agent.streaming import Listener

T = TypeVar("T")
OnUpdate = Callable[[str, dict[str, Any]], Awaitable[None]]

_DONE = object()


async def run_streamed(call: Callable[[Listener], T], on_update: OnUpdate) -> T:
    """Run ``call(listener)`` in a thread; every ``listener(node, update)`` it makes is
    awaited as ``on_update(node, update)`` on this loop, in order, before this returns
    the call's result (or raises its exception)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def listener(node: str, update: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (node, update))

    def run() -> T:
        try:
            return call(listener)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)

    task = asyncio.ensure_future(asyncio.to_thread(run))
    try:
        while (item := await queue.get()) is not _DONE:
            await on_update(*item)
    finally:
        if not task.done():
            await asyncio.wait([task])
    return task.result()
