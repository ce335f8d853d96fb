"""The executor: a consume-transform-produce loop around the pure engine, exactly once.

One loop (`ExecutorProcessor.run`): poll ``execution-commands`` and ``worker-results`` ->
apply the engine to each event, in order, against the local store -> produce the new
snapshots, worker tasks, commands, kill notices and logs -> commit them together with the
consumer offsets in one transaction. A crash anywhere repeats the batch with no duplicate
effect: the aborted transaction is invisible to ``read_committed`` readers, and the state
is restored from the ``executions`` topic, the changelog, on assignment.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from executor.engine import EngineSettings, Event
from executor.engine.run_index import find_run
from executor.errors import ExecutorError
from executor.flows import FlowStore
from executor.metrics import BatchMetrics
from executor.outputs import KafkaSink
from executor.restore import whole_executions
from executor.shell import EngineShell
from executor.store import ExecutionStore
from executor.trigger_notices import TriggerNotifier
from executor.workers import WorkerMonitor
from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    KafkaConsumer,
    KafkaError,
    KafkaProducer,
    Record,
    TopicPartition,
    Topics,
    TransactionError,
    claim_transactional_id,
    dead_letter,
    group_id,
    partition_for,
    read_topic_to_end,
)
from orchestrator.management import Probe
from orchestrator.management.metrics import EXECUTOR_RESTORE_DURATION, EXECUTOR_STORE_SIZE
from orchestrator.models.concurrency import ConcurrencyMessage, SlotRelease, SlotRequest
from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    CreateExecution,
    DeadLetter,
    TimerFired,
    WorkerLost,
    WorkerTaskResult,
)
from orchestrator.models.state import StateType, utcnow
from orchestrator.models.trigger_commands import ExecutionEnded
from orchestrator.secrets import secret_codec
from orchestrator.settings import KestrelSettings
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.executor")

ROLE = "executor"
_ENVELOPE_BYTES = 4096  # room for the record's key, headers and transaction markers


@dataclass(frozen=True)
class _Incoming:
    """A polled record and its decoded event (None: a tombstone), or why it is unreadable."""

    record: Record
    event: Event | ConcurrencyMessage | None
    error: str | None = None


def _is_running_report(incoming: _Incoming) -> bool:
    event = incoming.event
    return isinstance(event, WorkerTaskResult) and event.state is StateType.RUNNING


class ExecutorProcessor:
    """One executor instance: owns the executions of its assigned partitions."""

    def __init__(
        self,
        settings: KestrelSettings,
        instance_id: str,
        renderer: TemplateRenderer,
        clock: Callable[[], datetime] = utcnow,
        probe: Probe | None = None,
    ) -> None:
        """Connect to Kafka as executor ``instance_id`` (a stable id: static membership).

        Args:
            settings: The process' settings.
            instance_id: Stable id of this instance (static group membership).
            renderer: Renders templates for the engine.
            clock: Now, injectable for tests.
            probe: Told of each turn of the loop and of readiness (the management server's
                health); a detached one when None.
        """
        self.settings = settings
        self.probe = probe or Probe(ROLE)
        self.instance_id = instance_id
        self._renderer = renderer
        self._clock = clock
        self._topics = Topics.from_settings(settings)
        self._partitions = TOPICS.executions.partitions_for(settings.kafka.partitions)
        self._engine = EngineSettings(
            max_snapshot_bytes=settings.kafka.message_max_bytes - _ENVELOPE_BYTES,
            secrets=secret_codec(settings),
        )
        self.store = ExecutionStore()
        self.shell = EngineShell(self, renderer, self._engine, self.store)
        self._letters: list[DeadLetter] = []  # found while restoring, sent with the next batch
        self._metrics = BatchMetrics()
        self._stop = threading.Event()
        self._started = clock()
        self.processed = 0
        self.flows = FlowStore(settings)
        self.triggers = TriggerNotifier(self.flows)
        self.workers = WorkerMonitor(settings)
        self._producer, self._sink = self._new_producer()
        self._consumer = KafkaConsumer(
            settings,
            group_id(settings.kafka.topic_prefix, ROLE),
            instance_id=instance_id,
            client_id=instance_id,
        )

    def _new_producer(self) -> tuple[KafkaProducer, KafkaSink]:
        """A producer under a new incarnation's transactional id (fencing the previous one)."""
        producer = KafkaProducer(
            self.settings,
            transactional_id=claim_transactional_id(
                self.settings, ROLE, self.instance_id, uuid.uuid4().hex[:12]
            ),
            client_id=self.instance_id,
        )
        return producer, KafkaSink(producer, self._partitions)

    # ---- the engine's Environment -----------------------------------------------------------

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """Return a flow revision from the flow topics (read before the batch began)."""
        return self.flows.flow(namespace, flow_id, revision)

    # ---- partitions -------------------------------------------------------------------------

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        names = self._topics
        owned = {tp.partition for tp in partitions if tp.topic != names.concurrency_requests}
        flows = {tp.partition for tp in partitions if tp.topic == names.concurrency_requests}
        started = time.monotonic()
        restored = read_topic_to_end(
            self.settings, TOPICS.executions, partitions=owned, on_unreadable=self._unreadable
        )
        runs = read_topic_to_end(
            self.settings, TOPICS.task_runs, partitions=owned, on_unreadable=self._unreadable
        )
        for execution_id, execution in whole_executions(restored, runs.values()).items():
            self.store.put(execution, partition_for(execution_id, self._partitions))
        slots = read_topic_to_end(
            self.settings,
            TOPICS.concurrency_slots,
            partitions=flows,
            on_unreadable=self._unreadable,
        )
        for key, flow_slots in slots.items():
            self.store.put_slots(key, flow_slots, partition_for(key, self._partitions))
        EXECUTOR_RESTORE_DURATION.observe(time.monotonic() - started)
        EXECUTOR_STORE_SIZE.set(self.store.live)
        self.probe.ready()
        log.info(
            "executor %s restored %d executions of partitions %s in %.2f s "
            "(%d live; the slots of %d flows)",
            self.instance_id,
            len(restored),
            sorted(owned),
            time.monotonic() - started,
            self.store.live,
            len(slots),
        )

    def _unreadable(self, record: Record, error: DeserializationError) -> None:
        # An unreadable snapshot must not stop the executor from ever starting again: it goes
        # to dead-letters (with the next transaction) and its execution is left alone.
        log.error("unreadable record %s@%s: %s", record.topic, record.offset, error)
        self._letters.append(dead_letter(record, str(error), "executor"))

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        self.store.drop_partitions({tp.partition for tp in partitions})

    # ---- the loop ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to finish its batch and return."""
        self._stop.set()

    def run(self) -> None:
        """Poll, process, produce and commit until `stop` is called."""
        self._consumer.subscribe(
            [TOPICS.execution_commands, TOPICS.worker_results, TOPICS.concurrency_requests],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
        )
        runtime = self.settings.runtime
        try:
            while not self._stop.is_set():
                self.probe.beat()
                self.before_poll()
                self.flows.poll()
                self._letters += self.workers.letters
                self.workers.letters.clear()
                records = self._consumer.poll_batch(runtime.batch_size, runtime.poll_timeout)
                events = self._linger([self._decode(record) for record in records])
                now = self._clock()
                self._know_flows(events)
                wakeups = [*self.shell.due_timers(now), *self._lost_attempts(now)]
                if records or wakeups or self._letters:
                    self._transact(events, wakeups, now)
        finally:
            self.probe.stopped()
            self.close()

    def before_poll(self) -> None:
        """Called at each turn of the loop, before polling; a hook for tests (does nothing)."""

    def _linger(self, events: list[_Incoming]) -> list[_Incoming]:
        """Wait up to ``runtime.running_linger`` for more records after RUNNING reports only.

        A RUNNING report alone costs a transaction and a snapshot; most tasks end within a
        few milliseconds of it, and their result then shares the transaction. The wait ends
        at the first record that is not a RUNNING report, so other work is not held back.
        """
        linger = self.settings.runtime.running_linger
        if not events or linger <= 0 or not all(_is_running_report(each) for each in events):
            return events
        deadline = time.monotonic() + linger
        room = self.settings.runtime.batch_size - len(events)
        while room > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = [self._decode(record) for record in self._consumer.poll_batch(room, left)]
            events.extend(more)
            room -= len(more)
            if not all(_is_running_report(each) for each in more):
                break
        return events

    def _decode(self, record: Record) -> _Incoming:
        spec = self._topics.spec_of(record.topic)
        try:
            return _Incoming(record, record.decoded(spec))
        except DeserializationError as exc:
            return _Incoming(record, None, str(exc))

    def _know_flows(self, events: list[_Incoming]) -> None:
        """Read the flow topics to their end when an event needs a flow not seen yet.

        Done before the transaction begins, once per batch at most: a flow deployed a moment
        ago (or any flow, right after a start) must not fail an execution as unknown, and
        waiting for it must not hold a transaction open.
        """
        for incoming in events:
            wanted = self._flow_of(incoming.event)
            if wanted is not None and self.flows.flow(*wanted) is None:
                if not self.flows.catch_up():
                    log.warning("the flow topics could not be read to their end in time")
                return

    def _flow_of(
        self, event: Event | ConcurrencyMessage | None
    ) -> tuple[str, str, int | None] | None:
        if isinstance(event, CreateExecution):
            return event.namespace, event.flow_id, event.flow_revision
        if event is None or isinstance(event, SlotRequest | SlotRelease):
            return None
        execution = self.shell.execution(event.execution_id)
        if execution is None:
            return None
        return execution.namespace, execution.flow_id, execution.flow_revision

    def _transact(
        self, events: list[_Incoming], wakeups: list[TimerFired | WorkerLost], now: datetime
    ) -> None:
        letters, self._letters = self._letters, []
        self._metrics = BatchMetrics()
        began = time.monotonic()
        self._producer.begin()
        try:
            for incoming in events:
                self._handle(incoming, now)
            for event in wakeups:
                self._sink.command(event)
            for letter in letters:
                self._producer.send(TOPICS.dead_letters, letter.key or "", letter)
            self._sink.flush()
            if events:
                self._producer.send_offsets(
                    self._consumer, records=[incoming.record for incoming in events]
                )
            self._producer.commit()
        except TransactionError as exc:
            self._abort()
            if exc.fatal or not (exc.abortable or exc.retriable):
                raise
            # The store is untouched (the overlay is dropped): redo the batch in place. Under
            # a new incarnation: a producer id that aborted has its later records hidden from
            # some brokers' read_committed readers (noida-db, see kafka/incarnations.py).
            log.warning("transaction aborted (%s); the batch is redone", exc)
            self._letters = letters + self._letters
            self._consumer.rewind(incoming.record for incoming in events)
            self._producer.close()
            self._producer, self._sink = self._new_producer()
            return
        except BaseException:
            self._abort()
            raise
        self.shell.commit()
        self.processed += len(events)
        self._metrics.publish(len(events), time.monotonic() - began)
        EXECUTOR_STORE_SIZE.set(self.store.live)

    def _abort(self) -> None:
        self.shell.rollback()
        self._sink.discard()
        with contextlib.suppress(KafkaError):  # keep the first error
            self._producer.abort()

    def _handle(self, incoming: _Incoming, now: datetime) -> None:
        record, event = incoming.record, incoming.event
        if incoming.error is not None:
            self._dead_letter(record, incoming.error)
            return
        if event is None:
            return
        if isinstance(event, SlotRequest | SlotRelease):
            self.shell.admit(event, self._sink, record.partition)
            return
        if isinstance(event, WorkerTaskResult):
            known = self.shell.execution(event.execution_id)
            if known is not None and find_run(known.task_run_list, event.task_run_id) is None:
                # The engine ignores it; it should never happen, so say so loudly.
                log.warning(
                    "result for task run %s unknown to execution %s (seq %d): stale state?",
                    event.task_run_id,
                    known.id,
                    known.seq,
                )
        before = self.shell.execution(event.execution_id)
        outcome = self.shell.apply(event, now, self._sink, record.partition)
        self._metrics.observe(before, outcome.decision.execution)
        if isinstance(event, WorkerTaskResult) and outcome.decision.execution is not None:
            self._metrics.task_run_ended(before, event.state)  # applied, not a stale one
        after = self.shell.execution(event.execution_id)
        self.triggers.notify(before, after, self._send_trigger_command)
        if outcome.dead_letter is not None:
            self._dead_letter(record, outcome.dead_letter)

    def _send_trigger_command(self, key: str, notice: ExecutionEnded) -> None:
        self._producer.send(TOPICS.trigger_commands, key, notice)

    def _dead_letter(self, record: Record, reason: str) -> None:
        letter = dead_letter(record, reason, "executor")
        # The letter's key is decoded leniently: the record's own key may not be UTF-8.
        self._producer.send(TOPICS.dead_letters, letter.key or "", letter)
        log.warning("dead letter from %s@%s: %s", record.topic, record.offset, reason)

    def _lost_attempts(self, now: datetime) -> list[TimerFired | WorkerLost]:
        # Heartbeats read right after a start may be old ones: wait a full timeout first.
        if (now - self._started).total_seconds() < self.settings.runtime.worker_dead_after:
            return []
        lost = self.workers.lost(self.store.unfinished_attempts(), now)
        for worker_id in sorted({each.worker_id for each in lost}):
            count = sum(1 for each in lost if each.worker_id == worker_id)
            log.warning("worker %s is dead; %d attempts will run again", worker_id, count)
        return [
            WorkerLost(
                execution_id=each.execution_id,
                task_run_id=each.task_run_id,
                attempt=each.number,
                worker_id=each.worker_id,
            )
            for each in lost
        ]

    def close(self) -> None:
        """Leave the group and close every client (safe to call twice)."""
        for closer in (
            self._consumer.close,
            self._producer.close,
            self.flows.close,
            self.workers.close,
        ):
            try:
                closer()
            except Exception as exc:  # closing must go on
                log.debug("while closing: %s", exc)


__all__ = ["ROLE", "ExecutorError", "ExecutorProcessor"]
