"""Typed consumer: batches of ``Record``, typed errors, assignment callbacks with plain data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import confluent_kafka

from orchestrator.kafka._logging import with_logger
from orchestrator.kafka.errors import ConsumeError, KafkaError, from_confluent
from orchestrator.kafka.idle import FetchGate
from orchestrator.kafka.records import Record, TopicPartition
from orchestrator.kafka.topics import Topics, TopicSpec
from orchestrator.management.lag import CONSUMER_LAG, PartitionLag
from orchestrator.settings import ConfigValue, KafkaSettings, KestrelSettings, kafka_settings

LAG_REFRESH_SECONDS = 1.0
"""How often a polling consumer recomputes its lag for ``/metrics``."""

AssignCallback = Callable[[list[TopicPartition]], Iterable[TopicPartition] | None]
"""Called with newly assigned partitions; may return them with start offsets to use instead."""

RevokeCallback = Callable[[list[TopicPartition]], None]
"""Called with partitions being revoked (or lost), before another member gets them."""


class KafkaConsumer:
    """A consumer-group member reading registry topics.

    Defaults: manual commits, ``read_committed``, earliest offset when the group has none,
    static membership when an instance id is set. Always ``close()`` it (or use ``with``):
    the embedded broker never evicts a member that vanished without leaving (BACKENDS.md).
    """

    def __init__(
        self,
        settings: KafkaSettings | KestrelSettings,
        group_id: str,
        *,
        instance_id: str | None = None,
        read_committed: bool = True,
        client_id: str | None = None,
        overrides: Mapping[str, ConfigValue] | None = None,
    ):
        """Create the consumer (it joins the group on ``subscribe`` and the first poll).

        Args:
            settings: Kafka settings.
            group_id: The consumer group.
            instance_id: Static member id; defaults to ``settings.instance_id``.
            read_committed: Hide records of open and aborted transactions.
            client_id: ``client.id`` shown in broker logs.
            overrides: librdkafka properties set last.
        """
        settings = kafka_settings(settings)
        config = settings.consumer_config(
            group_id, instance_id, read_committed, **(overrides or {})
        )
        if client_id is not None:
            config["client.id"] = client_id
        self.topics = Topics(settings.topic_prefix)
        self.group_id = group_id
        self._consumer = confluent_kafka.Consumer(with_logger(config))
        strategy = str(config.get("partition.assignment.strategy", ""))
        self._cooperative = "cooperative" in strategy
        self._pending: KafkaError | None = None
        self._closed = False
        self._lag: list[PartitionLag] = []
        self._lag_due = 0.0
        # The assignment and the group metadata change only in a rebalance callback or an
        # `assign`; asking librdkafka is a request to its main thread made holding the GIL
        # (measured: 1-7 ms on a busy machine, every other thread of the process stalled).
        self._assignment: list[confluent_kafka.TopicPartition] | None = None
        self._rebalancing = False  # inside a rebalance callback
        self._metadata: Any = None
        self._gate = FetchGate(
            self._consumer,
            settings.idle_after,
            settings.idle_probe,
            config,
            probe_max=settings.idle_probe_max,
            assignment=self._assigned,
        )
        CONSUMER_LAG.register(self)

    def __enter__(self) -> KafkaConsumer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def raw(self) -> confluent_kafka.Consumer:
        """The underlying confluent-kafka consumer, for what this wrapper does not cover."""
        return self._consumer

    def subscribe(
        self,
        topics: Iterable[TopicSpec[Any]],
        *,
        on_assign: AssignCallback | None = None,
        on_revoke: RevokeCallback | None = None,
        on_lost: RevokeCallback | None = None,
    ) -> None:
        """Join the group for ``topics``; the callbacks run inside ``poll_batch``.

        Args:
            topics: Registry topics.
            on_assign: Sees new partitions before records arrive (restore state here).
            on_revoke: Sees partitions leaving (flush or commit here).
            on_lost: Sees partitions lost without a clean revoke; defaults to ``on_revoke``.
        """
        names = [self.topics.name(spec) for spec in topics]
        lost = on_lost or on_revoke
        # Hooks always: they tell when the assignment changes. Where the application gave
        # no callback, confluent-kafka assigns and revokes after the hook, as without one.
        self._consumer.subscribe(
            names,
            on_assign=self._assign_hook(on_assign),
            on_revoke=self._plain(on_revoke),
            on_lost=self._plain(lost),
        )

    def _changed(self) -> None:
        self._assignment = None
        self._metadata = None

    def _assign_hook(self, callback: AssignCallback | None) -> Callable[[Any, list[Any]], None]:
        def hook(consumer: confluent_kafka.Consumer, raw: list[Any]) -> None:
            self._rebalancing = True
            try:
                if callback is None:
                    return
                chosen = callback([TopicPartition.from_confluent(tp) for tp in raw])
                if chosen is None:
                    return
                partitions = [tp.to_confluent() for tp in chosen]
                if self._cooperative:
                    consumer.incremental_assign(partitions)
                else:
                    consumer.assign(partitions)
            finally:
                self._rebalancing = False
                self._changed()
                self._gate.touch()  # new partitions: their records are not fetched yet

        return hook

    def _plain(self, callback: RevokeCallback | None) -> Callable[[Any, list[Any]], None]:
        def hook(consumer: confluent_kafka.Consumer, raw: list[Any]) -> None:
            self._rebalancing = True
            try:
                self._gate.release(raw)  # while still assigned, before they are unassigned
                if callback is not None:
                    callback([TopicPartition.from_confluent(tp) for tp in raw])
            finally:
                self._rebalancing = False
                self._changed()

        return hook

    def _assigned(self) -> list[confluent_kafka.TopicPartition]:
        """The assignment, asked of librdkafka once after each change.

        Never kept from inside a rebalance callback: confluent-kafka assigns or revokes
        after the callback returns when the application did not.
        """
        if self._rebalancing:
            return list(self._consumer.assignment())
        if self._assignment is None:
            self._assignment = list(self._consumer.assignment())
        return self._assignment

    def rewind(self, records: Iterable[Record]) -> None:
        """Read ``records`` again: seek each of their partitions back to its first one.

        After an aborted transaction, a batch is redone in place from the positions it
        started at, instead of restarting the process.
        """
        first: dict[tuple[str, int], int] = {}
        for record in records:
            where = (record.topic, record.partition)
            first[where] = min(first.get(where, record.offset), record.offset)
        for (topic, partition), offset in first.items():
            self._consumer.seek(confluent_kafka.TopicPartition(topic, partition, offset))

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Read exactly these partitions, without group management."""
        self._changed()
        self._consumer.assign([tp.to_confluent() for tp in partitions])

    def poll_batch(self, max_messages: int = 500, timeout: float = 1.0) -> list[Record]:
        """Return up to ``max_messages`` records, waiting at most ``timeout`` seconds.

        Partition-EOF events are skipped. Any other error is raised as a typed error, but
        only after the records that came before it were returned (on the next call), so a
        batch is never half lost.

        Raises:
            ConsumeError: A broker or group error.
            TopicError: A subscribed topic does not exist.
        """
        if self._pending is not None:
            error, self._pending = self._pending, None
            raise error
        try:
            messages = self._gate.fetch(max_messages, timeout)
            self._refresh_lag()
        except confluent_kafka.KafkaException as exc:
            raise from_confluent(exc, "consume") from exc
        records: list[Record] = []
        for message in messages:
            raw_error = message.error()
            if raw_error is None:
                records.append(Record.from_message(message))
            elif raw_error.code() != confluent_kafka.KafkaError._PARTITION_EOF:
                typed = from_confluent(
                    raw_error, "consume", topic=message.topic(), partition=message.partition()
                )
                if not records:
                    raise typed
                self._pending = typed
                break
        return records

    def raw_positions(self) -> list[confluent_kafka.TopicPartition]:
        """Next offsets to read on every assigned partition (confluent objects)."""
        return list(self._consumer.position(self._assigned()))

    def positions(self) -> list[TopicPartition]:
        """Next offsets to read on every assigned partition (None: nothing read yet)."""
        return [TopicPartition.from_confluent(tp) for tp in self.raw_positions()]

    def assignment(self) -> list[TopicPartition]:
        """The partitions assigned to this member."""
        return [TopicPartition.from_confluent(tp) for tp in self._assigned()]

    def group_metadata(self) -> Any:
        """Group metadata for ``KafkaProducer.send_offsets`` (exactly-once).

        Asked of librdkafka once after each rebalance: it changes only then (a stale one
        makes the transaction fail, and `forget_group_metadata` asks again).
        """
        if self._metadata is None:
            self._metadata = self._consumer.consumer_group_metadata()
        return self._metadata

    def forget_group_metadata(self) -> None:
        """Ask librdkafka for the group metadata again (after a failed transaction)."""
        self._metadata = None

    def commit(self, offsets: Iterable[TopicPartition] | None = None) -> None:
        """Commit ``offsets`` (next offsets to read), or the current positions, synchronously.

        Raises:
            ConsumeError: The commit failed (for example after a rebalance).
        """
        raw = [tp.to_confluent() for tp in offsets] if offsets is not None else None
        raw = raw if raw is not None else [tp for tp in self.raw_positions() if tp.offset >= 0]
        if not raw:
            return
        try:
            self._consumer.commit(offsets=raw, asynchronous=False)
        except confluent_kafka.KafkaException as exc:
            raise from_confluent(exc, "consume") from exc

    def watermarks(self, partition: TopicPartition, timeout: float = 10.0) -> tuple[int, int]:
        """Return (low, high) offsets of a partition, as the broker knows them."""
        try:
            low, high = self._consumer.get_watermark_offsets(
                partition.to_confluent(), timeout=timeout, cached=False
            )
        except confluent_kafka.KafkaException as exc:
            raise from_confluent(
                exc, "consume", topic=partition.topic, partition=partition.partition
            ) from exc
        return int(low), int(high)

    def lag(self) -> list[PartitionLag]:
        """Records not read yet on each assigned partition, as of the last poll.

        At most `LAG_REFRESH_SECONDS` old, and safe to call from any thread. The consumer's
        own thread computes it while polling: librdkafka's assignment query, called from
        another thread during a poll, waits for that poll to end.
        """
        return [] if self._closed else self._lag

    def _refresh_lag(self) -> None:
        now = time.monotonic()
        if now < self._lag_due:
            return
        self._lag_due = now + LAG_REFRESH_SECONDS
        found: list[PartitionLag] = []
        for position in self._consumer.position(self._assigned()):
            # Cached: the high watermark of the last fetch response, no round trip.
            low, high = self._consumer.get_watermark_offsets(position, cached=True)
            if high < 0:
                continue  # nothing fetched from this partition yet
            # No position yet: nothing read since the assignment, all is to read (earliest).
            start = position.offset if position.offset >= 0 else max(low, 0)
            lag = max(0, high - start)
            found.append(PartitionLag(self.group_id, position.topic, position.partition, lag))
        self._lag = found

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        """Stop fetching these partitions until ``resume``."""
        chosen = list(partitions)
        self._gate.app_paused.update((tp.topic, tp.partition) for tp in chosen)
        self._consumer.pause([tp.to_confluent() for tp in chosen])

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        """Fetch these partitions again."""
        chosen = list(partitions)
        self._gate.app_paused.difference_update((tp.topic, tp.partition) for tp in chosen)
        self._consumer.resume([tp.to_confluent() for tp in chosen])
        self._gate.touch()

    def close(self) -> None:
        """Leave the group cleanly (runs ``on_revoke``); safe to call twice."""
        if not self._closed:
            self._closed = True
            CONSUMER_LAG.unregister(self)
            self._gate.close()
            try:
                self._consumer.close()
            except confluent_kafka.KafkaException as exc:
                raise ConsumeError(f"close failed: {exc}") from exc
