"""The indexer's buffer: actions waiting for the next bulk request, and the offsets they free.

Several snapshots of one execution often arrive within one flush interval: only the newest
version of each document is sent (Elasticsearch would discard the older ones anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from indexer.transform import Action, Transformed
from orchestrator.kafka import Record, TopicPartition


@dataclass
class Batch:
    """Records taken from Kafka since the last flush, as actions and dead letters.

    Attributes:
        failures: Records that cannot be indexed, with the reason (for dead letters).
        purges: Executions deleted by a tombstone, whose task runs must be deleted too.
        offsets: Next offset to commit per (topic, partition), once the batch is written.
        records: Records added.
        started: ``time.monotonic()`` when the first record was added.
    """

    failures: list[tuple[Record, str]] = field(default_factory=list)
    purges: set[str] = field(default_factory=set)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    records: int = 0
    started: float | None = None
    _actions: dict[tuple[str, str], Action] = field(default_factory=dict)
    _snapshots: dict[tuple[str, int, bytes | None], Record] = field(default_factory=dict)

    def add(self, record: Record, transformed: Transformed, now: float) -> None:
        """Add a record and what it turned into."""
        if self.started is None:
            self.started = now
        self.records += 1
        partition = (record.topic, record.partition)
        self.offsets[partition] = max(self.offsets.get(partition, 0), record.offset + 1)
        if transformed.failure is not None:
            self.failures.append((record, transformed.failure))
            return
        if transformed.execution_id is not None:
            self.purges.discard(transformed.execution_id)
        if transformed.purge_taskruns_of is not None:
            self.purges.add(transformed.purge_taskruns_of)
        for action in transformed.actions:
            self._keep(action)

    def defer(self, record: Record, now: float) -> None:
        """Add an execution snapshot whose documents are built at flush time.

        A later snapshot of the same execution replaces it: an execution changes many
        times a second, and only its latest state within a flush is worth indexing.
        """
        self.add(record, Transformed(), now)
        self._snapshots[(record.topic, record.partition, record.key)] = record

    def forget_snapshot(self, record: Record) -> None:
        """A tombstone of an execution: a deferred snapshot of it must not come back."""
        self._snapshots.pop((record.topic, record.partition, record.key), None)

    def build(self, transform: Callable[[Record], Transformed]) -> None:
        """Turn the deferred snapshots into documents (before writing the batch)."""
        snapshots, self._snapshots = self._snapshots, {}
        for record in snapshots.values():
            transformed = transform(record)
            if transformed.failure is not None:
                self.failures.append((record, transformed.failure))
                continue
            if transformed.execution_id is not None:
                self.purges.discard(transformed.execution_id)
            for action in transformed.actions:
                self._keep(action)

    def _keep(self, action: Action) -> None:
        current = self._actions.get(action.target)
        older = (
            current is not None
            and current.version is not None
            and action.version is not None
            and action.version < current.version
        )
        if not older:
            self._actions[action.target] = action

    @property
    def actions(self) -> list[Action]:
        """The actions to send: the last one per document, newest version kept."""
        return list(self._actions.values())

    def __len__(self) -> int:
        """Documents to write plus dead letters to send (deferred snapshots counted once)."""
        return len(self._actions) + len(self.failures) + len(self._snapshots)

    def is_empty(self) -> bool:
        """Whether no record was added."""
        return self.records == 0

    def age(self, now: float) -> float:
        """Seconds since the first record was added (0 when empty)."""
        return 0.0 if self.started is None else now - self.started

    def drop(self, partitions: Iterable[TopicPartition]) -> None:
        """Forget the records of revoked partitions: their new owner reads them again."""
        gone = {(tp.topic, tp.partition) for tp in partitions}
        if not gone:
            return
        for partition in gone:
            self.offsets.pop(partition, None)
        self.failures = [(r, why) for r, why in self.failures if (r.topic, r.partition) not in gone]
        self._snapshots = {
            where: record
            for where, record in self._snapshots.items()
            if (where[0], where[1]) not in gone
        }
        self._actions = {
            target: action
            for target, action in self._actions.items()
            if action.record is None or (action.record.topic, action.record.partition) not in gone
        }

    def commit_offsets(self) -> list[TopicPartition]:
        """Offsets to commit once every action and dead letter is written."""
        return [
            TopicPartition(topic, partition, offset)
            for (topic, partition), offset in sorted(self.offsets.items())
        ]
