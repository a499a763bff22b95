"""Targets for replay processes in tests: importable by name, as a spawned process needs."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ledger._replay_processes import Handoff, Partition, PartitionMisplaced


def counts_to(total: int, handoff: Handoff) -> int:
    for _ in range(total):
        handoff.done.value += 1
    return total


def fails(_total: int, _done: Any) -> int:
    raise RuntimeError("the replay broke")


def finds_a_misfiled_event(_total: int, _done: Any) -> int:
    raise PartitionMisplaced()


def dies(_total: int, _done: Any) -> int:
    os._exit(3)


def args_of(total: int) -> Any:
    def args(_partition: Partition, handoff: Handoff) -> tuple[Any, ...]:
        return (total, handoff)

    return args


def waits_for_its_start(_total: int, handoff: Handoff) -> int:
    """Says it is ready, waits to be told where to start, and counts that position."""
    after = asyncio.run(handoff.started_after())
    handoff.done.value += after
    return after
