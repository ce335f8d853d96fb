"""The timer index shared by every shell of the engine: due timers in time order, once each.

Each execution's snapshot lists its timers (retry backoffs, pause delays, sleeps, SLAs).
The index keeps, per execution, the due date of each timer and whether it was reported;
a new snapshot adds to the heap only the timers that are new or rescheduled, so the heap
grows with timer changes, not with snapshots.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime

from orchestrator.models.execution import Timer


class TimerIndex:
    """Timers of many executions, popped in due order, each (id, due) reported once."""

    def __init__(self) -> None:
        """Start empty."""
        # execution id -> timer id -> [due, reported]
        self._timers: dict[str, dict[str, tuple[datetime, bool]]] = {}
        self._heap: list[tuple[datetime, str, str]] = []

    def __len__(self) -> int:
        return sum(len(timers) for timers in self._timers.values())

    @property
    def heap_size(self) -> int:
        """Entries in the heap, stale ones included (a measure of its upkeep)."""
        return len(self._heap)

    def update(self, execution_id: str, timers: Iterable[Timer]) -> None:
        """Take in the timers of an execution's new snapshot (none: forget its timers)."""
        known = self._timers.get(execution_id, {})
        current: dict[str, tuple[datetime, bool]] = {}
        for timer in timers:
            seen = known.get(timer.id)
            if seen is not None and seen[0] == timer.due:
                current[timer.id] = seen  # unchanged: keeps its place and its reported flag
            else:
                current[timer.id] = (timer.due, False)
                heapq.heappush(self._heap, (timer.due, execution_id, timer.id))
        if current:
            self._timers[execution_id] = current
        else:
            self._timers.pop(execution_id, None)

    def due(self, now: datetime) -> list[tuple[str, str, datetime]]:
        """Pop the timers due at ``now`` that are set and not reported yet.

        Returns:
            (execution id, timer id, due) of each, marked reported: the next snapshot of the
            execution drops the timer once the engine applied it.
        """
        fired = []
        while self._heap and self._heap[0][0] <= now:
            due, execution_id, timer_id = heapq.heappop(self._heap)
            timers = self._timers.get(execution_id)
            entry = timers.get(timer_id) if timers else None
            if timers is None or entry is None or entry[0] != due or entry[1]:
                continue  # removed, rescheduled or reported since it was pushed
            timers[timer_id] = (due, True)
            fired.append((execution_id, timer_id, due))
        return fired

    def unreport(self, execution_id: str, timer_id: str, due: datetime) -> None:
        """Report a timer again (its notice was in a transaction that was aborted)."""
        timers = self._timers.get(execution_id)
        if timers is not None and timers.get(timer_id) == (due, True):
            timers[timer_id] = (due, False)
            heapq.heappush(self._heap, (due, execution_id, timer_id))

    def next_due(self) -> datetime | None:
        """The earliest due date of a timer not reported yet (stale entries are dropped)."""
        while self._heap:
            due, execution_id, timer_id = self._heap[0]
            entry = self._timers.get(execution_id, {}).get(timer_id)
            if entry is not None and entry[0] == due and not entry[1]:
                return due
            heapq.heappop(self._heap)
        return None

    def pending_of(self, execution_id: str) -> int:
        """How many timers of an execution are set and not reported yet."""
        return sum(1 for _, reported in self._timers.get(execution_id, {}).values() if not reported)


__all__ = ["TimerIndex"]
