"""Targets for replay processes in tests: importable by name, as a spawned process needs."""

from __future__ import annotations

import os
import time
from typing import Any

from ledger.replay.processes import Partition, PartitionMisplaced, Shared


def counts_to(total: int, shared: Shared) -> int:
    shared.ready.value = 1
    for _ in range(total):
        shared.done.value += 1
    return total


def fails(_total: int, _done: Any) -> int:
    raise RuntimeError("the replay broke")


def finds_a_misfiled_event(_total: int, _done: Any) -> int:
    raise PartitionMisplaced()


def dies(_total: int, _done: Any) -> int:
    os._exit(3)


def args_of(total: int) -> Any:
    def args(_partition: Partition, shared: Shared) -> tuple[Any, ...]:
        return (total, shared)

    return args


def ready_after_a_while(total: int, shared: Shared) -> int:
    """Slow to start, as a worker importing the ledger on a busy machine."""
    time.sleep(0.5)
    return counts_to(total, shared)
