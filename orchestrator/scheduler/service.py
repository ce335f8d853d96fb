"""The scheduler service: a consume-decide-produce loop around the pure trigger logic.

One loop (`SchedulerService.run`): take in flow changes -> poll ``trigger-commands`` ->
apply the commands and evaluate the triggers that are due, changed or commanded -> produce
the new states (``triggers``), the Create commands (``execution-commands``) and the firing
delays (``metrics``) -> commit them with the consumed offsets in one transaction.

The partitions of ``trigger-commands`` an instance is assigned are the triggers it owns; it
restores their states from the same partitions of the compacted ``triggers`` topic. A crash
anywhere aborts the open transaction: neither the state nor the Create is visible, and the
next owner decides again from the last committed state, so a slot fires exactly once.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta

from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    KafkaConsumer,
    KafkaError,
    KafkaProducer,
    Record,
    TopicPartition,
    TransactionError,
    claim_transactional_id,
    dead_letter,
    group_id,
    partition_for,
    read_topic_to_end,
)
from orchestrator.management import Probe
from orchestrator.management.metrics import SCHEDULER_TRIGGER_COUNT, SCHEDULER_TRIGGER_DELAY
from orchestrator.models.messages import DeadLetter, MetricEntry, TriggerState
from orchestrator.models.state import utcnow
from orchestrator.models.trigger_commands import ExecutionEnded, TriggerCommand
from orchestrator.models.trigger_parts import trigger_key
from orchestrator.scheduler.commands import apply_command
from orchestrator.scheduler.conditions import ConditionError
from orchestrator.scheduler.decision import Decision, Firing, new_state
from orchestrator.scheduler.definitions import TriggerDefinitions
from orchestrator.scheduler.evaluate import evaluate, next_wake, wants_poll
from orchestrator.scheduler.locks import stale_locks
from orchestrator.scheduler.poller import Poller, results
from orchestrator.scheduler.polling import Poll, PollingTrigger, after_poll
from orchestrator.scheduler.realtime import after_messages
from orchestrator.scheduler.schedules import ScheduleContext
from orchestrator.scheduler.subscriptions import Delivery, Subscriptions
from orchestrator.settings import KestrelSettings
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.scheduler")

ROLE = "scheduler"
DELAY_METRIC = "kestrel.trigger.delay"
"""The metric of each firing: seconds from the slot's date to its Create being produced
(in the transaction that commits it)."""

REALTIME_TIMEOUT = 0.05  # the longest wait on Kafka while realtime subscriptions run

_GONE = None  # an overlay entry: the trigger's state is deleted (tombstone)


class _Batch:
    """What one transaction writes: new states by key, firings and dead letters."""

    def __init__(self, letters: list[DeadLetter]) -> None:
        self.states: dict[str, TriggerState | None] = {}
        self.firings: list[Firing] = []
        self.letters = letters
        self.evaluated: set[str] = set()  # keys a command or a poll result changed
        self.decided: set[str] = set()  # keys evaluated in this batch


class SchedulerService:
    """One scheduler instance: owns the triggers of its assigned partitions."""

    def __init__(
        self,
        settings: KestrelSettings,
        instance_id: str,
        renderer: TemplateRenderer | None = None,
        clock: Callable[[], datetime] = utcnow,
        probe: Probe | None = None,
    ) -> None:
        """Connect to Kafka as scheduler ``instance_id`` (a stable id: static membership).

        ``probe`` is told of each turn of the loop and of readiness (the management
        server's health); a detached one when None.
        """
        self.settings = settings
        self.probe = probe or Probe(ROLE)
        self.instance_id = instance_id
        self._renderer = renderer
        self._clock = clock
        self._partitions = TOPICS.trigger_commands.partitions_for(settings.kafka.partitions)
        self._pace = timedelta(seconds=settings.scheduler.backfill_pace)
        self._owned: set[int] = set()
        self.states: dict[str, TriggerState] = {}
        self._wakes: list[tuple[datetime, str]] = []
        self._wake_of: dict[str, datetime] = {}
        self._dirty: set[str] = set()
        self._recovering: set[str] = set()
        self._active: dict[str, bool] = {}
        self._letters: list[DeadLetter] = []
        self._injected: list[TriggerCommand] = []
        self._stop = threading.Event()
        self.fired = 0
        self._poller = Poller(settings.scheduler.poll_threads, renderer)
        self._realtime = Subscriptions(renderer)
        self._deliveries: list[Delivery] = []  # received, their executions not yet committed
        self.definitions = TriggerDefinitions(settings)
        self._producer = self._new_producer()
        self._consumer = KafkaConsumer(
            settings,
            group_id(settings.kafka.topic_prefix, ROLE),
            instance_id=instance_id,
            client_id=instance_id,
        )

    def _new_producer(self) -> KafkaProducer:
        return KafkaProducer(
            self.settings,
            transactional_id=claim_transactional_id(
                self.settings, ROLE, self.instance_id, uuid.uuid4().hex[:12]
            ),
            client_id=self.instance_id,
        )

    def owns(self, key: str) -> bool:
        """Whether this instance owns the trigger ``key`` (its partition is assigned here)."""
        return partition_for(key, self._partitions) in self._owned

    # ---- partitions ---------------------------------------------------------------------

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        owned = {tp.partition for tp in partitions}
        started = time.monotonic()
        restored = read_topic_to_end(
            self.settings, TOPICS.triggers, partitions=owned, on_unreadable=self._unreadable
        )
        self._owned |= owned
        for key, state in restored.items():
            self.states[key] = state
        # Restored states recover missed slots; triggers without a state get one.
        self._recovering |= set(restored)
        self._dirty |= set(restored) | {key for key in self.definitions.by_key if self.owns(key)}
        self._injected += stale_locks(self.settings, restored.values(), self._unreadable)
        self._sync_realtime(self.definitions.by_key)
        log.info(
            "scheduler %s restored %d triggers of partitions %s in %.2f s",
            self.instance_id,
            len(restored),
            sorted(owned),
            time.monotonic() - started,
        )
        self.probe.ready()

    def _unreadable(self, record: Record, error: DeserializationError) -> None:
        log.error("unreadable record %s@%s: %s", record.topic, record.offset, error)
        self._letters.append(dead_letter(record, str(error), ROLE))

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        gone = {tp.partition for tp in partitions}
        self._owned -= gone
        # Stopped before the new owner subscribes; their batches not committed are never
        # acknowledged, so the source gives them to the new owner.
        self._realtime.stop(key for key in self._realtime.subscribed() if not self.owns(key))
        for key in [key for key in self.states if partition_for(key, self._partitions) in gone]:
            del self.states[key]
            self._wake_of.pop(key, None)

    # ---- the loop -----------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to finish its batch and return."""
        self._stop.set()

    def run(self) -> None:
        """Poll, decide, produce and commit until `stop` is called."""
        reached, _ = self.definitions.catch_up()
        if not reached:
            log.warning("the flows topic could not be read to its end; going on")
        self._active = {key: each.active for key, each in self.definitions.by_key.items()}
        self._consumer.subscribe(
            [TOPICS.trigger_commands], on_assign=self._on_assign, on_revoke=self._on_revoke
        )
        try:
            while not self._stop.is_set():
                self.probe.beat()
                self._take_flow_changes()
                records = self._consumer.poll_batch(
                    self.settings.runtime.batch_size, self._timeout()
                )
                now = self._clock()
                self._dirty |= self._due(now)
                polled = self._poller.finished()
                self._deliveries += self._realtime.take()
                work = self._dirty or self._letters or self._injected or self._deliveries
                if records or work or polled:
                    self._transact(records, now, polled)
        finally:
            self.probe.stopped()
            self.close()

    def _take_flow_changes(self) -> None:
        for key in self.definitions.poll():
            if not self.owns(key):
                continue
            self._dirty.add(key)
            definition = self.definitions.by_key.get(key)
            active = definition is not None and definition.active
            if active and self._active.get(key) is False:
                self._recovering.add(key)  # re-enabled in the YAML
            self._active[key] = active
            self._sync_realtime([key])

    def _sync_realtime(self, keys: Iterable[str]) -> None:
        self._realtime.sync(keys, self.definitions.by_key, self.states.get, self.owns)

    def _timeout(self) -> float:
        timeout = self.settings.scheduler.poll_timeout
        if self._dirty or self._injected:
            return 0.0
        if self._poller.any:  # a poll may end any time: look again soon
            timeout = min(timeout, 0.02)
        if self._realtime.any:  # a message may come any time: hand it over soon
            timeout = min(timeout, REALTIME_TIMEOUT)
        if self._wakes:
            left = (self._wakes[0][0] - self._clock()).total_seconds()
            timeout = min(timeout, max(left, 0.0))
        return timeout

    def _due(self, now: datetime) -> set[str]:
        due: set[str] = set()
        while self._wakes and self._wakes[0][0] <= now:
            wake, key = heapq.heappop(self._wakes)
            if self._wake_of.get(key) == wake:
                del self._wake_of[key]
                due.add(key)
        return due

    def _transact(
        self, records: list[Record], now: datetime, finished: dict[str, Future[list[Poll]]]
    ) -> None:
        batch = _Batch(self._letters)
        injected, self._injected = self._injected, []
        dirty, self._dirty = self._dirty, set()
        deliveries, self._deliveries = self._deliveries, []
        self._letters = []
        started = time.monotonic()
        self._producer.begin()
        try:
            for command in injected:
                if self.owns(trigger_key(command.namespace, command.flow_id, command.trigger_id)):
                    self._apply(command, batch, now)
            for record in records:
                self._take_record(record, batch, now)
            for key, future in finished.items():
                self._take_poll(key, future, batch, now)
            for delivery in deliveries:
                self._take_delivery(delivery, batch, now)
            pending = sorted(dirty | batch.evaluated)
            for index, key in enumerate(pending):
                if len(batch.firings) >= self.settings.scheduler.firings_per_transaction:
                    # A burst (10,000 schedules due the same minute) commits in chunks, so
                    # the first firings do not wait for the last ones to be decided.
                    self._dirty |= set(pending[index:])
                    break
                self._evaluate(key, batch, now)
            decided = time.monotonic()
            self._produce(batch, now)
            if records:
                self._producer.send_offsets(self._consumer, records=records)
            self._producer.commit()
            self._log_slow(batch, len(records), started, decided)
        except TransactionError as exc:
            self._abort()
            if exc.fatal or not (exc.abortable or exc.retriable):
                raise
            log.warning("transaction aborted (%s); the batch is redone", exc)
            self._letters = batch.letters + self._letters
            self._injected = injected + self._injected
            self._dirty |= dirty | set(finished)  # polled again: the results are lost
            self._deliveries = deliveries + self._deliveries  # created in the next one
            self._consumer.rewind(records)
            self._producer.close()
            self._producer = self._new_producer()
            return
        except BaseException:
            self._abort()
            for delivery in deliveries:
                delivery.settle(committed=False)
            raise
        for delivery in deliveries:  # committed: their sources may acknowledge them now
            delivery.settle(committed=True)
        self._committed(batch)

    def _log_slow(self, batch: _Batch, commands: int, started: float, decided: float) -> None:
        took = time.monotonic() - started
        if took >= 1.0:
            log.warning(
                "slow batch: %d commands, %d states, %d firings: decided in %.2f s, "
                "produced and committed in %.2f s",
                commands,
                len(batch.states),
                len(batch.firings),
                decided - started,
                took - (decided - started),
            )

    def _abort(self) -> None:
        with contextlib.suppress(KafkaError):  # keep the first error
            self._producer.abort()

    def _current(self, key: str, batch: _Batch) -> TriggerState | None:
        return batch.states[key] if key in batch.states else self.states.get(key)

    def _take_record(self, record: Record, batch: _Batch, now: datetime) -> None:
        try:
            command = record.decoded(TOPICS.trigger_commands)
        except DeserializationError as exc:
            self._dead_letter(record, str(exc), batch)
            return
        if command is None:
            return
        if trigger_key(command.namespace, command.flow_id, command.trigger_id) != record.key_str:
            self._dead_letter(record, "the key is not the command's ns/flow/trigger", batch)
            return
        problem = self._apply(command, batch, now)
        if problem is not None:
            self._dead_letter(record, problem, batch)

    def _apply(self, command: TriggerCommand, batch: _Batch, now: datetime) -> str | None:
        key = trigger_key(command.namespace, command.flow_id, command.trigger_id)
        definition = self.definitions.by_key.get(key)
        if definition is None:
            if isinstance(command, ExecutionEnded):  # its flow or trigger is gone: nothing to do
                log.info("execution %s ended for the unknown trigger %s", command.execution_id, key)
                return None
            return f"unknown trigger {key!r}: no deployed flow declares it"
        try:
            decision = apply_command(
                command,
                self._current(key, batch),
                definition.trigger,
                definition.ref,
                now,
                self._renderer,
            )
        except ConditionError as exc:
            return f"trigger {key}: {exc}"
        self._take(key, decision, batch)
        batch.evaluated.add(key)
        return decision.problem

    def _evaluate(self, key: str, batch: _Batch, now: datetime) -> None:
        if not self.owns(key):  # revoked since it was marked: its new owner decides
            return
        batch.decided.add(key)
        definition = self.definitions.by_key.get(key)
        state = self._current(key, batch)
        if definition is None:
            if state is not None:
                batch.states[key] = _GONE  # its flow or trigger was deleted
            return
        ctx = ScheduleContext(now=now, renderer=self._renderer, backfill_pace=self._pace)
        try:
            decision = evaluate(definition, state, ctx, recovering=key in self._recovering)
        except ConditionError as exc:
            log.error("trigger %s: %s", key, exc)
            return
        self._take(key, decision, batch)
        state = self._current(key, batch)
        if not self._poller.busy(key) and wants_poll(definition, state, now):
            self._poller.submit(key, definition, now)

    def _take_poll(
        self, key: str, future: Future[list[Poll]], batch: _Batch, now: datetime
    ) -> None:
        definition = self.definitions.by_key.get(key)
        state = self._current(key, batch)
        if (
            not self.owns(key)
            or definition is None
            or state is None
            or not isinstance(definition.trigger, PollingTrigger)
        ):
            return
        polls = results(key, future)
        decision = after_poll(definition.trigger, state, definition.ref, polls, now, self._renderer)
        self._take(key, decision, batch)
        batch.evaluated.add(key)

    def _take_delivery(self, delivery: Delivery, batch: _Batch, now: datetime) -> None:
        key = delivery.key
        definition = self.definitions.by_key.get(key)
        if not self.owns(key) or definition is None or definition.trigger != delivery.trigger:
            # Revoked, removed or changed since it was received: not acknowledged, so the
            # source delivers it again (to the new owner or the new subscription).
            delivery.settle(committed=False)
            return
        state = self._current(key, batch) or new_state(definition.ref, delivery.trigger, now)
        decision = after_messages(
            delivery.trigger, state, definition.ref, delivery.messages, now, self._renderer
        )
        self._take(key, decision, batch)
        batch.evaluated.add(key)

    def _take(self, key: str, decision: Decision, batch: _Batch) -> None:
        if decision.state is not None:
            batch.states[key] = decision.state
        batch.firings.extend(decision.firings)

    def _produce(self, batch: _Batch, now: datetime) -> None:
        send = self._producer.send
        # The delay runs to now, when the batch is decided and produced, not to when the
        # loop woke up: a large batch's last firings are later than its first.
        produced = self._clock()
        for key, state in batch.states.items():
            send(TOPICS.triggers, key, state)
        for firing in batch.firings:
            create = firing.create
            send(TOPICS.execution_commands, create.execution_id, create)
            trigger_id = create.trigger.id if create.trigger else ""
            metric = MetricEntry(
                execution_id=create.execution_id,
                namespace=create.namespace,
                flow_id=create.flow_id,
                name=DELAY_METRIC,
                metric_type="timer",
                value=max((produced - firing.due).total_seconds(), 0.0),
                tags={"trigger": trigger_id},
                timestamp=now,
            )
            send(TOPICS.metrics, create.execution_id, metric)
        for letter in batch.letters:
            send(TOPICS.dead_letters, letter.key or "", letter)

    def _committed(self, batch: _Batch) -> None:
        for key, state in batch.states.items():
            if state is None:
                self.states.pop(key, None)
            else:
                self.states[key] = state
        self._recovering -= batch.decided
        for firing in batch.firings:
            log.debug("fired %s for %s", firing.create.execution_id, firing.due)
        self.fired += len(batch.firings)
        committed = self._clock()
        for firing in batch.firings:
            create = firing.create
            kind = create.trigger.type if create.trigger else "unknown"
            SCHEDULER_TRIGGER_COUNT.labels(create.namespace, create.flow_id, kind).inc()
            SCHEDULER_TRIGGER_DELAY.observe(max((committed - firing.due).total_seconds(), 0.0))
        for key in batch.decided | set(batch.states) | batch.evaluated:
            self._schedule_wake(key)
        self._sync_realtime(batch.states)  # disabled or enabled by a command

    def _schedule_wake(self, key: str) -> None:
        definition = self.definitions.by_key.get(key)
        state = self.states.get(key)
        wake = None
        if self._poller.busy(key):
            return  # woken when its poll ends
        if definition is not None and state is not None and self.owns(key):
            wake = next_wake(definition, state, self._pace)
        if wake is None:
            self._wake_of.pop(key, None)
        elif self._wake_of.get(key) != wake:
            self._wake_of[key] = wake
            heapq.heappush(self._wakes, (wake, key))

    def _dead_letter(self, record: Record, reason: str, batch: _Batch) -> None:
        batch.letters.append(dead_letter(record, reason, ROLE))
        log.warning("dead letter from %s@%s: %s", record.topic, record.offset, reason)

    def close(self) -> None:
        """Leave the group and close every client (safe to call twice)."""
        self._poller.close()
        self._realtime.close()
        for closer in (self._consumer.close, self._producer.close, self.definitions.close):
            try:
                closer()
            except Exception as exc:  # closing must go on
                log.debug("while closing: %s", exc)


__all__ = ["DELAY_METRIC", "ROLE", "SchedulerService"]
