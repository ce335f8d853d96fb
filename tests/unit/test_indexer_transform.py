from __future__ import annotations

from datetime import UTC, datetime

from indexer_samples import T0, flow_record, log_line, snapshots, trigger_state

from indexer.batch import Batch
from indexer.transform import Targets, Transformer
from orchestrator.kafka import TOPICS, Record, TopicPartition, Topics, TopicSpec, encode
from orchestrator.models.base import KestrelModel
from orchestrator.models.execution import TaskRunRecord
from orchestrator.models.messages import MetricEntry
from orchestrator.models.state import StateType
from orchestrator.repository import IndexKind, IndexNames
from orchestrator.repository.documents import execution_from_document, log_from_document

PREFIX = "kestrel."
NAMES = IndexNames("kes-")
TOPIC_NAMES = Topics(PREFIX)


def record(
    spec: TopicSpec[object],
    key: str | None,
    value: KestrelModel | bytes | None,
    offset: int = 7,
    partition: int = 2,
) -> Record:
    data = encode(value) if isinstance(value, KestrelModel) else value
    return Record(
        topic=TOPIC_NAMES.name(spec),
        partition=partition,
        offset=offset,
        key=None if key is None else key.encode(),
        value=data,
    )


def transformer(targets: Targets | None = None) -> Transformer:
    return Transformer(TOPIC_NAMES, targets or Targets(NAMES))


def test_snapshot_becomes_an_execution_document_and_one_per_task_run() -> None:
    final = snapshots("exec1", StateType.FAILED, labels={"team": "data"})[-1]
    result = transformer().transform(record(TOPICS.executions, "exec1", final))

    assert result.failure is None
    assert result.execution_id == "exec1"
    execution, summary, *runs = result.actions
    assert (execution.op, execution.index, execution.id) == ("index", "kes-executions", "exec1")
    assert execution.version == 3 and execution.require_alias
    doc = execution.source
    assert doc is not None
    assert doc["state"]["current"] == "FAILED"
    assert doc["flowKey"] == "company.team/hello"
    assert doc["labels"] == [{"key": "team", "value": "data"}]
    assert doc["@timestamp"] == "2026-11-20T08:00:00Z" == doc["startDate"]
    assert doc["durationMs"] == 2000
    assert doc["inputs"] == {"free": {"form": [1, "two"]}}
    # The document reads back into the very snapshot.
    assert execution_from_document(doc) == final

    # the summary: in the index of the day it started, same version, no task runs or inputs
    assert (summary.index, summary.id, summary.version) == (
        "kes-execution-summaries-2026.11.20",
        "exec1",
        3,
    )
    assert not summary.require_alias and summary.source is not None
    assert summary.source["state"] == {"current": "FAILED"}
    assert summary.source["durationMs"] == 2000 and summary.source["flowKey"] == doc["flowKey"]
    assert "taskRunList" not in summary.source and "inputs" not in summary.source
    assert [run.id for run in runs] == ["exec1-first", "exec1-second"]
    assert all(run.index == "kes-taskruns" and run.version == 3 for run in runs)
    second = runs[1].source
    assert second is not None
    assert second["executionId"] == "exec1" and second["taskId"] == "second"
    assert second["state"]["current"] == "FAILED"
    assert second["attemptCount"] == 2
    assert second["durationMs"] == 1000
    assert second["parentTaskRunId"] == "exec1-first"
    assert second["startDate"] == "2026-11-20T08:00:01Z"
    assert second["endDate"] == "2026-11-20T08:00:02Z"
    # Slim: the execution's own document carries the attempts, histories and outputs.
    assert second["state"] == {"current": "FAILED"}
    assert not {"attempts", "outputs", "loopValues"} & set(second)


def test_running_execution_has_no_end_nor_duration() -> None:
    running = snapshots("exec2")[1]
    doc = transformer().transform(record(TOPICS.executions, "exec2", running)).actions[0].source
    assert doc is not None
    assert doc["state"]["current"] == "RUNNING"
    assert "endDate" not in doc and "durationMs" not in doc


