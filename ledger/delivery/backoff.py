"""When a failed delivery is tried again: exponential backoff with full jitter (AWS's
"Exponential Backoff and Jitter"), from an injectable random source so tests can fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Backoff", "Random"]

# A float in [0, 1): ``random.random`` in production, a fixed function in tests.
Random = Callable[[], float]


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    max_attempts: int = 8

    def ceiling(self, attempts: int) -> float:
        """The longest wait after the ``attempts``-th failure: base, 2 base, 4 base, ... capped."""
        return float(min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1)))

    def delay(self, attempts: int, random: Random) -> timedelta:
        """Full jitter: anywhere from nothing up to the ceiling, so retries that failed
        together do not come back together."""
        return timedelta(seconds=random() * self.ceiling(attempts))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
