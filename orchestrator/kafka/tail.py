"""Reading topics without a consumer group: every reader sees every record.

Used for what each process must see in full: flows and worker heartbeats (executor), kill
notices (every worker), and an execution followed by the CLI. Nothing is committed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import confluent_kafka

from orchestrator.kafka._logging import with_logger
from orchestrator.kafka.errors import TopicError, from_confluent
from orchestrator.kafka.idle import FetchGate
from orchestrator.kafka.records import Record
from orchestrator.kafka.topics import Topics, TopicSpec
from orchestrator.settings import KafkaSettings, KestrelSettings, kafka_settings


class TopicTail:
    """Follows topics from their beginning (or their end), on every partition or chosen ones."""

    def __init__(
        self,
        settings: KafkaSettings | KestrelSettings,
        specs: Iterable[TopicSpec[Any]],
        *,
        from_beginning: bool = True,
        partitions: dict[str, list[int]] | None = None,
        read_committed: bool = True,
        since: datetime | None = None,
    ) -> None:
        """Assign the partitions of ``specs`` (all, or ``partitions[logical name]``).

        ``since`` starts each partition at its first record written at or after that time
        (the end when there is none), instead of its beginning or end.

        Raises:
            TopicError: a topic does not exist.
        """
        settings = kafka_settings(settings)
        self.topics = Topics(settings.topic_prefix)
        config = settings.consumer_config(
            f"kestrel-tail-{uuid.uuid4().hex}", read_committed=read_committed
        )
        config.pop("group.instance.id", None)  # assigned, never a group member
        self._consumer = confluent_kafka.Consumer(with_logger(config))
        assignment = []
        for spec in specs:
            name = self.topics.name(spec)
            chosen = (partitions or {}).get(spec.logical)
            if chosen is None:
                metadata = self._consumer.list_topics(name, timeout=settings.admin_timeout)
                topic = metadata.topics.get(name)
                if topic is None or topic.error is not None or not topic.partitions:
                    self._consumer.close()
                    raise TopicError(name, "does not exist; run `kestrel topics create`")
                chosen = sorted(topic.partitions)
            if since is not None:
                assignment += self._offsets_since(name, chosen, since, settings.admin_timeout)
                continue
            for partition in chosen:
                start = confluent_kafka.OFFSET_BEGINNING
                if not from_beginning:
                    # The end as of now, resolved here: OFFSET_END would be resolved only at
                    # the first fetch, missing records produced in between.
                    part = confluent_kafka.TopicPartition(name, partition)
                    _, start = self._consumer.get_watermark_offsets(
                        part, timeout=settings.admin_timeout
                    )
                assignment.append(confluent_kafka.TopicPartition(name, partition, start))
        self._consumer.assign(assignment)
        # Fixed: asking librdkafka would be a request to its main thread holding the GIL.
        self._assignment = [
            confluent_kafka.TopicPartition(tp.topic, tp.partition) for tp in assignment
        ]
        self._reached: dict[tuple[str, int], int] | None = None  # ends of the last catch-up
        self._gate = FetchGate(
            self._consumer,
            settings.idle_after,
            settings.idle_probe,
            config,
            probe_max=settings.idle_probe_max,
            assignment=lambda: self._assignment,
            starts={(tp.topic, tp.partition): tp.offset for tp in assignment},
        )

    def _offsets_since(
        self, name: str, partitions: list[int], since: datetime, timeout: float
    ) -> list[confluent_kafka.TopicPartition]:
        millis = int(since.timestamp() * 1000)
        wanted = [confluent_kafka.TopicPartition(name, p, millis) for p in partitions]
        found = self._consumer.offsets_for_times(wanted, timeout=timeout)
        starts = []
        for part in found:
            offset = part.offset
            if offset < 0:  # nothing written since: start at the end as of now
                _, offset = self._consumer.get_watermark_offsets(
                    confluent_kafka.TopicPartition(name, part.partition), timeout=timeout
                )
            starts.append(confluent_kafka.TopicPartition(name, part.partition, offset))
        return starts

    def poll(self, max_messages: int = 1000, timeout: float = 0.0) -> list[Record]:
        """Return the records available now (waiting up to ``timeout`` for a first one)."""
        records = []
        for message in self._gate.fetch(max_messages, timeout):
            error = message.error()
            if error is not None:
                if error.code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    continue
                raise from_confluent(error, "consume", topic=message.topic())
            records.append(Record.from_message(message))
        return records

    def catch_up(self, timeout: float = 5.0) -> tuple[bool, list[Record]]:
        """Read on until every partition is read to the end it had when this was called.

        For topics written without transactions: the end is the high watermark, which a
        ``read_committed`` tail cannot pass while a transaction is open.

        Returns:
            Whether the ends were reached within ``timeout``, and the records read meanwhile
            (the caller takes them in like those of `poll`).
        """
        deadline = time.monotonic() + timeout
        records: list[Record] = []
        self._reached = None
        self._gate.wake_now()  # a resting gate would wait for new records, not read these
        try:
            # Two ListOffsets requests for all partitions (starts, ends), not two each.
            assigned = self._assignment
            starts = self._offsets(assigned, confluent_kafka.OFFSET_BEGINNING, timeout)
            every_end = self._offsets(assigned, confluent_kafka.OFFSET_END, timeout)
            ends = {where: high for where, high in every_end.items() if high > starts[where]}
            wanted = [confluent_kafka.TopicPartition(topic, p) for topic, p in ends]
            while True:
                positions = self._consumer.position(wanted) if wanted else []
                if all(tp.offset >= ends[(tp.topic, tp.partition)] for tp in positions):
                    self._reached = every_end
                    return True, records
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False, records
                records += self.poll(timeout=min(0.1, remaining))
        except confluent_kafka.KafkaException:  # the broker did not answer: not caught up
            return False, records

    def _offsets(
        self, assigned: list[confluent_kafka.TopicPartition], at: int, timeout: float
    ) -> dict[tuple[str, int], int]:
        wanted = [confluent_kafka.TopicPartition(tp.topic, tp.partition, at) for tp in assigned]
        found = self._consumer.offsets_for_times(wanted, timeout=timeout) if wanted else []
        for part in found:
            if part.error is not None:
                raise confluent_kafka.KafkaException(part.error)
        return {(part.topic, part.partition): part.offset for part in found}

    def rest(self) -> None:
        """Stop fetching until records arrive, when ``kafka.idle_after`` is set.

        For a reader that reads on a schedule, right after a `catch_up` that reached the
        end; nothing is skipped.
        """
        self._gate.rest_now(self._reached)

    def close(self) -> None:
        """Stop reading."""
        self._gate.close()
        self._consumer.close()

    def __enter__(self) -> TopicTail:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
