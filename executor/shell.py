"""The one shell around the pure engine: processor, in-process runner and test harness.

The Kafka processor, the in-process runner (``kestrel flow test``) and the engine's test
harness all use it. It feeds events to the engine (through `guarded_advance`) and
admission messages to the flows' admission owner, keeps what they decide in a batch
overlay over the store, and hands every effect to a `Sink`. The processor's sink produces
to Kafka inside its transaction and commits the overlay only once the transaction is
committed, so an aborted batch leaves the store as it was and can be redone in place; the
other shells commit after each event. So every policy (queue release, timers, failing on
an engine error) lives here or in the engine, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from executor.engine import Decision, EngineSettings, Environment, Event
from executor.engine.admission import Admission, admit_request, release
from executor.engine.guard import Outcome, guarded_advance
from executor.store import ExecutionStore
from orchestrator.models.concurrency import (
    ConcurrencyMessage,
    FlowSlots,
    SlotRequest,
    flow_key,
)
from orchestrator.models.execution import Execution, TaskRunRecord
from orchestrator.models.messages import (
    CreateExecution,
    ExecutionCommand,
    KillNotice,
    LogEntry,
    TimerFired,
    WorkerTask,
)
from orchestrator.templating import TemplateRenderer


class Sink(Protocol):
    """Where a shell puts what the engine and the admission owners decided."""

    def snapshot(self, execution: Execution, wire: bytes | None) -> None:
        """A new snapshot of an execution (``deleted``: its tombstone).

        ``wire`` is its form for ``executions`` when the engine encoded it (for a long
        execution, maybe its header only); None: the whole snapshot, or its header when
        the execution is long (``task_run_count`` set).
        """

    def task_runs(
        self, execution_id: str, records: list[TaskRunRecord], removed: list[str]
    ) -> None:
        """The changed task runs of a long execution, and the ids of removed ones."""

    def worker_task(self, task: WorkerTask) -> None:
        """A task run for a worker."""

    def command(self, command: ExecutionCommand) -> None:
        """A command for an execution (this one or another), slot answers included."""

    def kill(self, notice: KillNotice) -> None:
        """A kill notice for the workers."""

    def log(self, entry: LogEntry) -> None:
        """A log line written by the executor."""

    def admission(self, message: ConcurrencyMessage) -> None:
        """A slot request or release for the admission owner of a flow."""

    def slots(self, slots: FlowSlots) -> None:
        """The new slots of a flow this shell owns."""


@dataclass
class _Overlay:
    """What the current batch changed, not yet in the store."""

    executions: dict[str, tuple[Execution, int, bytes | None]] = field(default_factory=dict)
    slots: dict[str, tuple[FlowSlots, int]] = field(default_factory=dict)
    timers: list[TimerFired] = field(default_factory=list)


class EngineShell:
    """Applies events and admission messages against a store, through a batch overlay."""

    def __init__(
        self,
        env: Environment,
        renderer: TemplateRenderer,
        settings: EngineSettings,
        store: ExecutionStore | None = None,
    ) -> None:
        """Serve the engine ``env``'s flows, rendering with ``renderer``."""
        self.env = env
        self.renderer = renderer
        self.settings = settings
        self.store = store if store is not None else ExecutionStore()
        self._overlay = _Overlay()

    # ---- reading through the overlay ----------------------------------------------------

    def execution(self, execution_id: str) -> Execution | None:
        """The latest snapshot of an execution, this batch's changes included."""
        pending = self._overlay.executions.get(execution_id)
        if pending is not None:
            return None if pending[0].deleted else pending[0]
        return self.store.get(execution_id)

    def flow_slots(self, key: str) -> FlowSlots | None:
        """The slots of a flow owned here, this batch's changes included."""
        pending = self._overlay.slots.get(key)
        return pending[0] if pending is not None else self.store.slots(key)

    # ---- applying -----------------------------------------------------------------------

    def apply(self, event: Event, now: datetime, sink: Sink, partition: int = 0) -> Outcome:
        """Apply one execution event and emit what follows.

        Returns:
            The engine's decision, and why the event must be dead-lettered when the engine
            failed on it and no execution could be failed instead.
        """
        before = self.execution(event.execution_id)
        if before is None and not isinstance(event, CreateExecution):
            # Nothing to apply it to (never created, deleted, or not this instance's): an
            # anomaly worth keeping, not a silent drop.
            reason = f"unknown execution {event.execution_id!r} for a '{event.type}' event"
            return Outcome(Decision(), dead_letter=reason)
        if before is not None and event.execution_id in self._overlay.executions:
            # Changed earlier in this batch, whose last snapshot alone is written (KafkaSink):
            # a batch counts one seq per execution, so the written ones stay consecutive.
            before = before.model_copy(update={"seq": before.seq - 1})
        outcome = guarded_advance(
            before, event, self.env, now=now, renderer=self.renderer, settings=self.settings
        )
        self._emit(outcome.decision, sink, partition)
        return outcome

    def admit(self, message: ConcurrencyMessage, sink: Sink, partition: int = 0) -> None:
        """Apply a slot request or release as the owner of its flow."""
        key = flow_key(message.namespace, message.flow_id)
        current = self.flow_slots(key)
        if isinstance(message, SlotRequest):
            admission: Admission = admit_request(current, message)
        else:
            admission = release(current, message)
        if admission.slots is not None:
            self._overlay.slots[key] = (admission.slots, partition)
            sink.slots(admission.slots)
        for decision in admission.decisions:
            sink.command(decision)

    def _emit(self, decision: Decision, sink: Sink, partition: int) -> None:
        after = decision.execution
        if after is not None:
            whole = decision.execution_wire if decision.whole else None
            self._overlay.executions[after.id] = (after, partition, whole)
            if decision.task_runs or decision.removed_task_runs:
                sink.task_runs(after.id, decision.task_runs, decision.removed_task_runs)
            sink.snapshot(after, decision.execution_wire)
        for worker_task in decision.worker_tasks:
            sink.worker_task(worker_task)
        for command in decision.commands:
            sink.command(command)
        for kill in decision.kills:
            sink.kill(kill)
        for entry in decision.logs:
            sink.log(entry)
        for message in decision.admission:
            sink.admission(message)

    # ---- batches ------------------------------------------------------------------------

    def commit(self) -> None:
        """The batch is durable: move its changes into the store (and the timer index)."""
        overlay, self._overlay = self._overlay, _Overlay()
        for execution, partition, wire in overlay.executions.values():
            self.store.put(execution, partition, wire)
        for key, (slots, partition) in overlay.slots.items():
            self.store.put_slots(key, slots, partition)

    def rollback(self) -> None:
        """The batch was aborted: forget its changes; its timer notices are due again."""
        overlay, self._overlay = self._overlay, _Overlay()
        for fired in overlay.timers:
            self.store.timers.unreport(fired.execution_id, fired.timer_id, fired.due)

    # ---- timers -------------------------------------------------------------------------

    def due_timers(self, now: datetime) -> list[TimerFired]:
        """Notices of the timers due at ``now``, each reported once (unless rolled back)."""
        fired = [
            TimerFired(execution_id=execution_id, timer_id=timer_id, due=due)
            for execution_id, timer_id, due in self.store.due(now)
        ]
        self._overlay.timers.extend(fired)
        return fired


__all__ = ["EngineShell", "Sink"]
