"""Retry policies: constant, exponential and random backoff (Kestra's ``retry`` property)."""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration


class RetryBehavior(StrEnum):
    """What a flow-level retry does: retry the failed task, or start a new execution."""

    RETRY_FAILED_TASK = "RETRY_FAILED_TASK"
    CREATE_NEW_EXECUTION = "CREATE_NEW_EXECUTION"


class _RetryBase(KestrelModel):
    max_attempt: int | None = Field(default=None, ge=1)
    max_duration: Duration | None = None
    warning_on_retry: bool = False
    behavior: RetryBehavior = RetryBehavior.RETRY_FAILED_TASK

    @model_validator(mode="after")
    def _bounded(self) -> _RetryBase:
        if self.max_attempt is None and self.max_duration is None:
            raise ValueError("a retry needs maxAttempt or maxDuration, or it would never stop")
        return self

    def delay(self, attempt: int) -> timedelta:
        """Return the wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        raise NotImplementedError

    def allows(self, attempts_done: int, elapsed: timedelta) -> bool:
        """Whether another attempt may start after ``attempts_done`` attempts.

        ``maxAttempt`` counts every attempt, the first included, as in Kestra.
        """
        if self.max_attempt is not None and attempts_done >= self.max_attempt:
            return False
        if self.max_duration is not None:
            return elapsed + self.delay(attempts_done) <= self.max_duration
        return True


class ConstantRetry(_RetryBase):
    """Wait the same ``interval`` before every new attempt."""

    type: Literal["constant"] = "constant"
    interval: Duration

    def delay(self, attempt: int) -> timedelta:
        """Return ``interval``."""
        return self.interval


class ExponentialRetry(_RetryBase):
    """Wait ``interval * delayFactor^(attempt-1)``, capped at ``maxInterval``."""

    type: Literal["exponential"] = "exponential"
    interval: Duration
    max_interval: Duration
    delay_factor: float = Field(default=2.0, gt=1.0)

    def delay(self, attempt: int) -> timedelta:
        """Return the exponential delay for ``attempt``, capped at ``maxInterval``."""
        scaled = self.interval * (self.delay_factor ** max(attempt - 1, 0))
        return min(scaled, self.max_interval)


class RandomRetry(_RetryBase):
    """Wait a random time between ``minInterval`` and ``maxInterval``."""

    type: Literal["random"] = "random"
    min_interval: Duration
    max_interval: Duration

    @model_validator(mode="after")
    def _ordered(self) -> RandomRetry:
        if self.min_interval > self.max_interval:
            raise ValueError("minInterval must not be greater than maxInterval")
        return self

    def delay(self, attempt: int) -> timedelta:
        """Return a uniformly random delay in ``[minInterval, maxInterval]``."""
        low, high = self.min_interval.total_seconds(), self.max_interval.total_seconds()
        return timedelta(seconds=random.uniform(low, high))


Retry = Annotated[ConstantRetry | ExponentialRetry | RandomRetry, Field(discriminator="type")]
"""Any retry policy, chosen by its ``type``."""
