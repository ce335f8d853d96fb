"""Waking resting consumers: at once after a local produce, else by one probe per process.

A resting `FetchGate` (see `orchestrator.kafka.idle`) sleeps on its `Bell`. Two things ring it:

- **A local produce.** `KafkaProducer` calls `produced` with the topics it wrote (after a
  commit when transactional, when a record is queued otherwise); every gate of this process
  resting on one of them wakes at once. ``server standalone`` runs every service in one
  process, so most records wake their readers without any probe.
- **The shared probe.** One thread per broker (and isolation level) asks, only while some
  gate rests, for the end offsets of every partition any gate of the process rests on: one
  ListOffsets request for them all, where each gate used to send its own (ten consumers,
  ten requests a tenth of a second). It rings the gates whose partitions moved: records
  written by other processes. It probes every ``probe_every`` seconds after a gate starts
  resting, and twice as seldom after each probe that found nothing, up to ``probe_max``.

The probe is what makes resting safe: a ring that comes too early (a record queued, not yet
on the broker) or is missed (a gate pausing as the record is produced) only changes when the
gate fetches, never what it reads, and the probe still sees the end offsets move.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import confluent_kafka

from orchestrator.kafka._logging import with_logger

Key = tuple[str, int]
"""A partition: (topic name, partition number)."""
ConfigKey = tuple[tuple[str, str], ...]

END = confluent_kafka.OFFSET_END
"""As a ListOffsets timestamp: the end of the partition."""
PROBE_TIMEOUT = 5.0
"""Seconds the shared probe waits for the broker before waking every gate (cannot tell)."""


class Bell:
    """What a resting gate sleeps on; anyone may ring it."""

    def __init__(self) -> None:
        """A bell that has not rung."""
        self._event = threading.Event()
        self.rings = 0
        """How often it rang (for tests and diagnostics)."""

    def ring(self) -> None:
        """Wake the gate sleeping on this bell (or make its next sleep return at once)."""
        self.rings += 1
        self._event.set()

    def rang(self) -> bool:
        """Whether it rang since the last `clear`."""
        return self._event.is_set()

    def clear(self) -> None:
        """Forget earlier rings (the gate starts resting again)."""
        self._event.clear()

    def wait(self, timeout: float) -> bool:
        """Sleep until rung or ``timeout`` seconds passed; whether it rang."""
        return self._event.wait(timeout)


def moved(baseline: Mapping[Key, int], ends: Mapping[Key, int]) -> bool:
    """Whether any partition's end differs from the one noted when the gate paused.

    A partition the probe got no end for counts as moved: the gate cannot tell, so it
    fetches and lets the fetch report the error.
    """
    return any(ends.get(key) != offset for key, offset in baseline.items())


class Sleepers:
    """The resting gates of a process, by the partitions they rest on (thread-safe)."""

    def __init__(self) -> None:
        """No gate rests yet."""
        self._lock = threading.Lock()
        self._resting: dict[Bell, dict[Key, int]] = {}
        self._by_topic: dict[str, set[Bell]] = {}

    def rest(self, bell: Bell, baseline: Mapping[Key, int]) -> None:
        """Note that ``bell``'s gate rests on ``baseline`` (partition -> end when paused)."""
        with self._lock:
            self._drop(bell)
            self._resting[bell] = dict(baseline)
            for topic, _ in baseline:
                self._by_topic.setdefault(topic, set()).add(bell)

    def leave(self, bell: Bell) -> None:
        """The gate woke or closed: no more rings or probes for it."""
        with self._lock:
            self._drop(bell)

    def _drop(self, bell: Bell) -> None:
        for topic, _ in self._resting.pop(bell, {}):
            bells = self._by_topic.get(topic)
            if bells is not None:
                bells.discard(bell)
                if not bells:
                    del self._by_topic[topic]

    def ring_topics(self, topics: Iterable[str]) -> int:
        """Ring every gate resting on one of ``topics``; how many rang."""
        with self._lock:
            bells = {bell for topic in topics for bell in self._by_topic.get(topic, ())}
        for bell in bells:
            bell.ring()
        return len(bells)

    def snapshot(self) -> dict[Bell, dict[Key, int]]:
        """Every resting gate's baseline, as of now."""
        with self._lock:
            return {bell: dict(baseline) for bell, baseline in self._resting.items()}

    def __len__(self) -> int:
        with self._lock:
            return len(self._resting)


