"""Helpers of the scheduler's integration tests: flows with triggers, and what was fired."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from orchestrator.kafka import TOPICS, DeserializationError, TopicTail
from orchestrator.models.messages import CreateExecution, TriggerState
from orchestrator.settings import KestrelSettings


def write_flow(directory: Path, name: str, text: str) -> Path:
    """Write a flow file ``name.yml`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yml"
    path.write_text(text)
    return path


class FiredWatcher:
    """Every committed Create command started by a trigger, and every trigger state."""

    def __init__(self, settings: KestrelSettings) -> None:
        self._tail = TopicTail(settings, [TOPICS.execution_commands, TOPICS.triggers])
        self.creates: list[CreateExecution] = []
        self.states: dict[str, TriggerState] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for record in self._tail.poll(timeout=0.2):
                spec = self._tail.topics.spec_of(record.topic)
                try:
                    value = record.decoded(spec)
                except DeserializationError:
                    continue
                with self._lock:
                    if value is None and spec is TOPICS.triggers:  # a deleted trigger
                        self.states.pop(record.key_str or "", None)
                    elif isinstance(value, CreateExecution) and value.trigger is not None:
                        self.creates.append(value)
                    elif isinstance(value, TriggerState):
                        self.states[record.key_str or ""] = value

    def fired(
        self, flow_id: str | None = None, trigger_id: str | None = None
    ) -> list[CreateExecution]:
        """The creates so far (of one flow, and trigger)."""
        with self._lock:
            return [
                each
                for each in self.creates
                if (flow_id is None or each.flow_id == flow_id)
                and (trigger_id is None or (each.trigger and each.trigger.id == trigger_id))
            ]

    def dates(self, flow_id: str | None = None) -> list[str]:
        """``trigger.date`` of each create (of one flow), in commit order."""
        return [
            str(each.trigger.variables.get("date"))
            for each in self.fired(flow_id)
            if each.trigger is not None
        ]

    def wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``condition()`` holds; fail naming ``what``."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.05)  # polling a condition, bounded by the deadline

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._tail.close()


def assert_each_slot_once(dates: list[str], step_seconds: float = 1.0) -> None:
    """No date twice, and no gap between the first and the last (consecutive slots)."""
    from datetime import datetime

    duplicated = [date for date, count in Counter(dates).items() if count > 1]
    assert not duplicated, f"slots fired twice: {duplicated}"
    parsed = sorted(datetime.fromisoformat(date) for date in dates)
    gaps = [
        (a.isoformat(), b.isoformat())
        for a, b in itertools.pairwise(parsed)
        if (b - a).total_seconds() != step_seconds
    ]
    assert not gaps, f"slots lost between: {gaps}"
