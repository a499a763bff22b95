"""A page of a list, the same for every list in the API: how many items its ``first``
asks for, and its ``PageInfo`` (Relay's connection specification)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from strawberry import relay

from graph.schema.errors import BadInput

__all__ = ["page_info", "page_size"]


def page_size(first: int | None, default: int, maximum: int) -> int:
    """``first``, or ``default`` when it is not given; refused outside 0 to ``maximum``."""
    size = default if first is None else first
    if not 0 <= size <= maximum:
        raise BadInput(f"`first` must be from 0 to {maximum}", "first")
    return size


class Edge(Protocol):
    @property
    def cursor(self) -> str: ...


def page_info(edges: Sequence[Edge], *, more: bool, after_start: bool) -> relay.PageInfo:
    """``edges``: the page's, in order; ``after_start``: whether the page begins after the
    list's start (there is a page before it)."""
    return relay.PageInfo(
        has_next_page=more,
        has_previous_page=after_start,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
