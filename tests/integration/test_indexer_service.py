from __future__ import annotations

import uuid
from datetime import timedelta

import confluent_kafka
import pytest
from indexer_samples import (
    T0,
    flow_record,
    log_line,
    quick,
    running,
    snapshots,
    trigger_state,
    uncommitted,
)
from indexer_samples import wait_until as wait

from indexer.service import Indexer
from orchestrator.kafka import (
    TOPICS,
    KafkaConsumer,
    KafkaProducer,
    Record,
    TopicPartition,
    Topics,
    ensure_topics,
)
from orchestrator.models.messages import DeadLetter, MetricEntry
from orchestrator.models.state import StateType
from orchestrator.repository import ExecutionFilter, IndexKind, LogFilter, Repositories
from orchestrator.settings import KestrelSettings
from orchestrator.tasks.base import LogLevel

pytestmark = pytest.mark.integration


def read_dead_letters(settings: KestrelSettings, count: int) -> list[DeadLetter]:
    with KafkaConsumer(settings, f"dead-{uuid.uuid4().hex}") as consumer:
        name = consumer.topics.dead_letters
        consumer.assign(TopicPartition(name, p) for p in range(settings.kafka.partitions))
        records: list[Record] = []

        def enough() -> bool:
            records.extend(consumer.poll_batch(100, 0.2))
            return len(records) >= count

        wait(enough, 15, f"{count} dead letters")
    return [record.decoded_value(TOPICS.dead_letters) for record in records]


def test_topics_become_searchable_documents(settings: KestrelSettings) -> None:
    settings = quick(settings)
    ensure_topics(settings)
    ok, failed, running_now = (
        snapshots("exec-ok", labels={"team": "data"}),
        snapshots("exec-failed", StateType.FAILED, flow_id="etl"),
        snapshots("exec-running")[:2],
    )
    deleted = snapshots("exec-deleted")
    refused = snapshots("exec-refused")[0].model_copy(update={"flow_revision": 2**40})
    lines = [
        log_line(ok[-1], f"line {n}", T0 + timedelta(seconds=n), level, "first")
        for n, level in enumerate([LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR])
    ]
    with KafkaProducer(settings) as producer:
        for snapshot in [*ok, *failed, *running_now, *deleted]:
            producer.send(TOPICS.executions, snapshot.id, snapshot)
        producer.send(TOPICS.executions, "exec-deleted", None)
        producer.send(TOPICS.executions, refused.id, refused)
        for line in lines:
            producer.send(TOPICS.logs, line.execution_id, line)
        producer.send(
            TOPICS.metrics,
            "exec-ok",
            MetricEntry(
                execution_id="exec-ok",
                namespace="company.team",
                flow_id="hello",
                name="rows",
                value=12,
                timestamp=T0,
            ),
        )
        producer.send(TOPICS.flows, "company.team/hello", flow_record("company.team", "hello", 2))
        producer.send(TOPICS.flows, "company.team/gone", flow_record("company.team", "gone", 1))
        producer.send(TOPICS.flows, "company.team/gone", None)
        for revision in (1, 2):
            record = flow_record("company.team", "hello", revision)
            producer.send(TOPICS.flow_revisions, f"company.team/hello/{revision}", record)
        trigger = trigger_state("company.team", "hello", "nightly")
        producer.send(TOPICS.triggers, "company.team/hello/nightly", trigger)
        producer.flush()
    raw = confluent_kafka.Producer({"bootstrap.servers": settings.kafka.bootstrap})
    raw.produce(Topics.from_settings(settings).executions, key=b"exec-garbled", value=b"\xff{")
    raw.flush(10)
    del raw  # librdkafka clients live until collected

    indexer = Indexer(settings)
    with running(indexer), Repositories.from_settings(settings) as repos:
        metrics_index = f"{repos.names.prefix}metrics-2026.11.20"
        expected = {
            "executions": 3,
            "task runs": 2,
            "logs": 4,
            "flows": 1,
            "revisions": 2,
            "triggers": 1,
            "metrics": 1,
        }

        def counts() -> dict[str, int]:
            return {
                "executions": repos.executions.count(),
                "task runs": len(repos.executions.task_runs("exec-failed")),
                "logs": repos.logs.count(LogFilter(execution_id="exec-ok")),
                "flows": repos.flows.find().total,
                "revisions": len(repos.flows.revisions("company.team", "hello")),
                "triggers": len(repos.flows.triggers()),
                "metrics": repos.client.count(index=metrics_index, ignore_unavailable=True).body[
                    "count"
                ],
            }

        # Searchable within a few seconds, every kind at once.
        wait(lambda: counts() == expected, timeout=10, what=f"documents {expected}")

        states = {item.id: item.state for item in repos.executions.find().items}
        assert states == {
            "exec-ok": StateType.SUCCESS,
            "exec-failed": StateType.FAILED,
            "exec-running": StateType.RUNNING,
        }
        runs = {run.task_id: run for run in repos.executions.task_runs("exec-failed")}
        assert runs["second"].state is StateType.FAILED and runs["second"].attempts == 2
        assert runs["second"].duration_ms == 1000
        assert repos.executions.get("exec-ok") == ok[-1]
        assert repos.executions.get("exec-deleted") is None
        assert repos.executions.task_runs("exec-deleted") == []
        assert repos.flows.get("company.team", "gone") is None
        labelled = repos.executions.find(ExecutionFilter(labels=(("team", "data"),)))
        assert [item.id for item in labelled.items] == ["exec-ok"]
        errors = repos.logs.search(LogFilter(execution_id="exec-ok", min_level=LogLevel.WARN))
        assert [hit.entry.message for hit in errors.hits] == ["line 2", "line 3"]

        # Undecodable bytes and a document Elasticsearch refuses land in dead letters.
        letters = {letter.key: letter for letter in read_dead_letters(settings, 2)}
        assert set(letters) == {"exec-garbled", "exec-refused"}
        assert "cannot decode" in letters["exec-garbled"].error
        assert letters["exec-garbled"].value_encoding == "base64"
        assert "flowRevision" in letters["exec-refused"].error
        assert "parsing_exception" in letters["exec-refused"].error
        assert letters["exec-refused"].service == "indexer"
        assert indexer.stats.dead_letters == 2

        # A replayed older snapshot never overwrites the newer document.
        stale_before = indexer.stats.stale
        with KafkaProducer(settings) as producer:
            producer.send(TOPICS.executions, "exec-ok", ok[0])
        wait(lambda: indexer.stats.stale > stale_before, what="the replay processed")
        repos.client.indices.refresh(index=repos.names.alias(IndexKind.EXECUTIONS))
        kept = repos.executions.get("exec-ok")
        assert kept is not None and kept.seq == 3 and kept.state.current is StateType.SUCCESS

        # Offsets are committed once written: nothing is left for the group to read.
        wait(lambda: uncommitted(settings) == 0, what="every offset committed")
