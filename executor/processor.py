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
from datetime import datetime

from executor.engine import Decision, EngineSettings, Event, advance
from executor.errors import ExecutorError
from executor.flows import FlowStore
from executor.store import ExecutionStore
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
    claim_transactional_id,
    dead_letter,
    group_id,
    partition_for,
    read_topic_to_end,
)
from orchestrator.models.execution import Execution
from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    DeadLetter,
    ResumeExecution,
    TimerFired,
    WorkerLost,
    WorkerTaskResult,
)
from orchestrator.models.state import utcnow
from orchestrator.secrets import secret_codec
from orchestrator.settings import KestrelSettings
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.executor")

ROLE = "executor"
_ENVELOPE_BYTES = 4096  # room for the record's key, headers and transaction markers


class ExecutorProcessor:
    """One executor instance: owns the executions of its assigned partitions."""

    def __init__(
        self,
        settings: KestrelSettings,
        instance_id: str,
        renderer: TemplateRenderer,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Connect to Kafka as executor ``instance_id`` (a stable id: static membership)."""
        self.settings = settings
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
        self._letters: list[DeadLetter] = []  # found while restoring, sent with the next batch
        self._stop = threading.Event()
        self._started = clock()
        self.processed = 0
        self.flows = FlowStore(settings)
        self.workers = WorkerMonitor(settings)
        self._producer = KafkaProducer(
            settings,
            transactional_id=claim_transactional_id(
                settings, ROLE, instance_id, uuid.uuid4().hex[:12]
            ),
            client_id=instance_id,
        )
        self._consumer = KafkaConsumer(
            settings,
            group_id(settings.kafka.topic_prefix, ROLE),
            instance_id=instance_id,
            client_id=instance_id,
        )

    # ---- the engine's Environment -----------------------------------------------------------

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """Return a flow revision from the flow topics."""
        found = self.flows.flow(namespace, flow_id, revision)
        if found is None:
            self.flows.poll(timeout=0.2)  # deployed a moment ago: take in what just arrived
            found = self.flows.flow(namespace, flow_id, revision)
        return found

    def running_count(self, namespace: str, flow_id: str) -> int:
        """RUNNING or PAUSED executions of a flow on this instance's partitions."""
        return self.store.running_count(namespace, flow_id)

    # ---- partitions -------------------------------------------------------------------------

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        owned = {tp.partition for tp in partitions}
        started = time.monotonic()
        restored = read_topic_to_end(
            self.settings, TOPICS.executions, partitions=owned, on_unreadable=self._unreadable
        )
        for execution_id, execution in restored.items():
            self.store.put(execution, partition_for(execution_id, self._partitions))
        log.info(
            "executor %s restored %d executions of partitions %s in %.2f s",
            self.instance_id,
            len(restored),
            sorted(owned),
            time.monotonic() - started,
        )

    def _unreadable(self, record: Record, error: DeserializationError) -> None:
        # An unreadable snapshot must not stop the executor from ever starting again: it goes
        # to dead-letters (with the next transaction) and its execution is left alone.
        log.error("unreadable snapshot %s@%s: %s", record.topic, record.offset, error)
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
            [TOPICS.execution_commands, TOPICS.worker_results],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
        )
        runtime = self.settings.runtime
        try:
            while not self._stop.is_set():
                self.flows.poll()
                self.workers.poll()
                records = self._consumer.poll_batch(runtime.batch_size, runtime.poll_timeout)
                now = self._clock()
                wakeups = self._due_timers(now) + self._lost_attempts(now)
                if records or wakeups or self._letters:
                    self._transact(records, wakeups, now)
        finally:
            self.close()

    def _transact(
        self, records: list[Record], wakeups: list[TimerFired | WorkerLost], now: datetime
    ) -> None:
        self._producer.begin()
        try:
            for record in records:
                self._handle(record, now)
            for event in wakeups:
                self._producer.send(TOPICS.execution_commands, event.execution_id, event)
            letters, self._letters = self._letters, []
            for letter in letters:
                self._producer.send(TOPICS.dead_letters, letter.key or "", letter)
            if records:
                self._producer.send_offsets(self._consumer)
            self._producer.commit()
        except BaseException:
            with contextlib.suppress(KafkaError):  # keep the first error
                self._producer.abort()
            raise
        self.processed += len(records)

    def _handle(self, record: Record, now: datetime) -> None:
        spec = self._topics.spec_of(record.topic)
        try:
            event: Event | None = record.decoded(spec)
        except DeserializationError as exc:
            letter = dead_letter(record, str(exc), "executor")
            self._producer.send(TOPICS.dead_letters, record.key_str or "", letter)
            log.warning("dead letter from %s@%s: %s", record.topic, record.offset, exc)
            return
        if event is None:
            return
        execution = self.store.get(event.execution_id)
        if (
            isinstance(event, WorkerTaskResult)
            and execution is not None
            and execution.find_task_run(event.task_run_id) is None
        ):  # the engine ignores it; it should never happen, so say so loudly
            log.warning(
                "result for task run %s unknown to execution %s (seq %d): stale state?",
                event.task_run_id,
                execution.id,
                execution.seq,
            )
        decision = advance(
            execution, event, self, now=now, renderer=self._renderer, settings=self._engine
        )
        self._emit(execution, decision, record.partition)

    def _emit(self, before: Execution | None, decision: Decision, partition: int) -> None:
        send = self._producer.send
        after = decision.execution
        if after is not None:
            if after.deleted:
                send(TOPICS.executions, after.id, None)
            else:
                send(TOPICS.executions, after.id, after, encoded=decision.execution_wire)
            self.store.put(after, partition)
        for worker_task in decision.worker_tasks:
            send(TOPICS.worker_tasks, worker_task.task_run.id, worker_task)
        for command in decision.commands:
            send(TOPICS.execution_commands, command.execution_id, command)
        for kill in decision.kills:
            send(TOPICS.kills, kill.execution_id, kill)
        for entry in decision.logs:
            send(TOPICS.logs, entry.execution_id, entry)
        ended_now = before is None or not before.state.current.is_terminated
        if after is not None and after.state.current.is_terminated and ended_now:
            self._release_queued(after)

    def _release_queued(self, ended: Execution) -> None:
        waiting = self.store.oldest_queued(ended.namespace, ended.flow_id)
        if waiting is not None:
            resume = ResumeExecution(execution_id=waiting.id)
            self._producer.send(TOPICS.execution_commands, waiting.id, resume)

    def _due_timers(self, now: datetime) -> list[TimerFired | WorkerLost]:
        return [
            TimerFired(execution_id=execution_id, timer_id=timer_id, due=due)
            for execution_id, timer_id, due in self.store.due(now)
        ]

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
