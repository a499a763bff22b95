"""The read side's background tasks (learning new positions, the live fan-out), stopped one way."""

from __future__ import annotations

import asyncio

__all__ = ["stop_task"]


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` (if it was started) and wait until it has ended: its cancellation is
    what was asked for, not an error. The caller's own cancellation, if one comes while it
    waits (a timeout around a shutdown), is not swallowed with it."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
