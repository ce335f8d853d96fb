"""What the chaos checker needs, recorded live while the cluster runs.

``Recorder`` follows ``executions`` and ``worker-results`` from their beginning with
``read_committed``, so it sees every committed snapshot before compaction can remove the
superseded ones (the embedded broker does compact): the seq check runs on that full
sequence. It also notes record timestamps (the next committed batch after a kill) and
samples the indexer group's committed offsets (the indexer writes nothing to Kafka).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import confluent_kafka

from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    Record,
    Topics,
    TopicTail,
    group_id,
)
from orchestrator.models.execution import Execution
from orchestrator.models.messages import WorkerTaskResult
from orchestrator.settings import KestrelSettings

INDEXER_ROLE = "indexer"


@dataclass
class Observed:
    """Everything recorded; read it under ``Recorder.lock`` while the recorder runs."""

    seqs: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    latest: dict[str, Execution] = field(default_factory=dict)
    snapshot_records: int = 0
    # (timestamp ms, partition) of every snapshot, and (timestamp ms, worker id) of results.
    snapshot_times: list[tuple[int, int]] = field(default_factory=list)
    result_times: list[tuple[int, str]] = field(default_factory=list)
    # (epoch s, sum of the indexer group's committed offsets), at each change.
    indexer_commits: list[tuple[float, int]] = field(default_factory=list)


class Recorder:
    """A thread recording the cluster's committed output; ``close`` stops it."""

    def __init__(self, settings: KestrelSettings) -> None:
        self.settings = settings
        self.observed = Observed()
        self.lock = threading.Lock()
        self._tail = TopicTail(settings, [TOPICS.executions, TOPICS.worker_results])
        self._executions = Topics.from_settings(settings).executions
        self._offsets = _CommittedOffsets(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-recorder", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        next_sample = 0.0
        while not self._stop.is_set():
            for record in self._tail.poll(max_messages=5000, timeout=0.2):
                self._take(record)
            if time.monotonic() >= next_sample:
                next_sample = time.monotonic() + 0.25
                total = self._offsets.total()
                commits = self.observed.indexer_commits
                if total is not None and (not commits or commits[-1][1] != total):
                    with self.lock:
                        commits.append((time.time(), total))

    def _take(self, record: Record) -> None:
        stamp = record.timestamp or 0
        try:
            value = record.decoded(self._tail.topics.spec_of(record.topic))
        except DeserializationError:
            return  # an injected message: the checker finds it in dead-letters
        with self.lock:
            if record.topic == self._executions and isinstance(value, Execution):
                self.observed.snapshot_records += 1
                self.observed.seqs[value.id].append(value.seq)
                self.observed.latest[value.id] = value
                self.observed.snapshot_times.append((stamp, record.partition))
            elif isinstance(value, WorkerTaskResult):
                self.observed.result_times.append((stamp, value.worker_id))

    def latest(self, execution_id: str) -> Execution | None:
        with self.lock:
            return self.observed.latest.get(execution_id)

    def wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``condition()`` holds (checked every 0.2 s); raise after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:g}s")
            time.sleep(0.2)  # polling a condition, bounded by the deadline

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._tail.close()
        self._offsets.close()


class _CommittedOffsets:
    """Reads the indexer group's committed offsets, without joining the group."""

    def __init__(self, settings: KestrelSettings) -> None:
        from indexer.transform import SOURCE_TOPICS

        names = Topics.from_settings(settings)
        config = settings.kafka.consumer_config(group_id(settings.kafka.topic_prefix, INDEXER_ROLE))
        config.pop("group.instance.id", None)
        self._consumer = confluent_kafka.Consumer(config)
        partitions = settings.kafka.partitions
        self._parts = [
            confluent_kafka.TopicPartition(names.name(spec), p)
            for spec in SOURCE_TOPICS
            for p in range(spec.partitions_for(partitions))
        ]

    def total(self) -> int | None:
        try:
            found = self._consumer.committed(self._parts, timeout=2)
        except confluent_kafka.KafkaException:
            return None
        return sum(tp.offset for tp in found if tp.offset >= 0)

    def close(self) -> None:
        self._consumer.close()
