"""Replay processes: how a partition's process reports its progress, failure or death."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger.replay.processes import (
    Partition,
    PartitionMisplaced,
    ReplayWorkerFailed,
    started_partitions,
)
from tests.unit import replay_targets

OTHERS = [Partition(1, 3), Partition(2, 3)]
ROOT = Path(__file__).resolve().parents[2]


async def test_the_workers_progress_adds_up_to_what_they_replayed() -> None:
    advanced: list[int] = []
    async with started_partitions(
        replay_targets.counts_to, replay_targets.args_of(500), OTHERS, advanced.append
    ) as workers:
        await workers.wait()
    assert sum(advanced) == 1000


async def test_the_caller_waits_until_the_workers_are_ready() -> None:
    async with started_partitions(
        replay_targets.ready_after_a_while, replay_targets.args_of(5), OTHERS, None
    ) as workers:
        await workers.started()
        assert workers.ready()
        await workers.wait()


async def test_a_worker_that_dies_before_it_is_ready_is_not_waited_for() -> None:
    async with started_partitions(
        replay_targets.dies, replay_targets.args_of(1), OTHERS[:1], None
    ) as workers:
        await asyncio.wait_for(workers.started(), timeout=120)
        assert not workers.ready()
        with pytest.raises(ReplayWorkerFailed, match="ended with code 3"):
            await workers.wait()


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        (replay_targets.fails, ReplayWorkerFailed, "RuntimeError: the replay broke"),
        (replay_targets.dies, ReplayWorkerFailed, "ended with code 3"),
        (replay_targets.finds_a_misfiled_event, PartitionMisplaced, None),
    ],
    ids=["fails", "dies", "misfiled"],
)
async def test_a_worker_that_does_not_finish_its_partition_is_reported(
    target: Callable[[int, Any], int], error: type[Exception], message: str | None
) -> None:
    async with started_partitions(target, replay_targets.args_of(1), OTHERS[:1], None) as workers:
        with pytest.raises(error, match=message):
            await workers.wait()


SCRIPT = """
import asyncio
from ledger.replay.processes import Partition, started_partitions
from tests.unit import replay_targets

with open({marker!r}, "a") as runs:
    runs.write("ran\\n")


async def main():
    async with started_partitions(
        replay_targets.counts_to, replay_targets.args_of(5), [Partition(1, 2)], None
    ) as workers:
        await workers.wait()


asyncio.run(main())
"""


def test_a_script_that_starts_workers_is_not_run_again_in_them(tmp_path: Path) -> None:
    """No ``if __name__ == "__main__"`` guard: the script's top-level code runs once, not
    once more in each worker (which would start workers of its own, and fail)."""
    marker = tmp_path / "runs"
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(marker=str(marker)))
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}

    done = subprocess.run(
        [sys.executable, str(script)], env=environment, capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "ran\n"
