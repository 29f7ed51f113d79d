"""Waiting that ends on time: cancellation that sticks, sleeps that a stop cuts short."""

from __future__ import annotations

import asyncio


async def cancel_and_wait(tasks: list[asyncio.Task]) -> None:
    """Cancel tasks and wait until they have ended.

    Cancels again while one lives on: on Python 3.11 `asyncio.wait_for` swallows a
    cancellation that arrives just as the awaited result does (gh-86296).
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
