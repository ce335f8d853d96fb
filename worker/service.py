"""The worker service: takes task runs from ``worker-tasks`` and runs them concurrently.

Before running an attempt the worker reports it RUNNING and commits the offset in one
transaction, so a task is never silently dropped: if the worker dies afterwards, the
executor sees the missing heartbeats and runs the attempt again. Logs and heartbeats go
through an idempotent producer, results through one of their own (`worker.results`); a
result is acknowledged before the slot frees.

With every slot busy the worker pauses its partitions and keeps polling (`worker.intake`),
so it stays in its group however long its tasks run. A stop gives running tasks
``shutdown_grace`` seconds, hands back the rest, gives them ``task_stop_grace`` seconds to
end, and gives up results Kafka did not take: shutdown ends in bounded time even while
Kafka is unreachable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from orchestrator.kafka import (
    TOPICS,
    ConsumeError,
    DeserializationError,
    KafkaConsumer,
    KafkaError,
    KafkaProducer,
    Record,
    TopicPartition,
    TopicTail,
    claim_transactional_id,
    dead_letter,
    group_id,
)
from orchestrator.management import Probe
from orchestrator.management.metrics import WORKER_THREADS
from orchestrator.models.messages import (
    LogEntry,
    RunningTaskRun,
    WorkerInstance,
    WorkerTask,
)
from orchestrator.models.state import utcnow
from orchestrator.secrets import secret_codec
from orchestrator.settings import KestrelSettings
from orchestrator.storage import LocalStorage
from orchestrator.templating import TemplateRenderer
from worker.intake import Intake
from worker.metrics import observe_ended, observe_freed, observe_pending, observe_started
from worker.results import ResultReporter
from worker.runner import crashed, run_task, started

log = logging.getLogger("kestrel.worker")

ROLE = "workers"
_REMEMBERED_KILLS = 10_000
_CLOSE_SECONDS = 2.0
"""Longest wait for the clients' last deliveries when closing (Kafka may be away)."""
_CONSUME_RETRY_SECONDS = 1.0


@dataclass
class _Running:
    task: WorkerTask
    cancelled: threading.Event = field(default_factory=threading.Event)
    handed_back: bool = False
    thread: threading.Thread | None = None


