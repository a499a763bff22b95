"""Search rank keys: integers a cursor can carry exactly, the same on every backend."""

from __future__ import annotations

__all__ = ["EXACT_RANK", "RANK_LIMIT", "RANK_SCALE"]

# Rank keys are integers in [0, RANK_LIMIT): a relevance scaled to millionths, with
# exact identifier matches above every text match.
RANK_SCALE = 1_000_000
RANK_LIMIT = 2**62
EXACT_RANK = RANK_LIMIT - 1
