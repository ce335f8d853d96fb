"""Fetching that rests when a topic is quiet, for brokers that answer empty fetches at once.

Kafka holds an empty fetch for ``fetch.wait.max.ms``, so an idle librdkafka consumer sends
about two requests a second. A broker that ignores that wait (the embedded noida-db does)
answers at once, and librdkafka fetches again at once: each idle consumer then spins its
broker thread, and the broker with it (measured: the idle server's CPU was 98 % librdkafka
threads, 0.7 % Kestrel's own loops). librdkafka has no back-off for empty responses.

`FetchGate` stops that spin without losing a record. After ``idle_after`` seconds with no
record, it pauses the partitions it may (never one the application paused itself), noting
each partition's high watermark from the last fetch response, and sleeps on a `Bell`
(`orchestrator.kafka.wakeup`): a producer of this process writing to one of its topics rings
it at once; records of other processes ring it through the process' shared probe, which
asks the broker every ``probe_every`` seconds for the end offsets of every resting
partition. It resumes when rung, or when the assignment changed. Positions are never
touched: pausing keeps the application's position, so nothing is skipped or read twice.
The cost is at most ``probe_every`` of extra latency for the first record another process
writes after a quiet spell. Off by default (``kafka.idle_after``): real Kafka brokers do not
need it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import confluent_kafka

from orchestrator.kafka.wakeup import END, PROBE_TIMEOUT, SLEEPERS, Bell, Key, prober

EMBEDDED_IDLE_AFTER = 0.5
"""``kafka.idle_after`` of the commands that start the embedded broker (``server local``,
``server cluster``) when none is configured; measured in bench/latency.py."""
SERVE_EVERY = 0.5
"""Longest sleep of a resting gate between two polls of its consumer: librdkafka serves
rebalance callbacks and errors only inside a poll."""


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
        probe_config: Mapping[str, Any] | None = None,
        probe_max: float = 1.0,
        assignment: Callable[[], list[confluent_kafka.TopicPartition]] | None = None,
        starts: Mapping[Key, int] | None = None,
    ) -> None:
        """Gate ``consumer``; ``idle_after`` None disables the gate (plain fetches).

        ``probe_config`` is the consumer's librdkafka configuration: the shared probe asks
        the same broker, with the same isolation level, every ``probe_every`` seconds at
        first and up to ``probe_max`` while nothing moves. ``assignment`` answers the
        consumer's assignment (default: ask librdkafka, a request to its main thread made
        holding the GIL; owners that know when it changes pass their own).
        """
        self._consumer = consumer
        self._idle_after = idle_after
        self._probe_every = probe_every
        self._probe_max = probe_max
        self._probe_config = dict(probe_config or {})
        self._last_record = time.monotonic()
        self._baseline: dict[Key, int] | None = None  # paused partitions' high watermarks
        self._assignment: frozenset[Key] = frozenset()
        self._assigned = assignment or consumer.assignment
        self._starts = dict(starts) if starts is not None else None
        """A tail's assigned start offsets (negative: the partition's start)."""
        self.bell = Bell()
        """Rung to wake the gate (a local produce, or the shared probe)."""
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
            # Serves callbacks (rebalances) while fetching nothing paused; a partition that
            # was just assigned is not paused and may deliver: then the gate wakes up.
            first = self._consumer.poll(0)
            if first is not None:
                self._wake()
                rest = self._consumer.consume(max_messages - 1, 0) if max_messages > 1 else []
                return [first, *rest]
            if self.bell.rang() or self._assignment_changed():
                self._wake()
                left = max(0.0, deadline - time.monotonic())
                return fetch(self._consumer, max_messages, left)
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            self.bell.wait(min(left, SERVE_EVERY))

    def rest_now(self, ends: Mapping[Key, int] | None = None) -> None:
        """The reader has read what it wanted: rest without waiting ``idle_after``.

        For readers that read on a schedule (worker heartbeats, judged every few seconds):
        awake between two reads, the consumer would fetch in a loop for nothing. ``ends``
        are end offsets the reader has read up to, for partitions never fetched (empty
        ones); without them such a partition keeps the gate awake.
        """
        if self._idle_after is not None and self._baseline is None:
            self._pause(ends or {}, after_activity=False)

    def wake_now(self) -> None:
        """Fetch again now (the reader wants to read to the end, not wait for records)."""
        if self._baseline is not None:
            self._wake()

    def touch(self) -> None:
        """Fetch on for ``idle_after`` before resting.

        The application resumed partitions, or new ones were assigned: their records may
        not be fetched yet.
        """
        self._last_record = time.monotonic()

    def release(self, partitions: list[confluent_kafka.TopicPartition]) -> None:
        """Resume ``partitions``, which leave the consumer (its revoke callback).

        librdkafka keeps a pause across a rebalance: a partition the gate paused, revoked,
        and assigned back later would come back paused and never be read again.
        """
        if self._baseline is None:
            return
        leaving = [
            tp
            for tp in partitions
            if (tp.topic, tp.partition) in self._baseline
            and (tp.topic, tp.partition) not in self.app_paused
        ]
        for tp in partitions:
            self._baseline.pop((tp.topic, tp.partition), None)
        if leaving:
            self._consumer.resume(
                [confluent_kafka.TopicPartition(tp.topic, tp.partition) for tp in leaving]
            )

    def close(self) -> None:
        """The consumer closes: no more probes for it."""
        SLEEPERS.leave(self.bell)

    def _assignment_changed(self) -> bool:
        return self._current_assignment() != self._assignment

    def _current_assignment(self) -> frozenset[Key]:
        return frozenset((tp.topic, tp.partition) for tp in self._assigned())

    def _pause(
        self, known: Mapping[Key, int] | None = None, *, after_activity: bool = True
    ) -> None:
        assignment = self._current_assignment()
        baseline: dict[Key, int] = {}
        for topic, partition in assignment - self.app_paused:
            part = confluent_kafka.TopicPartition(topic, partition)
            # Cached: the high watermark of the last fetch response, no round trip.
            _, high = self._consumer.get_watermark_offsets(part, cached=True)
            if high < 0 and known:
                high = known.get((topic, partition), -1)
            if high < 0:
                self._last_record = time.monotonic()  # not fetched yet: try again later
                return
            baseline[(topic, partition)] = high
        if not baseline:
            return
        # Never rest on records not read yet: the end would not move for them. Fetched
        # and not handed out, or not fetched yet (partitions the application resumed a
        # moment ago: `touch`). Positions are local, no round trip.
        if not self._caught_up(baseline):
            self._last_record = time.monotonic()
            return
        self.bell.clear()
        self._consumer.pause([confluent_kafka.TopicPartition(t, p) for t, p in baseline])
        self._assignment = assignment
        self._baseline = baseline
        SLEEPERS.rest(self.bell, baseline)
        shared = prober(self._probe_config, self._probe_every, self._probe_max)
        shared.join(self.bell, after_activity=after_activity)

    def _caught_up(self, ends: Mapping[Key, int]) -> bool:
        """Whether every partition is read up to ``ends``.

        Where nothing was consumed since the assignment (no position), reading starts at
        the group's committed offset, else at the start the owner assigned (a tail), else
        at the partition's start (``auto.offset.reset`` earliest).
        """
        parts = [confluent_kafka.TopicPartition(t, p) for t, p in ends]
        starts = {(tp.topic, tp.partition): tp.offset for tp in self._consumer.position(parts)}
        unknown = [confluent_kafka.TopicPartition(t, p) for (t, p), at in starts.items() if at < 0]
        if unknown and self._starts is None:
            try:
                found = self._consumer.committed(unknown, timeout=PROBE_TIMEOUT)
            except confluent_kafka.KafkaException:
                return False
            for tp in found:
                starts[(tp.topic, tp.partition)] = tp.offset
        for key, at in starts.items():
            if at < 0 and self._starts is not None:
                at = self._starts.get(key, -1)
            if at < 0:
                low, _ = self._consumer.get_watermark_offsets(
                    confluent_kafka.TopicPartition(*key), cached=True
                )
                at = low
            if at < 0 or at < ends[key]:
                return False
        return True

    def _wake(self) -> None:
        assert self._baseline is not None
        SLEEPERS.leave(self.bell)
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
                timeout=PROBE_TIMEOUT,
            )