SLEEPERS = Sleepers()
"""The resting gates of this process."""


def produced(topics: Iterable[str]) -> None:
    """Records were written to ``topics`` by this process: wake the gates resting on them."""
    SLEEPERS.ring_topics(topics)


class Prober:
    """One thread asking the broker for the end offsets of every partition gates rest on."""

    def __init__(self, config: Mapping[str, Any], probe_every: float, probe_max: float) -> None:
        """Probe with a consumer of ``config`` (no group), backing off while nothing moves.

        Every ``probe_every`` seconds after a gate joins, up to ``probe_max`` later.
        """
        self._config = {
            **config,
            "group.id": f"kestrel-probe-{uuid.uuid4().hex}",  # never joins: assigns nothing
        }
        self._config.pop("group.instance.id", None)
        self._every = probe_every
        self._max = max(probe_max, probe_every)
        self._interval = probe_every
        self._client: confluent_kafka.Consumer | None = None
        self._wanted = threading.Condition()
        self._members: set[Bell] = set()
        self.probes = 0
        """How many ListOffsets requests it sent (for tests and diagnostics)."""
        threading.Thread(target=self._run, name="kafka-probe", daemon=True).start()

    def join(self, bell: Bell, *, after_activity: bool = True) -> None:
        """Probe for ``bell``'s gate while it rests (its baseline is in `SLEEPERS`).

        ``after_activity``: the gate read records lately, more may follow: probe often
        again. A reader resting on a schedule (heartbeats) does not reset the back-off.
        """
        with self._wanted:
            self._members.add(bell)
            if after_activity:
                self._interval = self._every
            self._wanted.notify()

    def _run(self) -> None:
        while True:
            with self._wanted:
                while not self._members:
                    self._wanted.wait()
            # The interval first: a gate that just paused has just fetched.
            time.sleep(self._interval)
            if self._probe():
                self._interval = self._every
            else:
                self._interval = min(self._interval * 2, self._max)

    def _probe(self) -> bool:
        """Ring the gates whose partitions moved; whether any did."""
        resting = SLEEPERS.snapshot()
        with self._wanted:
            self._members &= resting.keys()  # gates that woke or closed since
            # A gate rung already has nothing more to learn (its reader has not come back
            # for its records yet, as a reader on a schedule): no probe for it.
            mine = {bell: resting[bell] for bell in self._members if not bell.rang()}
        if not mine:
            return False
        partitions = sorted({key for baseline in mine.values() for key in baseline})
        self.probes += 1
        try:
            if self._client is None:
                self._client = confluent_kafka.Consumer(with_logger(self._config))
            found = self._client.offsets_for_times(
                [confluent_kafka.TopicPartition(t, p, END) for t, p in partitions],
                timeout=PROBE_TIMEOUT,
            )
            ends = {(tp.topic, tp.partition): tp.offset for tp in found if tp.error is None}
        except (confluent_kafka.KafkaException, RuntimeError):
            ends = {}  # cannot tell: every gate fetches, and its fetch reports the error
        woken = [bell for bell, baseline in mine.items() if moved(baseline, ends)]
        for bell in woken:
            bell.ring()
        return bool(woken)


_PROBERS: dict[ConfigKey, Prober] = {}
_PROBERS_LOCK = threading.Lock()


def prober(config: Mapping[str, Any], probe_every: float, probe_max: float) -> Prober:
    """The process' prober for clients of ``config`` (same broker, same isolation level)."""
    shared = sorted(
        (name, str(value))
        for name, value in config.items()
        if name not in ("group.id", "group.instance.id", "client.id", "logger")
    )
    key = (*shared, ("probe", f"{probe_every} {probe_max}"))
    with _PROBERS_LOCK:
        found = _PROBERS.get(key)
        if found is None:
            found = _PROBERS[key] = Prober(config, probe_every, probe_max)
        return found
