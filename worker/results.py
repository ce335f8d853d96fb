"""Delivering task results: retried while Kafka is away, given up only when the worker stops.

A result is sent again (with a capped exponential backoff) until Kafka acknowledges it:
the executor judges a worker by its heartbeats, not by each task run, so a live worker
that dropped a result would leave its attempt RUNNING for good. Once the worker is stopping
and its grace is over, `ResultReporter.give_up` ends the retries; what was not delivered
is logged at ERROR. Those attempts are not lost: the worker's last heartbeat says STOPPED,
or its heartbeats stop, and the executor runs them again as new attempts.

Results have a producer of their own, and each result waits for its own acknowledgement
(`KafkaProducer.deliver`): task threads reporting at once share the broker's round trips
instead of queueing behind one another's flushes (a lock and a flush per result were the
worker's largest wait at 4,000 executions/min), and one result's failure is never taken
for another's.
"""

from __future__ import annotations

import logging
import threading

from orchestrator.kafka import TOPICS, KafkaError, KafkaProducer
from orchestrator.models.messages import WorkerTaskResult
from orchestrator.settings import KestrelSettings

log = logging.getLogger("kestrel.worker")

_FIRST_DELAY = 0.2
_MAX_DELAY = 5.0
_TRY_SECONDS = 1.0
"""Longest wait for one acknowledgement: short, so that giving up is never far away."""


class ResultReporter:
    """Sends results to ``worker-results`` and waits until each is acknowledged."""

    def __init__(self, settings: KestrelSettings, client_id: str) -> None:
        """Create the producer of results (idempotent, not transactional)."""
        # No linger: a task thread waits for its result's acknowledgement, so lingering
        # would add to every task run; concurrent results still share requests in flight.
        self._producer = KafkaProducer(
            settings, client_id=f"{client_id}-results", overrides={"linger.ms": 0}
        )
        self._try_seconds = min(settings.kafka.admin_timeout, _TRY_SECONDS)
        self._give_up = threading.Event()

    def report(self, result: WorkerTaskResult) -> bool:
        """Deliver ``result``; False if `give_up` was called first (the reason is logged).

        A failed try sends the result again: the engine ignores a duplicate.
        """
        delay = _FIRST_DELAY
        while not self._give_up.is_set():
            try:
                self._producer.deliver(
                    TOPICS.worker_results, result.execution_id, result, self._try_seconds
                )
                return True
            except KafkaError as exc:
                log.warning(
                    "result of task run %s not delivered yet (%s); trying again in %.1f s",
                    result.task_run_id,
                    exc,
                    delay,
                )
            if self._give_up.wait(delay):  # backoff, cut short by a stop
                break
            delay = min(delay * 2, _MAX_DELAY)
        log.error(
            "result of task run %s (execution %s, attempt %d, %s) was NOT delivered: the worker "
            "stopped first; the executor will run the attempt again once it declares worker %s "
            "dead",
            result.task_run_id,
            result.execution_id,
            result.attempt,
            result.state.value,
            result.worker_id,
        )
        return False

    def give_up(self) -> None:
        """Make every `report` in progress or to come return at once, undelivered."""
        self._give_up.set()

    def close(self, timeout: float) -> None:
        """Deliver what is still queued within ``timeout`` seconds, then close.

        Raises:
            ProduceError: some records were not acknowledged in time.
        """
        self._producer.close(timeout)


__all__ = ["ResultReporter"]
