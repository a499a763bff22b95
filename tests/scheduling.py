"""The order the suite runs in: the long tests first, spread over the workers.

With two workers, a test of two minutes that starts near the end decides when the run ends.
``pytest-xdist``'s ``worksteal`` scheduling gives each worker an equal slice of the collection,
in order, and lets an idle worker take from the end of a busy one's slice. So each slice here
starts with its share of the tests marked ``long`` (longest first, each to the slice with the
least so far), and the other tests follow in their own order.
"""

from __future__ import annotations

import pytest

__all__ = ["long_tests_first"]


def _seconds(item: pytest.Item) -> int:
    marker = item.get_closest_marker("long")
    return int(marker.args[0]) if marker is not None else 0


def _slice_sizes(total: int, workers: int) -> list[int]:
    """The slices ``worksteal`` first hands out: each idle worker an equal share of the rest."""
    sizes = []
    for remaining in range(workers, 0, -1):
        sizes.append(total // remaining)
        total -= sizes[-1]
    return sizes


def long_tests_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    long = sorted((i for i in items if _seconds(i)), key=_seconds, reverse=True)
    others = [i for i in items if not _seconds(i)]
    slices: list[list[pytest.Item]] = [[] for _ in range(max(workers, 1))]
    loads = [0] * len(slices)
    for item in long:
        lightest = loads.index(min(loads))
        slices[lightest].append(item)
        loads[lightest] += _seconds(item)
    for size, taken in zip(_slice_sizes(len(items), len(slices)), slices, strict=True):
        fill = max(size - len(taken), 0)
        taken.extend(others[:fill])
        del others[:fill]
    slices[-1].extend(others)
    return [item for taken in slices for item in taken]
