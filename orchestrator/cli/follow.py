"""Following an execution on Kafka until it ends: its snapshots and its logs."""

from __future__ import annotations

import time
from collections.abc import Callable

from orchestrator.errors import OrchestratorError
from orchestrator.kafka import TOPICS, DeserializationError, TopicTail
from orchestrator.kafka.task_runs import complete
from orchestrator.models.execution import Execution
from orchestrator.models.messages import LogEntry
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings


class FollowTimeoutError(OrchestratorError):
    """The followed execution did not end in time."""


class ExecutionFollower:
    """Reads the partition of one execution on ``executions`` and ``logs``, from now on."""

    def __init__(self, settings: KestrelSettings, execution_id: str) -> None:
        """Start reading at the current end, before the execution is even created.

        Every partition is read: a retry that starts a new execution lands on another key.
        """
        self.execution_id = execution_id
        self._settings = settings
        self._tail = TopicTail(settings, [TOPICS.executions, TOPICS.logs], from_beginning=False)
        self.latest: dict[str, Execution] = {}

    def wait(
        self,
        on_log: Callable[[LogEntry], None],
        timeout: float | None = None,
    ) -> Execution:
        """Stream logs until the execution (or the retry it became) ends or waits for a resume.

        Raises:
            FollowTimeoutError: ``timeout`` seconds passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        followed = self.execution_id
        while True:
            for record in self._tail.poll(timeout=0.2):
                spec = self._tail.topics.spec_of(record.topic)
                try:
                    value = record.decoded(spec)
                except DeserializationError:
                    continue
                if isinstance(value, Execution):
                    self.latest[value.id] = value
                    if value.parent_id == followed and _is_retry(value):
                        followed = value.id
                elif isinstance(value, LogEntry) and value.execution_id == followed:
                    on_log(value)
            current = self.latest.get(followed)
            if current is not None and _settled(current):
                # A long execution's last snapshot is its header when whole it is too big.
                return complete(self._settings, current)
            if deadline is not None and time.monotonic() > deadline:
                raise FollowTimeoutError(f"execution {followed} did not end within {timeout:g}s")

    def close(self) -> None:
        """Stop reading."""
        self._tail.close()


def _is_retry(execution: Execution) -> bool:
    return any(label.key == "system.replay" for label in execution.labels)


def _settled(execution: Execution) -> bool:
    state = execution.state.current
    if state is StateType.RETRIED:
        return False
    return state.is_terminated or (state is StateType.PAUSED and not execution.timers)