def test_execution_tombstone_deletes_it_and_asks_to_purge_its_task_runs() -> None:
    result = transformer().transform(record(TOPICS.executions, "exec3", None))
    (action,) = result.actions
    assert (action.op, action.index, action.id, action.source) == (
        "delete",
        "kes-executions",
        "exec3",
        None,
    )
    assert action.version is None
    assert result.purge_taskruns_of == "exec3"
    assert action.to_bulk() == {
        "_op_type": "delete",
        "_index": "kes-executions",
        "_id": "exec3",
        "require_alias": True,
    }


def test_log_goes_to_the_daily_index_of_its_utc_day_with_a_record_id() -> None:
    execution = snapshots("exec4")[0]
    late = datetime(2026, 11, 20, 23, 59, 59, 999000, tzinfo=UTC)
    line = log_line(execution, "hello", late, task_id="first")
    (action,) = transformer().transform(record(TOPICS.logs, "exec4", line, offset=41)).actions
    assert action.index == "kes-logs-2026.11.20"
    assert action.id == "exec4-2-41"
    assert not action.require_alias and action.version is None
    assert action.source is not None
    assert action.source["@timestamp"] == "2026-11-20T23:59:59.999000Z"
    assert (action.source["partition"], action.source["offset"]) == (2, 41)
    assert log_from_document(action.source) == line


def test_metric_goes_to_its_daily_index_and_a_tombstone_on_logs_is_ignored() -> None:
    metric = MetricEntry(
        execution_id="exec5", namespace="n", flow_id="f", name="rows", value=3, timestamp=T0
    )
    (action,) = transformer().transform(record(TOPICS.metrics, "exec5", metric)).actions
    assert action.index == "kes-metrics-2026.11.20"
    result = transformer().transform(record(TOPICS.logs, "exec5", None))
    assert result.actions == () and result.failure is None


def test_flows_and_triggers_use_the_offset_as_external_version() -> None:
    flow = flow_record("company", "etl", 4, labels={"owner": "ops"}, description="Loads")
    (action,) = transformer().transform(record(TOPICS.flows, "company/etl", flow, 99)).actions
    assert (action.index, action.id, action.version) == ("kes-flows", "company/etl", 99)
    assert action.source is not None
    assert action.source["labels"] == [{"key": "owner", "value": "ops"}]
    assert action.source["description"] == "Loads"
    revision = transformer().transform(record(TOPICS.flow_revisions, "company/etl/4", flow, 5))
    assert revision.actions[0].index == "kes-flow-revisions"
    trigger = trigger_state("company", "etl", "daily")
    (action,) = (
        transformer().transform(record(TOPICS.triggers, "company/etl/daily", trigger, 3)).actions
    )
    assert (action.index, action.version) == ("kes-triggers", 3)
    (gone,) = transformer().transform(record(TOPICS.flows, "company/etl", None, 100)).actions
    assert (gone.op, gone.version) == ("delete", 100)


def test_undecodable_and_keyless_records_become_failures() -> None:
    bad = transformer().transform(record(TOPICS.executions, "x", b"{not json"))
    assert bad.actions == () and bad.failure is not None and "executions" in bad.failure
    keyless = transformer().transform(record(TOPICS.executions, None, snapshots("k")[0]))
    assert keyless.failure is not None and "key" in keyless.failure
    foreign = Record("other.topic", 0, 0, b"k", b"{}")
    assert transformer().transform(foreign).failure is not None


def test_a_rebuild_writes_into_physical_indices_without_require_alias() -> None:
    targets = Targets(NAMES, {IndexKind.EXECUTIONS: "kes-executions-000002"})
    actions = transformer(targets).transform(record(TOPICS.executions, "e", snapshots("e")[-1]))
    execution, summary, run, _ = actions.actions
    assert summary.index == "kes-execution-summaries-2026.11.20" and not summary.require_alias
    assert (execution.index, execution.require_alias) == ("kes-executions-000002", False)
    assert (run.index, run.require_alias) == ("kes-taskruns", True)


