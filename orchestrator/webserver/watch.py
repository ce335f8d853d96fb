"""Following one execution on Kafka: its snapshots and log lines, from a point in time on.

Each follower reads only the partition its execution is keyed to, without a group, in a
thread of the API's pool (the confluent-kafka consumer blocks); it is closed when the
request ends, the client gone or not.

A long execution's snapshots are headers (no task runs; see ``executor/engine/wire.py``):
the watch also reads the same partition of ``task-runs`` and hands out whole executions,
its runs being the seed's (`ExecutionWatch.seed`) with every record read since laid over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrator.kafka import TOPICS, DeserializationError, Record, TopicTail, describe_topics
from orchestrator.kafka.topics import partition_for
from orchestrator.models.execution import Execution, TaskRun, TaskRunRecord, task_run_key
from orchestrator.models.messages import LogEntry
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings


def settled(execution: Execution) -> bool:
    """Ended, or PAUSED waiting for a resume (no timer will wake it)."""
    state = execution.state.current
    if state is StateType.RETRIED:
        return False
    return state.is_terminated or (state is StateType.PAUSED and not execution.timers)


class Partitions:
    """Partition counts of ``executions`` and ``logs``, read once."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Describe the topics now."""
        executions, logs = describe_topics(settings, [TOPICS.executions, TOPICS.logs])
        self.executions = executions.partitions or 1
        self.logs = logs.partitions or 1


HEADER_CATCH_UP = 1.0
"""Seconds a watch reads ``task-runs`` on after a header, for the runs written with it."""


Value = Execution | LogEntry | TaskRunRecord | str
"""What a watch reads: a snapshot, a log line, a task run, or the id of a removed run."""


def _seq_order(value: Value) -> tuple[int, int]:
    if isinstance(value, TaskRunRecord):
        return (value.seq, 0)
    if isinstance(value, Execution):
        return (value.seq, 1)
    return (-1, 0)  # removals first (their run's later records come with a higher seq)


class RunBook:
    """The task runs of one long execution: the seed's, with the records read since."""

    def __init__(self) -> None:
        """Start with none known."""
        self.seq = -1
        """The ``seq`` of the whole snapshot seeded (-1: none)."""
        self._seeded: tuple[TaskRun, ...] = ()
        self._records: dict[str, TaskRunRecord] = {}
        """The latest record of each run changed after the seed, by run id."""

    def seed(self, execution: Execution) -> None:
        """Take a whole snapshot's runs, unless the book was seeded with a newer one."""
        if execution.is_whole and execution.seq > self.seq:
            self._seeded = execution.task_run_list
            self.seq = execution.seq
            self._records = {k: r for k, r in self._records.items() if r.seq > self.seq}

    def learn(self, record: TaskRunRecord) -> None:
        """Keep a record from ``task-runs`` (the topics are read at their own paces)."""
        known = self._records.get(record.task_run.id)
        if record.seq > self.seq and (known is None or record.seq >= known.seq):
            self._records[record.task_run.id] = record

    def forget(self, run_id: str) -> None:
        """A run removed (its tombstone: a restart renumbered the runs)."""
        self._records.pop(run_id, None)

    def whole(self, header: Execution) -> Execution:
        """``header`` with the runs known (as many as it counts: a restart removes some)."""
        runs = list(self._seeded)
        beyond: dict[int, TaskRun] = {}
        # Oldest first, so that a renumbered position ends with its latest run.
        for record in sorted(self._records.values(), key=lambda r: r.seq):
            if record.position < len(runs):
                runs[record.position] = record.task_run
            else:
                beyond[record.position] = record.task_run
        while len(runs) in beyond:
            runs.append(beyond.pop(len(runs)))
        count = header.task_run_count if header.task_run_count is not None else len(runs)
        return header.model_copy(update={"task_run_list": tuple(runs[:count])})