class WorkerService:
    """One worker process (an incarnation of a stable instance id)."""

    def __init__(
        self,
        settings: KestrelSettings,
        instance_id: str,
        renderer: TemplateRenderer,
        threads: int | None = None,
        probe: Probe | None = None,
    ) -> None:
        """Connect to Kafka; ``instance_id`` is stable, each start is a new incarnation.

        Args:
            settings: The process' settings.
            instance_id: Stable id of this instance (static group membership).
            renderer: Renders the tasks' templates.
            threads: Task runs at once; None: ``runtime.worker_threads``.
            probe: Told of each turn of the loop and of readiness (the management server's
                health); a detached one when None.
        """
        self.settings = settings
        self.probe = probe or Probe(ROLE)
        self.instance_id = instance_id
        self.worker_id = f"{instance_id}-{uuid.uuid4().hex[:8]}"
        self.slots = threads or settings.runtime.worker_threads
        self._renderer = renderer
        self._storage = LocalStorage.from_settings(settings.storage)
        self._secrets = secret_codec(settings)
        self._started = utcnow()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._slot_freed = threading.Event()
        self._running: dict[str, _Running] = {}
        self._killed: OrderedDict[str, None] = OrderedDict()
        self._next_beat = 0.0
        self._close_by: float | None = None
        self._slots_counted = False
        self._tx = KafkaProducer(
            settings,
            transactional_id=claim_transactional_id(
                settings, ROLE, instance_id, self.worker_id.rsplit("-", 1)[-1]
            ),
            client_id=self.worker_id,
        )
        self._out = KafkaProducer(settings, client_id=self.worker_id)
        self._results = ResultReporter(settings, self.worker_id)
        self._kills = TopicTail(settings, [TOPICS.kills], from_beginning=False)
        self._consumer = KafkaConsumer(
            settings,
            group_id(settings.kafka.topic_prefix, ROLE),
            instance_id=instance_id,
            client_id=self.worker_id,
        )
        self._intake = Intake(self._consumer)

    def stop(self) -> None:
        """Stop taking work; running tasks get ``shutdown_grace`` seconds to finish."""
        self._stop.set()

    def run(self) -> None:
        """Take, run and report task runs until `stop` is called."""
        runtime = self.settings.runtime
        try:
            # Announce this incarnation before taking work, so that the executor knows whom
            # to watch even if it dies at once: a first heartbeat can take seconds to arrive.
            self._heartbeat(force=True)
            self._out.flush()
            self._consumer.subscribe(
                [TOPICS.worker_tasks], on_assign=self._assigned, on_revoke=self._intake.release
            )
            log.info("worker %s started with %d slots", self.worker_id, self.slots)
            WORKER_THREADS.inc(self.slots)
            self._slots_counted = True
            while not self._stop.is_set():
                self.probe.beat()
                self._heartbeat()
                self._read_kills()
                free = self.slots - len(self._running)
                try:
                    if free <= 0:
                        # Paused, the poll returns nothing but keeps the membership alive.
                        self._intake.pause()
                        records = self._consumer.poll_batch(1, 0)
                    else:
                        self._intake.resume()
                        records = self._consumer.poll_batch(free, runtime.poll_timeout)
                except ConsumeError as exc:
                    # Broker hiccups surface here; the client reconnects by itself.
                    log.warning("consuming failed (%s); polling again", exc)
                    self._stop.wait(_CONSUME_RETRY_SECONDS)
                    continue
                if records:
                    if free <= 0:  # not expected of a paused partition; run it, never drop it
                        log.warning("%d task run(s) came in with every slot busy", len(records))
                    self._start(records)
                if free <= 0:
                    # Wake as soon as a task ends, not after a fixed pause: tasks are often
                    # much shorter than the poll timeout.
                    self._slot_freed.wait(runtime.poll_timeout)
                    self._slot_freed.clear()
                self._serve_deliveries()
            self._shutdown()
        finally:
            self.probe.stopped()
            self.close()

    def _assigned(self, partitions: list[TopicPartition]) -> None:
        del partitions  # whatever they are (none, with more workers than partitions): serving
        self.probe.ready()

    def _start(self, records: list[Record]) -> None:
        tasks: list[WorkerTask] = []
        self._tx.begin()
        try:
            for record in records:
                try:
                    task = record.decoded_value(TOPICS.worker_tasks)
                except DeserializationError as exc:
                    letter = dead_letter(record, str(exc), "worker")
                    # Decoded leniently: the record's own key may be what is unreadable.
                    self._tx.send(TOPICS.dead_letters, letter.key or "", letter)
                    continue
                self._tx.send(
                    TOPICS.worker_results, task.task_run.execution_id, started(task, self.worker_id)
                )
                tasks.append(task)
            self._tx.send_offsets(self._consumer, records=records)
            self._tx.commit()
        except BaseException:
            with contextlib.suppress(KafkaError):  # keep the first error
                self._tx.abort()
            raise
        observe_started(records, tasks)
        for task in tasks:
            running = _Running(task)
            if task.task_run.id in self._killed:
                running.cancelled.set()
            with self._lock:
                self._running[task.task_run.id] = running
            # A daemon thread: one that ignores a stop request must not hold the process
            # at exit (a pool's threads are joined then); shutdown waits for them, bounded.
            running.thread = threading.Thread(
                target=self._execute, args=(running,), name=f"task-{task.task_run.id}", daemon=True
            )
            running.thread.start()

    def _execute(self, running: _Running) -> None:
        task = running.task
        try:
            try:
                result = run_task(
                    task,
                    self._renderer,
                    self._log,
                    self.worker_id,
                    running.cancelled,
                    self._storage,
                    self._secrets,
                    self.settings.runtime.task_stop_grace,
                )
            except Exception as exc:  # run_task never raises; this is the last line of defence
                result = crashed(task, self.worker_id, exc)
            if not running.handed_back:
                self._results.report(result)
            observe_ended(task, result)
        except Exception:  # never lose the slot, whatever happened
            log.exception("task run %s could not be reported", task.task_run.id)
        finally:
            with self._lock:
                self._running.pop(task.task_run.id, None)
            observe_freed(task)
            self._slot_freed.set()

    def _log(self, entry: LogEntry) -> None:
        self._out.send(TOPICS.logs, entry.execution_id, entry)

    def _serve_deliveries(self, timeout: float = 0) -> None:
        try:
            self._out.poll(timeout)
        except KafkaError as exc:  # a log line or heartbeat lost is no reason to stop
            log.warning("a log line or heartbeat was not delivered: %s", exc)

    def _read_kills(self) -> None:
        try:
            records = self._kills.poll()
        except KafkaError as exc:  # the tail reconnects by itself; read the rest next turn
            log.warning("reading kill notices failed (%s)", exc)
            return
        for record in records:
            try:
                notice = record.decoded(TOPICS.kills)
            except DeserializationError as exc:
                # Every worker reads every notice, so each one that cannot says so.
                letter = dead_letter(record, str(exc), "worker")
                self._out.send(TOPICS.dead_letters, letter.key or "", letter)
                log.warning("unreadable kill notice %s@%s: %s", record.topic, record.offset, exc)
                continue
            if notice is None:
                continue
            with self._lock:
                targets = [
                    running
                    for run_id, running in self._running.items()
                    if running.task.task_run.execution_id == notice.execution_id
                    and (not notice.task_run_ids or run_id in notice.task_run_ids)
                ]
            for running in targets:
                running.cancelled.set()
            for run_id in notice.task_run_ids:
                self._killed[run_id] = None
            while len(self._killed) > _REMEMBERED_KILLS:
                self._killed.popitem(last=False)

    def _heartbeat(self, status: str = "RUNNING", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_beat:
            return
        self._next_beat = now + self.settings.runtime.heartbeat_interval
        observe_pending(self._consumer)
        with self._lock:
            running = [
                RunningTaskRun(
                    execution_id=each.task.task_run.execution_id,
                    task_run_id=each.task.task_run.id,
                    attempt=each.task.attempt,
                )
                for each in self._running.values()
            ]
        beat = WorkerInstance(
            worker_id=self.worker_id,
            instance_id=self.instance_id,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            slots=self.slots,
            started=self._started,
            status=status,
            running=running,
        )
        try:
            self._out.send(TOPICS.worker_heartbeats, self.worker_id, beat)
        except KafkaError as exc:  # the next beat may get through; the executor waits
            log.warning("heartbeat not sent: %s", exc)
        self._serve_deliveries()

    def _shutdown(self) -> None:
        """Let running tasks finish for a grace period, then hand the rest back.

        Handed-back tasks are told to stop and get ``task_stop_grace`` seconds to end (a
        script's process group must not outlive the worker); results still waiting for
        Kafka are given up. The executor runs all of those attempts again.
        """
        runtime = self.settings.runtime
        self._heartbeat("TERMINATING", force=True)
        deadline = time.monotonic() + runtime.shutdown_grace
        while self._running and time.monotonic() < deadline:
            self._read_kills()
            self._serve_deliveries(0.1)
        with self._lock:
            leftovers = list(self._running.values())
        for running in leftovers:
            running.handed_back = True
            running.cancelled.set()
        self._results.give_up()
        if leftovers:
            log.warning("handing back %d unfinished task runs", len(leftovers))
        stop_deadline = time.monotonic() + runtime.task_stop_grace
        for running in leftovers:
            if running.thread is not None:
                running.thread.join(max(0.0, stop_deadline - time.monotonic()))
        stuck = [r.task.task_run.id for r in leftovers if r.thread and r.thread.is_alive()]
        if stuck:
            log.error(
                "%d task runs did not stop within %g s and are abandoned: %s",
                len(stuck),
                runtime.task_stop_grace,
                ", ".join(stuck),
            )
        self._heartbeat("STOPPED", force=True)
        # From here on, every client shares one short budget to deliver what it still holds.
        self._close_by = time.monotonic() + _CLOSE_SECONDS
        try:
            self._out.flush(_CLOSE_SECONDS)
        except KafkaError as exc:
            log.warning("the last heartbeat may not have been delivered: %s", exc)

    def close(self) -> None:
        """Close every client (safe to call twice); waits at most a few seconds for Kafka."""
        self._results.give_up()
        close_by = self._close_by or time.monotonic() + _CLOSE_SECONDS
        closers = (
            self._consumer.close,
            self._kills.close,
            self._tx.close,
            lambda: self._out.close(max(0.0, close_by - time.monotonic())),
            lambda: self._results.close(max(0.0, close_by - time.monotonic())),
        )
        if self._slots_counted:
            self._slots_counted = False
            WORKER_THREADS.dec(self.slots)
        for closer in closers:
            try:
                closer()
            except Exception as exc:  # closing must go on
                log.warning("while closing: %s", exc)