def test_batch_keeps_the_newest_version_of_each_document_and_the_offsets() -> None:
    batch = Batch()
    make = transformer()
    first, second, third = snapshots("b1")
    for offset, snapshot in ((10, first), (11, third), (12, second)):  # a replayed older one
        batch.add(
            record(TOPICS.executions, "b1", snapshot, offset),
            make.transform(record(TOPICS.executions, "b1", snapshot, offset)),
            now=1.0,
        )
    versions = {action.target: action.version for action in batch.actions}
    assert versions[("kes-executions", "b1")] == 3
    assert versions[("kes-taskruns", "b1-first")] == 3
    assert versions[("kes-execution-summaries-2026.11.20", "b1")] == 3
    assert batch.records == 3 and len(batch) == 4
    assert [(tp.partition, tp.offset) for tp in batch.commit_offsets()] == [(2, 13)]


def test_batch_tombstone_after_snapshot_deletes_and_a_later_snapshot_cancels_the_purge() -> None:
    batch = Batch()
    make = transformer()
    snapshot = snapshots("b2")[-1]
    tombstone = record(TOPICS.executions, "b2", None, 21)
    batch.add(
        record(TOPICS.executions, "b2", snapshot, 20),
        make.transform(record(TOPICS.executions, "b2", snapshot, 20)),
        now=0.0,
    )
    batch.add(tombstone, make.transform(tombstone), now=0.0)
    ops = {action.target: action.op for action in batch.actions}
    assert ops[("kes-executions", "b2")] == "delete"
    assert batch.purges == {"b2"}
    again = record(TOPICS.executions, "b2", snapshot, 22)
    batch.add(again, make.transform(again), now=0.0)
    assert batch.purges == set()


def test_batch_forgets_revoked_partitions_and_counts_failures() -> None:
    batch = Batch()
    make = transformer()
    kept = record(TOPICS.executions, "c1", snapshots("c1")[0], 1, partition=0)
    dropped = record(TOPICS.executions, "c2", snapshots("c2")[0], 1, partition=3)
    broken = record(TOPICS.executions, "c3", b"\xff", 2, partition=3)
    for item in (kept, dropped, broken):
        batch.add(item, make.transform(item), now=0.0)
    assert len(batch.failures) == 1
    batch.drop([TopicPartition(TOPIC_NAMES.executions, 3)])
    assert {action.id for action in batch.actions} == {"c1"}
    assert batch.failures == []
    assert [(tp.partition, tp.offset) for tp in batch.commit_offsets()] == [(0, 2)]
    assert batch.age(5.0) == 5.0


def test_a_long_executions_task_run_record_becomes_its_task_run_document() -> None:
    final = snapshots("exec1", StateType.SUCCESS)[-1]
    run = final.task_run_list[0]
    written = TaskRunRecord(
        execution_id="exec1", flow_revision=final.flow_revision, seq=9, position=0, task_run=run
    )
    key = f"exec1/{run.id}"
    (action,) = transformer().transform(record(TOPICS.task_runs, key, written)).actions
    assert (action.op, action.index, action.id, action.version) == (
        "index",
        "kes-taskruns",
        run.id,
        9,
    )
    assert action.source is not None
    assert action.source["executionId"] == "exec1" and action.source["taskId"] == run.task_id
    assert action.source["flowRevision"] == final.flow_revision
    # Whole: reading a long execution puts its task runs back together from these.
    assert action.source["attempts"] and "histories" in action.source["state"]
    # A removed run (a restart, a deleted execution): its document goes.
    (gone,) = transformer().transform(record(TOPICS.task_runs, key, None)).actions
    assert (gone.op, gone.index, gone.id) == ("delete", "kes-taskruns", run.id)


def test_a_long_executions_whole_snapshot_keeps_whole_task_run_documents() -> None:
    final = snapshots("exec1", StateType.SUCCESS)[-1]
    long = final.model_copy(update={"task_run_count": len(final.task_run_list)})
    _, _, *runs = transformer().transform(record(TOPICS.executions, "exec1", long)).actions
    assert runs and all(run.source is not None for run in runs)
    assert all(run.source and run.source["attempts"] for run in runs)
    assert all(run.source and "histories" in run.source["state"] for run in runs)