class ExecutionWatch:
    """New snapshots (and optionally log lines) of one execution on Kafka."""

    open_count = 0
    """Watches not closed yet, in this process (a leak shows here)."""

    def __init__(
        self,
        settings: KestrelSettings,
        partitions: Partitions,
        execution_id: str,
        *,
        snapshots: bool = True,
        logs: bool = False,
        logs_since: datetime | None = None,
    ) -> None:
        """Start at the topics' current ends (the logs at ``logs_since`` when given)."""
        self.execution_id = execution_id
        self._tails: list[TopicTail] = []
        self._closed = False
        ExecutionWatch.open_count += 1
        self._snapshots: TopicTail | None = None
        self._book = RunBook()
        if snapshots:
            partition = partition_for(execution_id, partitions.executions)
            self._snapshots = TopicTail(
                settings,
                [TOPICS.executions, TOPICS.task_runs],
                from_beginning=False,
                partitions={
                    TOPICS.executions.logical: [partition],
                    TOPICS.task_runs.logical: [partition],
                },
            )
            self._tails.append(self._snapshots)
        if logs:
            self._tails.append(
                TopicTail(
                    settings,
                    [TOPICS.logs],
                    from_beginning=False,
                    since=logs_since,
                    partitions={
                        TOPICS.logs.logical: [partition_for(execution_id, partitions.logs)]
                    },
                )
            )

    def seed(self, execution: Execution) -> None:
        """Tell the watch the latest whole snapshot its caller read (after it started)."""
        self._book.seed(execution)

    def poll(self, timeout: float = 0.5) -> list[tuple[int, int, Any]]:
        """``(partition, offset, value)`` of this execution's new records, oldest first.

        Snapshots are whole executions, a long one's runs put back (see `RunBook`).
        """
        found: list[tuple[int, int, Any]] = []
        for tail in self._tails:
            records = tail.poll(timeout=timeout / len(self._tails))
            values = self._decoded(tail, records)
            if tail is self._snapshots and any(
                isinstance(v, Execution) and not v.is_whole for _, _, v in values
            ):
                # The runs written with a header are in the same transaction; read them.
                _, more = tail.catch_up(HEADER_CATCH_UP)
                values += self._decoded(tail, more)
            # Seq order, a snapshot after the runs written with it: the two topics' records
            # come in at their own paces.
            values.sort(key=lambda item: _seq_order(item[2]))
            for partition, offset, value in values:
                if isinstance(value, TaskRunRecord):
                    self._book.learn(value)
                elif isinstance(value, str):
                    self._book.forget(value)
                elif isinstance(value, Execution):
                    self._book.seed(value)
                    found.append((partition, offset, self._book.whole(value)))
                else:
                    found.append((partition, offset, value))
        return found

    def _decoded(self, tail: TopicTail, records: list[Record]) -> list[tuple[int, int, Value]]:
        """This execution's values among ``records`` (another's are skipped).

        A tombstone on ``task-runs`` comes as the id of the run removed.
        """
        values: list[tuple[int, int, Value]] = []
        prefix = task_run_key(self.execution_id, "")
        for record in records:
            spec = tail.topics.spec_of(record.topic)
            try:
                value = record.decoded(spec)
                key = record.key_str
            except DeserializationError:
                continue  # another execution's problem; the indexer dead-letters it
            if value is None and spec is TOPICS.task_runs and key and key.startswith(prefix):
                values.append((record.partition, record.offset, key[len(prefix) :]))
            elif isinstance(value, Execution | LogEntry | TaskRunRecord) and self._ours(value):
                values.append((record.partition, record.offset, value))
        return values

    def _ours(self, value: Execution | LogEntry | TaskRunRecord) -> bool:
        if isinstance(value, Execution):
            return value.id == self.execution_id
        return value.execution_id == self.execution_id

    def close(self) -> None:
        """Stop reading."""
        if self._closed:
            return
        self._closed = True
        ExecutionWatch.open_count -= 1
        for tail in self._tails:
            tail.close()
        self._tails = []
