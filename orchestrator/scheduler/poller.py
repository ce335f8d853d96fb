"""Runs polling triggers' evaluations in a thread pool, one at a time per trigger."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from orchestrator.scheduler.definitions import TriggerDefinition
from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.scheduler.poller")


class Poller:
    """Evaluations in flight, by trigger key; the loop collects the finished ones."""

    def __init__(self, threads: int, renderer: TemplateRenderer | None) -> None:
        """Evaluate up to ``threads`` triggers at once, rendering with ``renderer``."""
        self._renderer = renderer
        self._running: dict[str, Future[list[Poll]]] = {}
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="poll")

    def busy(self, key: str) -> bool:
        """Whether the trigger's evaluation is in flight."""
        return key in self._running

    @property
    def any(self) -> bool:
        """Whether any evaluation is in flight."""
        return bool(self._running)

    def submit(self, key: str, definition: TriggerDefinition, now: datetime) -> None:
        """Start evaluating a polling trigger (nothing if it is already being evaluated)."""
        trigger = definition.trigger
        if key in self._running or not isinstance(trigger, PollingTrigger):
            return
        if self._renderer is None:
            log.error("trigger %s cannot poll: the scheduler has no template renderer", key)
            return
        context = PollContext(renderer=self._renderer, ref=definition.ref, now=now)
        self._running[key] = self._pool.submit(trigger.evaluate, context)

    def finished(self) -> dict[str, Future[list[Poll]]]:
        """Take the evaluations that ended (they are no longer in flight)."""
        done = [key for key, future in self._running.items() if future.done()]
        return {key: self._running.pop(key) for key in done}

    def close(self) -> None:
        """Drop the evaluations not started; do not wait for the running ones."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def results(key: str, future: Future[list[Poll]]) -> list[Poll]:
    """What an evaluation found; a failure is logged and found nothing."""
    try:
        return future.result()
    except Exception as exc:  # a plugin's failure: polled again at its next interval
        log.error("trigger %s: the poll failed: %s", key, exc)
        return []
