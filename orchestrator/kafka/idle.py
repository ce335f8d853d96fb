"""Fetching that rests when a topic is quiet, for brokers that answer empty fetches at once.

Kafka holds an empty fetch for ``fetch.wait.max.ms``, so an idle librdkafka consumer sends
about two requests a second. A broker that ignores that wait (the embedded noida-db does)
answers at once, and librdkafka fetches again at once: each idle consumer then spins its
broker thread, and the broker with it (measured: the idle server's CPU was 98 % librdkafka
threads, 0.7 % Kestrel's own loops). librdkafka has no back-off for empty responses.

`FetchGate` stops that spin without losing a record. After ``idle_after`` seconds with no
record, it pauses the partitions it may (never one the application paused itself), noting
each partition's high watermark from the last fetch response. While paused it asks the
broker for the partitions' end offsets every ``probe_every`` seconds (one small ListOffsets
request) and resumes as soon as one moved, or when the assignment changed. Positions are
never touched: pausing keeps the application's position, so nothing is skipped or read
twice. The cost is at most ``probe_every`` of extra latency for the first record after a
quiet spell. Off by default (``kafka.idle_after``): real Kafka brokers do not need it.
"""

from __future__ import annotations

import contextlib
import time

import confluent_kafka

Key = tuple[str, int]
EMBEDDED_IDLE_AFTER = 0.5
"""``kafka.idle_after`` of the commands that start the embedded broker (``server local``,
``server cluster``) when none is configured; measured in bench/latency.py."""
END = confluent_kafka.OFFSET_END
"""As a ListOffsets timestamp: the end of the partition."""


def fetch(
    consumer: confluent_kafka.Consumer, max_messages: int, timeout: float
) -> list[confluent_kafka.Message]:
    """Wait up to ``timeout`` for a first message, then take what is already buffered.

    ``Consumer.consume(n, timeout)`` waits for the whole ``timeout`` unless ``n`` messages
    arrive, which would add its full timeout to every small batch.
    """
    first = consumer.poll(timeout)
    if first is None:
        return []
    if max_messages <= 1:
        return [first]
    return [first, *consumer.consume(max_messages - 1, 0)]


class FetchGate:
    """Pauses an idle consumer's partitions and resumes them when their topics move."""

    def __init__(
        self,
        consumer: confluent_kafka.Consumer,
        idle_after: float | None,
        probe_every: float = 0.1,
        probe_timeout: float = 5.0,
    ) -> None:
        """Gate ``consumer``; ``idle_after`` None disables the gate (plain fetches)."""
        self._consumer = consumer
        self._idle_after = idle_after
        self._probe_every = probe_every
        self._probe_timeout = probe_timeout
        self._last_record = time.monotonic()
        self._baseline: dict[Key, int] | None = None  # paused partitions' high watermarks
        self._next_probe = 0.0
        self._assignment: frozenset[Key] = frozenset()
        self.app_paused: set[Key] = set()
        """Partitions the application paused: the gate leaves them alone."""

    @property
    def resting(self) -> bool:
        """Whether the gate paused the consumer's partitions."""
        return self._baseline is not None

    def fetch(self, max_messages: int, timeout: float) -> list[confluent_kafka.Message]:
        """Like `fetch`, but resting on quiet topics when the gate is enabled."""
        if self._idle_after is None:
            return fetch(self._consumer, max_messages, timeout)
        if self._baseline is not None:
            return self._rest(max_messages, timeout)
        messages = fetch(self._consumer, max_messages, timeout)
        now = time.monotonic()
        if messages:
            self._last_record = now
        elif now - self._last_record >= self._idle_after:
            self._pause()
        return messages

    def _rest(self, max_messages: int, timeout: float) -> list[confluent_kafka.Message]:
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            # At most one probe per ``probe_every``, however often the caller polls: loops
            # that poll side topics with no timeout at each turn must not pay a round trip.
            if now >= self._next_probe:
                self._next_probe = now + self._probe_every
                if self._moved():
                    self._wake()
                    left = max(0.0, deadline - time.monotonic())
                    return fetch(self._consumer, max_messages, left)
            left = deadline - now
            if left <= 0:
                return []
            # Serves callbacks (rebalances) while fetching nothing paused; a partition that
            # was just assigned is not paused and may deliver: then the gate wakes up.
            first = self._consumer.poll(max(0.0, min(self._next_probe - now, left)))
            if first is not None:
                self._wake()
                rest = self._consumer.consume(max_messages - 1, 0) if max_messages > 1 else []
                return [first, *rest]

    def _current_assignment(self) -> frozenset[Key]:
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def _pause(self) -> None:
        assignment = self._current_assignment()
        baseline: dict[Key, int] = {}
        for topic, partition in assignment - self.app_paused:
            part = confluent_kafka.TopicPartition(topic, partition)
            # Cached: the high watermark of the last fetch response, no round trip.
            _, high = self._consumer.get_watermark_offsets(part, cached=True)
            if high < 0:
                self._last_record = time.monotonic()  # not fetched yet: try again later
                return
            baseline[(topic, partition)] = high
        if not baseline:
            return
        self._consumer.pause([confluent_kafka.TopicPartition(t, p) for t, p in baseline])
        self._assignment = assignment
        self._baseline = baseline
        self._next_probe = time.monotonic() + self._probe_every

    def _moved(self) -> bool:
        """Whether a paused partition's end moved, or the assignment changed."""
        assert self._baseline is not None
        if self._current_assignment() != self._assignment:
            return True
        latest = [
            confluent_kafka.TopicPartition(topic, partition, END)
            for topic, partition in self._baseline
        ]
        try:
            ends = self._consumer.offsets_for_times(latest, timeout=self._probe_timeout)
        except confluent_kafka.KafkaException:
            return True  # cannot tell: fetch again, and let the fetch report the error
        return any(end.offset != self._baseline.get((end.topic, end.partition)) for end in ends)

    def _wake(self) -> None:
        assert self._baseline is not None
        assigned = self._current_assignment()
        resumed = [
            confluent_kafka.TopicPartition(topic, partition)
            for topic, partition in self._baseline
            if (topic, partition) in assigned and (topic, partition) not in self.app_paused
        ]
        self._baseline = None
        self._last_record = time.monotonic()
        if not resumed:
            return
        self._consumer.resume(resumed)
        # librdkafka serves a resume on its broker thread's next wake-up, up to a second
        # later; any request to the broker wakes it now (measured: 1,000 ms -> 0.2 ms).
        # Only a wake-up call: the fetch that follows reports real errors.
        with contextlib.suppress(confluent_kafka.KafkaException):
            first = resumed[0]
            self._consumer.offsets_for_times(
                [confluent_kafka.TopicPartition(first.topic, first.partition, END)],
                timeout=self._probe_timeout,
            )
