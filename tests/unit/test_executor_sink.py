"""The processor's sink writes one snapshot per execution and per task run per batch."""

from __future__ import annotations

from typing import Any

from indexer_samples import snapshots

from executor.outputs import KafkaSink
from orchestrator.kafka import TopicSpec, partition_for
from orchestrator.models.execution import TaskRunRecord, task_run_key
from orchestrator.models.state import StateType


class _Recorder:
    """Stands for the transactional producer: keeps what was sent, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any, bytes | None, int | None]] = []

    def send(
        self,
        topic: TopicSpec[Any],
        key: str,
        value: Any,
        *,
        encoded: bytes | None = None,
        partition: int | None = None,
    ) -> None:
        self.sent.append((topic.logical, key, value, encoded, partition))


def _sink() -> tuple[KafkaSink, _Recorder]:
    recorder = _Recorder()
    return KafkaSink(recorder, partitions=4), recorder  # type: ignore[arg-type]


def test_the_last_snapshot_of_a_batch_is_the_only_one_written() -> None:
    sink, recorder = _sink()
    created, running, final = snapshots("exec1", StateType.SUCCESS)
    other = snapshots("exec2")[0]
    sink.snapshot(created, None)
    sink.snapshot(other, b"{}")
    sink.snapshot(running, None)
    sink.snapshot(final, b'{"final": true}')
    assert recorder.sent == []  # nothing before the flush

    sink.flush()
    assert recorder.sent == [
        ("executions", "exec1", final, b'{"final": true}', None),
        ("executions", "exec2", other, b"{}", None),
    ]
    recorder.sent.clear()
    sink.flush()
    assert recorder.sent == []


def test_a_task_run_changed_twice_is_written_once_and_a_removed_one_as_a_tombstone() -> None:
    sink, recorder = _sink()
    final = snapshots("exec1")[-1]
    first, second = final.task_run_list
    early = TaskRunRecord(execution_id="exec1", flow_revision=1, seq=2, position=0, task_run=first)
    late = early.model_copy(update={"seq": 3})
    other = TaskRunRecord(execution_id="exec1", flow_revision=1, seq=2, position=1, task_run=second)
    sink.task_runs("exec1", [early, other], [])
    sink.task_runs("exec1", [late], [second.id])
    sink.flush()

    partition = partition_for("exec1", 4)
    assert recorder.sent == [
        ("task-runs", task_run_key("exec1", first.id), late, None, partition),
        ("task-runs", task_run_key("exec1", second.id), None, None, partition),
    ]


def test_a_long_execution_gets_its_header_and_a_deleted_one_tombstones() -> None:
    sink, recorder = _sink()
    final = snapshots("exec1")[-1]
    long = final.model_copy(update={"task_run_count": 2})
    sink.snapshot(long, None)
    sink.flush()
    [(_, _, header, _, _)] = recorder.sent
    assert header.task_run_list == () and header.task_run_count == 2

    recorder.sent.clear()
    sink.snapshot(long, None)
    sink.snapshot(long.model_copy(update={"deleted": True}), None)
    sink.flush()
    assert sorted((topic, value) for topic, _, value, _, _ in recorder.sent) == [
        ("executions", None),
        ("task-runs", None),
        ("task-runs", None),
    ]


def test_an_aborted_batch_writes_nothing() -> None:
    sink, recorder = _sink()
    sink.snapshot(snapshots("exec1")[0], None)
    sink.discard()
    sink.flush()
    assert recorder.sent == []
