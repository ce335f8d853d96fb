"""The indexer service: mirrors Kafka topics into Elasticsearch (docs/architecture.md section 6).

One explicit loop, in ``Indexer.run``: poll records, transform them into bulk actions, and when
the buffer holds ``indexer.batch_size`` documents or its oldest record waited
``indexer.flush_interval`` seconds, flush: one bulk request, task runs and summaries of
deleted executions, dead letters, the statistics of the days the batch touched
(``daystats``; while catching up, at most every ``indexer.stats_interval`` seconds and never
more than a quarter of the time, the offsets of the flushes in between held until then),
then the offsets. Offsets are committed
only after all of that succeeded, so a crash at any point makes the next instance index the
same records again, which is harmless: ids come from keys (or Kafka coordinates) and
versions are external.

When Elasticsearch is unreachable, overloaded (429) or failing (5xx), the same request is sent
again after a bounded exponential backoff. Meanwhile the assigned partitions are paused and
still polled, so the member stays in its group without reading further.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from elasticsearch import Elasticsearch

from indexer.batch import Batch
from indexer.bulk import purge_taskruns, send
from indexer.daystats import Touched, compute_day_stats, purge_summaries, touched_by
from indexer.deadletters import DeadLetterSink, build_dead_letters
from indexer.errors import ElasticsearchUnavailableError
from indexer.es import call_elasticsearch
from indexer.retry import Backoff
from indexer.transform import SOURCE_TOPICS, Action, Targets, Transformer
from indexer.unchanged import UnchangedFilter
from orchestrator.kafka import (
    TOPICS,
    ConsumeError,
    KafkaConsumer,
    KafkaError,
    Record,
    TopicPartition,
    Topics,
    ensure_topics,
    group_id,
)
from orchestrator.management import Probe
from orchestrator.management.metrics import (
    INDEXER_DOCUMENTS,
    INDEXER_FAILED,
    INDEXER_REQUEST_DURATION,
)
from orchestrator.repository.admin import ensure_indices, make_client, names_for
from orchestrator.repository.indices import IndexKind
from orchestrator.settings import KestrelSettings

LOGGER = logging.getLogger("kestrel.indexer")

_ResultT = TypeVar("_ResultT")

STATS_SHARE = 3.0
"""While catching up, wait at least this many times the last day statistics computation's
duration before the next one (so at most a quarter of the time goes to computing them)."""


class _StoppedError(Exception):
    """``stop()`` was called while waiting: leave without committing."""


@dataclass
class IndexerStats:
    """Counters of a running indexer (read them from any thread)."""

    records: int = 0
    flushes: int = 0
    written: int = 0
    stale: int = 0
    dead_letters: int = 0
    retries: int = 0
    commit_failures: int = 0
    bulk_seconds: float = 0.0


def default_instance_id(settings: KestrelSettings) -> str:
    """``indexer.instance_id``, else ``<kafka.instance_id or host name>-indexer``."""
    if settings.indexer.instance_id:
        return settings.indexer.instance_id
    return f"{settings.kafka.instance_id or socket.gethostname()}-indexer"


class Indexer:
    """A member of the ``kestrel-indexer`` group; ``run()`` until ``stop()``."""

    def __init__(
        self,
        settings: KestrelSettings,
        instance_id: str | None = None,
        *,
        client: Elasticsearch | None = None,
        probe: Probe | None = None,
    ) -> None:
        """Prepare the indexer; nothing connects before ``run()``.

        Args:
            settings: Kafka, Elasticsearch and ``indexer`` settings.
            instance_id: Static group member id; defaults to ``default_instance_id``.
            client: Elasticsearch client; None makes one without client-side retries (the
                indexer's own backoff does that).
            probe: Told of each turn of the loop and of readiness (the management server's
                health); a detached one when None.
        """
        self.settings = settings
        self.probe = probe or Probe("indexer")
        self.instance_id = instance_id or default_instance_id(settings)
        self.stats = IndexerStats()
        self.ready = threading.Event()
        self._options = settings.indexer
        self._client = client or make_client(settings, max_retries=0, retry_on_timeout=False)
        self._names = names_for(settings)
        self._topics = Topics.from_settings(settings)
        self._transformer = Transformer(self._topics, Targets(self._names))
        self._unchanged = UnchangedFilter(self._names.alias(IndexKind.TASKRUNS))
        self._backoff = Backoff.from_settings(self._options)
        self._stopping = threading.Event()
        self._batch = Batch()
        # Statistics owed and offsets held for them, while catching up (``stats_interval``).
        self._touched: Touched = {}
        self._uncommitted: dict[tuple[str, int], int] = {}
        self._stats_at = time.monotonic()
        self._stats_took = 0.0  # how long the last computation took
        self._consumer: KafkaConsumer | None = None
        self._sink = DeadLetterSink(settings)

    def stop(self) -> None:
        """Ask ``run()`` to return (safe from any thread and from signal handlers)."""
        self._stopping.set()

    def run(self) -> None:
        """Mirror the topics until ``stop()``: poll -> transform -> bulk -> commit.

        Raises:
            GaveUpError: Elasticsearch stayed unavailable past ``retry_max_elapsed``.
            ElasticsearchRefusedError: Elasticsearch refused a request for good.
            KafkaError: Kafka failed in a way retrying cannot fix.
        """
        try:
            consumer = self._open()
            while not self._stopping.is_set():
                self.probe.beat()
                try:
                    records = consumer.poll_batch(self._room(), self._poll_timeout())
                except ConsumeError as exc:
                    # Broker hiccups surface here; the client reconnects by itself.
                    LOGGER.warning("consuming failed (%s); polling again", exc)
                    self._stopping.wait(1.0)
                    continue
                self._take(records)
                if self._due():
                    self._flush()
            self._flush(final=True)
        except _StoppedError:
            LOGGER.info("indexer stopped while waiting; unwritten records were not committed")
        finally:
            self.probe.stopped()
            self._close()

    @property
    def _group(self) -> str:
        configured = self._options.group_id
        return configured or group_id(self.settings.kafka.topic_prefix, "indexer")

    # ---- the steps of the loop -----------------------------------------------------------

    def _open(self) -> KafkaConsumer:
        ensure_topics(self.settings, [*SOURCE_TOPICS, TOPICS.dead_letters])
        self._retrying(
            "creating indices",
            lambda: call_elasticsearch(lambda: ensure_indices(self._client, self._names)),
        )
        consumer = KafkaConsumer(
            self.settings,
            self._group,
            instance_id=self.instance_id,
            client_id=f"kestrel-indexer-{self.instance_id}",
        )
        consumer.subscribe(SOURCE_TOPICS, on_assign=self._assigned, on_revoke=self._batch_drop)
        self._consumer = consumer
        self.ready.set()
        LOGGER.info("indexer %s started (group %s)", self.instance_id, self._group)
        return consumer

    def _assigned(self, partitions: list[TopicPartition]) -> None:
        del partitions  # none (more indexers than partitions) is fine too
        self.probe.ready()

    def _batch_drop(self, partitions: list[TopicPartition]) -> None:
        self._unchanged.forget_all()
        self._batch.drop(partitions)
        for tp in partitions:  # their new owner indexes them again, and computes again
            self._uncommitted.pop((tp.topic, tp.partition), None)

    def _room(self) -> int:
        return max(1, self._options.batch_size - len(self._batch))

    def _poll_timeout(self) -> float:
        if self._batch.is_empty():
            return min(self._options.flush_interval, 0.5)
        left = self._options.flush_interval - self._batch.age(time.monotonic())
        return max(0.0, min(left, 0.5))

    def _take(self, records: list[Record]) -> None:
        now = time.monotonic()
        executions = self._topics.name(TOPICS.executions)
        for record in records:
            if record.topic == executions and record.value is not None:
                checked = self._transformer.check(record)  # malformed: a dead letter now
                if checked.failure is not None:
                    self._batch.add(record, checked, now)
                else:
                    self._batch.defer(record, now)  # documents built once, at flush
            else:
                if record.topic == executions:  # a tombstone: the deletion wins
                    self._batch.forget_snapshot(record)
                self._batch.add(record, self._transformer.transform(record), now)
        self.stats.records += len(records)

    def _due(self) -> bool:
        if self._batch.is_empty():
            return False
        full = len(self._batch) >= self._options.batch_size
        return full or self._batch.age(time.monotonic()) >= self._options.flush_interval

    def _flush(self, final: bool = False) -> None:
        batch, self._batch = self._batch, Batch()
        if batch.is_empty():
            if final and (self._uncommitted or self._touched):
                self._finish_pending()
            return
        batch.build(self._transformer.transform)
        actions = self._unchanged.changed(batch.actions)
        rejected = self._write(actions)
        refused = {id(action) for action, _ in rejected}
        self._unchanged.remember(a for a in actions if id(a) not in refused)
        touched = touched_by(self._names, (a for a in actions if id(a) not in refused))
        if batch.purges:
            self._unchanged.forget_all()
            self._purge_taskruns(sorted(batch.purges))
            gone = self._retrying(
                "deleting summaries of deleted executions",
                functools.partial(purge_summaries, self._client, self._names, sorted(batch.purges)),
            )
            for day, flows in gone.items():
                touched.setdefault(day, set()).update(flows)
        failures = batch.failures + [(a.record, why) for a, why in rejected if a.record]
        self._send_dead_letters(failures)
        for day, flows in touched.items():
            self._touched.setdefault(day, set()).update(flows)
        for tp in batch.commit_offsets():
            if tp.offset is not None:
                self._uncommitted[(tp.topic, tp.partition)] = tp.offset
        catching_up = len(batch) >= self._options.batch_size
        waited = time.monotonic() - self._stats_at
        # A computation reads every summary of the days touched: over a backlog spread on
        # many days, that is all of them, and it grows with the backlog (30 s a time at
        # 80,000 summaries over 30 days on the embedded server). Computing at most a quarter
        # of the time keeps the catching up writing documents.
        interval = max(self._options.stats_interval, STATS_SHARE * self._stats_took)
        if final or not catching_up or waited >= interval:
            # Before the commit: a crash here makes the next instance compute them again.
            self._finish_pending()
        self._backoff.reset()
        self.stats.flushes += 1

    def _finish_pending(self) -> None:
        """Compute the statistics still owed and commit the offsets held for them."""
        started = time.monotonic()
        self._retrying(
            "computing day statistics",
            functools.partial(compute_day_stats, self._client, self._names, self._touched),
        )
        self._touched, self._stats_at = {}, time.monotonic()
        self._stats_took = self._stats_at - started
        offsets = [TopicPartition(t, p, o) for (t, p), o in sorted(self._uncommitted.items())]
        self._uncommitted = {}
        self._commit(offsets)

    def _write(self, actions: list[Action]) -> list[tuple[Action, str]]:
        rejected: list[tuple[Action, str]] = []
        pending = actions
        while pending:
            started = time.monotonic()
            outcome = self._retrying("bulk request", functools.partial(send, self._client, pending))
            elapsed = time.monotonic() - started
            self.stats.bulk_seconds += elapsed
            INDEXER_REQUEST_DURATION.observe(elapsed)
            INDEXER_DOCUMENTS.inc(outcome.written)
            INDEXER_FAILED.inc(len(outcome.rejected))
            self.stats.written += outcome.written
            self.stats.stale += outcome.stale
            rejected += outcome.rejected
            pending = outcome.retry
            if not pending:
                break
            reason = f"{len(pending)} item(s) not taken (busy or missing index)"
            delay = self._backoff.next_delay(reason)
            self.stats.retries += 1
            LOGGER.warning("%s; sending them again in %.1f s", reason, delay)
            self._wait(delay)
            if outcome.missing_index:
                self._retrying(
                    "creating indices",
                    lambda: call_elasticsearch(lambda: ensure_indices(self._client, self._names)),
                )
        return rejected

    def _purge_taskruns(self, execution_ids: list[str]) -> None:
        index = self._names.alias(IndexKind.TASKRUNS)
        self._retrying(
            "deleting task runs of deleted executions",
            functools.partial(purge_taskruns, self._client, index, execution_ids),
        )

    def _send_dead_letters(self, failures: list[tuple[Record, str]]) -> None:
        letters = build_dead_letters(failures, self.settings.kafka.message_max_bytes)
        if letters:
            # Until Kafka acknowledged them nothing is committed, whatever it answers.
            self._retrying(
                "sending dead letters", lambda: self._sink.send(letters), retry_on=(KafkaError,)
            )
            self.stats.dead_letters += len(letters)

    def _commit(self, offsets: list[TopicPartition]) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        mine = [tp for tp in offsets if (tp.topic, tp.partition) in assigned]
        try:
            consumer.commit(mine)
        except KafkaError as exc:
            # Written but not committed: the records are indexed again later, harmlessly.
            self.stats.commit_failures += 1
            LOGGER.warning("commit failed (%s); these records will be indexed again", exc)

    # ---- waiting ---------------------------------------------------------------------------

    def _retrying(
        self,
        what: str,
        call: Callable[[], _ResultT],
        retry_on: tuple[type[Exception], ...] = (ElasticsearchUnavailableError,),
    ) -> _ResultT:
        while True:
            try:
                result = call()
            except retry_on as exc:
                self.probe.ready(f"{what} failed: {exc}")
                delay = self._backoff.next_delay(f"{what}: {exc}")
                self.stats.retries += 1
                LOGGER.warning("%s failed (%s); trying again in %.1f s", what, exc, delay)
                self._wait(delay)
            else:
                if self._consumer is not None and not self.probe.is_ready:
                    self.probe.ready()  # assigned before the outage, and reachable again
                return result

    def _wait(self, delay: float) -> None:
        """Wait ``delay`` seconds with the partitions paused, polling to stay in the group."""
        consumer = self._consumer
        paused = consumer.assignment() if consumer is not None else []
        if consumer is not None and paused:
            consumer.pause(paused)
        deadline = time.monotonic() + delay
        try:
            while (left := deadline - time.monotonic()) > 0:
                self.probe.beat()  # waiting out an outage is not a stuck loop
                if self._stopping.is_set():
                    raise _StoppedError
                if consumer is None:
                    self._stopping.wait(min(left, 0.2))
                else:
                    self._take(consumer.poll_batch(self._options.batch_size, min(left, 0.2)))
        finally:
            if consumer is not None and paused:
                wanted = {(tp.topic, tp.partition) for tp in paused}
                still = [tp for tp in consumer.assignment() if (tp.topic, tp.partition) in wanted]
                if still:
                    consumer.resume(still)
        if self._stopping.is_set():
            raise _StoppedError

    def _close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close()
            except KafkaError as exc:
                LOGGER.warning("closing the consumer failed: %s", exc)
            self._consumer = None
        self._sink.close()
        self.ready.clear()


IndexerService = Indexer
"""The name ``kestrel server standalone`` looks the service up by."""
