"""Targets for replay processes in tests: importable by name, as a spawned process needs."""

from __future__ import annotations

import os
from typing import Any

from ledger._replay_processes import Partition, PartitionMisplaced


def counts_to(total: int, done: Any) -> int:
    for _ in range(total):
        done.value += 1
    return total


def fails(_total: int, _done: Any) -> int:
    raise RuntimeError("the replay broke")


def finds_a_misfiled_event(_total: int, _done: Any) -> int:
    raise PartitionMisplaced()


def dies(_total: int, _done: Any) -> int:
    os._exit(3)


def args_of(total: int) -> Any:
    def args(_partition: Partition, done: Any) -> tuple[Any, ...]:
        return (total, done)

    return args
