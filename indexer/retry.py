"""Bounded exponential backoff for requests to Elasticsearch (and dead letters to Kafka)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from indexer.errors import GaveUpError
from orchestrator.settings import IndexerSettings


@dataclass
class Backoff:
    """Waits that double from ``initial`` up to ``maximum``; reset after a success.

    Attributes:
        give_up_after: Seconds of consecutive failures after which ``next_delay`` raises;
            None never gives up.
    """

    initial: float = 0.5
    maximum: float = 30.0
    give_up_after: float | None = None
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    _first_failure: float | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: IndexerSettings) -> Backoff:
        """The backoff the settings ask for."""
        return cls(
            settings.retry_initial_backoff,
            settings.retry_max_backoff,
            settings.retry_max_elapsed,
        )

    def next_delay(self, reason: str) -> float:
        """Record a failure; return how long to wait before the next attempt.

        Raises:
            GaveUpError: Failures have lasted longer than ``give_up_after``.
        """
        now = self.clock()
        if self._first_failure is None:
            self._first_failure = now
        elapsed = now - self._first_failure
        if self.give_up_after is not None and elapsed >= self.give_up_after:
            raise GaveUpError(
                f"gave up after {elapsed:.0f} s of failures ({self.failures + 1} attempts): "
                f"{reason}. Nothing was committed: a restarted indexer resumes from there."
            )
        delay = min(self.maximum, self.initial * 2.0 ** min(self.failures, 32))
        self.failures += 1
        return delay

    def reset(self) -> None:
        """Record a success: the next failure waits ``initial`` again."""
        self.failures = 0
        self._first_failure = None
