"""The names of a replay's fresh tables: each live view's name and the replay's suffix,
``<view>_replay_<hex>``; the suffix names the replay's claim too (``ledger.replay.claims``)."""

from __future__ import annotations

import re
import uuid

from ledger.projections.tables import ViewTables, live_views

__all__ = ["SUFFIX", "new_suffix", "suffix_hex", "suffix_of"]

_HEX_DIGITS = 8
SUFFIX = re.compile(rf"_replay_([0-9a-f]{{{_HEX_DIGITS}}})$")


def new_suffix() -> str:
    """The name ending of a new replay's tables."""
    return f"_replay_{uuid.uuid4().hex[:_HEX_DIGITS]}"


def suffix_hex(suffix: str) -> int:
    """The number a suffix ends with."""
    match = SUFFIX.search(suffix)
    assert match is not None, suffix
    return int(match.group(1), 16)


def suffix_of(fresh: ViewTables) -> str:
    """The suffix of a replay's fresh tables."""
    return fresh.article_views.name.removeprefix(live_views.article_views.name)
