"""The read side's background tasks (learning new positions, the live fan-out), stopped one way."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["stop_task"]


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` (if it was started) and wait until it has ended: its cancellation is
    what was asked for, not an error."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
