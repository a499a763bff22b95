"""Token buckets per key (a bearer token, a client address): how many mutations, how fast."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Bucket", "MutationRates", "RateLimiter", "admit"]

# Above this many keys, buckets that have refilled completely are forgotten: a full bucket
# is what a new key gets anyway, so forgetting it changes no answer and bounds the memory.
MAX_KEYS = 50_000


@dataclass
class Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``per_minute`` actions per key, in bursts of up to a minute's worth.

    One process, one event loop: no lock is needed, nothing awaits between reading and
    taking a token. Behind several processes each has its own buckets.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.buckets: dict[str, Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _refilled(self, key: str, now: float) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_KEYS:
                self._forget_full(now)
            bucket = self.buckets[key] = Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        return bucket

    def _forget_full(self, now: float) -> None:
        for key, bucket in list(self.buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.capacity:
                del self.buckets[key]

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may act again; 0 when it may act now."""
        if not self.enabled:
            return 0.0
        bucket = self._refilled(key, self.clock())
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate

    def take(self, key: str) -> None:
        if self.enabled:
            self._refilled(key, self.clock()).tokens -= 1


def admit(limits: Sequence[tuple[RateLimiter, str]]) -> int:
    """Take one token from every (limiter, key) if all have one; else the Retry-After seconds.

    Nothing is taken when any of them refuses, so a refused request costs the caller nothing.
    """
    wait = max((limiter.wait(key) for limiter, key in limits), default=0.0)
    if wait > 0:
        return max(1, math.ceil(wait))
    for limiter, key in limits:
        limiter.take(key)
    return 0


@dataclass(frozen=True)
class MutationRates:
    """The buckets mutations are counted in: one per bearer token, one per client address."""

    per_token: RateLimiter
    per_address: RateLimiter

    @classmethod
    def per_minute(cls, per_token: int, per_address: int) -> MutationRates:
        return cls(RateLimiter(per_token), RateLimiter(per_address))

    def admit(self, token_id: str | None, address: str | None) -> int:
        """0 when the mutation may run (its tokens taken), else the Retry-After seconds."""
        limits = [(self.per_address, address or "unknown")]
        if token_id is not None:
            limits.append((self.per_token, token_id))
        return admit(limits)
