from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from indexer_samples import T0, flow_record, log_line, quick, snapshots
from indexer_samples import wait_until as wait
from runtime_helpers import kestrel_cli

from indexer.bulk import send
from indexer.transform import Targets, Transformer
from orchestrator.kafka import (
    TOPICS,
    KafkaConsumer,
    KafkaProducer,
    Record,
    TopicPartition,
    Topics,
    encode,
    ensure_topics,
    partition_for,
)
from orchestrator.models.base import KestrelModel
from orchestrator.models.state import StateType
from orchestrator.repository import IndexKind, Repositories, ensure_indices
from orchestrator.repository.admin import alias_targets, create_index, ensure_templates
from orchestrator.settings import KestrelSettings
from orchestrator.tasks.base import LogLevel

pytestmark = pytest.mark.integration


def index(settings: KestrelSettings, records: list[Record]) -> None:
    with Repositories.from_settings(settings) as repos:
        ensure_indices(repos.client, repos.names)
        transformer = Transformer(Topics.from_settings(settings), Targets(repos.names))
        actions = [a for record in records for a in transformer.transform(record).actions]
        assert send(repos.client, actions).rejected == []
        repos.client.indices.refresh(index=f"{repos.names.prefix}*")


def produced(settings: KestrelSettings, topic: str, key: str, count: int) -> list[Record]:
    """Read back the records of ``key``'s partition of ``topic``."""
    name = Topics.from_settings(settings).name(topic)
    with KafkaConsumer(settings, f"read-{uuid.uuid4().hex}") as consumer:
        consumer.assign([TopicPartition(name, partition_for(key, settings.kafka.partitions))])
        records: list[Record] = []

        def enough() -> bool:
            records.extend(consumer.poll_batch(100, 0.2))
            return len(records) >= count

        wait(enough, what=f"{count} records on {topic}")
    return records


def test_execution_list_logs_and_stats(settings: KestrelSettings) -> None:
    topics = Topics.from_settings(settings)
    ok = snapshots("cli-ok", labels={"env": "prod"})[-1]
    failed = snapshots("cli-failed", StateType.FAILED, flow_id="etl", labels={"env": "prod"})[-1]
    lines = [
        log_line(ok, "hello", T0, LogLevel.INFO, "first"),
        log_line(ok, "careful", T0 + timedelta(seconds=1), LogLevel.WARN, "second"),
    ]
    records = [
        Record(topics.executions, 0, n, e.id.encode(), _json(e)) for n, e in enumerate([ok, failed])
    ]
    records += [Record(topics.logs, 1, n, b"cli-ok", _json(line)) for n, line in enumerate(lines)]
    index(settings, records)

    listed = kestrel_cli(
        settings, "execution", "list", "--json", "--state", "failed", "--label", "env=prod"
    )
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.stdout)
    assert found["total"] == 1 and found["results"][0]["id"] == "cli-failed"
    assert found["results"][0]["state"] == "FAILED" and found["results"][0]["durationMs"] == 2000

    table = kestrel_cli(settings, "execution", "list", "--namespace", "company")
    assert table.exit_code == 0
    assert "cli-ok" in table.stdout and "cli-failed" in table.stdout
    assert "of 2 execution(s)" in table.stdout

    logs = kestrel_cli(settings, "logs", "cli-ok")
    assert logs.exit_code == 0
    assert "hello" in logs.stdout and "careful" in logs.stdout
    warned = kestrel_cli(settings, "logs", "cli-ok", "--level", "warn", "--json")
    assert [json.loads(line)["message"] for line in warned.stdout.splitlines()] == ["careful"]
    missing = kestrel_cli(settings, "logs", "no-such-execution")
    assert missing.exit_code == 1 and "no execution no-such-execution" in missing.stderr

    days = (datetime.now(UTC) - T0).days + 2
    stats = kestrel_cli(settings, "stats", "--since", f"{days}d", "--json")
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.stdout)
    assert sum(sum(b["counts"].values()) for b in figures["executionsPerState"]) == 2
    assert figures["topFailingFlows"] == [
        {"namespace": "company.team", "flowId": "etl", "failed": 1, "total": 1}
    ]
    assert {d["flowId"]: d["count"] for d in figures["durations"]} == {"hello": 1, "etl": 1}
    drawn = kestrel_cli(settings, "stats", "--since", f"{days}d")
    assert "Top failing flows" in drawn.stdout and "company.team.etl" in drawn.stdout


def _json(value: KestrelModel) -> bytes:
    return encode(value)


def test_logs_follow_reads_kafka_after_the_history_without_repeating(
    settings: KestrelSettings,
) -> None:
    ensure_topics(settings, [TOPICS.executions, TOPICS.logs])
    history = snapshots("follow-me")
    lines = [log_line(history[-1], f"line {n}", T0 + timedelta(seconds=n)) for n in range(3)]
    with KafkaProducer(settings) as producer:
        for line in lines:
            producer.send(TOPICS.logs, "follow-me", line)
        for snapshot in history:
            producer.send(TOPICS.executions, "follow-me", snapshot)
    # The first two lines are already indexed; the third is only on Kafka.
    index(settings, produced(settings, "logs", "follow-me", 3)[:2])

    result = kestrel_cli(settings, "logs", "follow-me", "--follow")
    assert result.exit_code == 0, result.output
    printed = [line for line in result.stdout.splitlines() if "line " in line]
    assert [line.split()[-1] for line in printed] == ["0", "1", "2"]
    assert "ended SUCCESS" in result.stderr


def test_purge_deletes_only_daily_indices_older_than_asked(settings: KestrelSettings) -> None:
    prefix = settings.elasticsearch.index_prefix
    today = datetime.now(UTC).date()
    old_logs = f"{prefix}logs-{today - timedelta(days=31):%Y.%m.%d}"
    old_metrics = f"{prefix}metrics-2020.01.02"
    recent = f"{prefix}logs-{today - timedelta(days=29):%Y.%m.%d}"
    current = f"{prefix}metrics-{today:%Y.%m.%d}"
    with Repositories.from_settings(settings) as repos:
        ensure_templates(repos.client, repos.names)
        for name in (old_logs, old_metrics, recent, current):
            assert create_index(repos.client, name)
        ensure_indices(repos.client, repos.names, [IndexKind.EXECUTIONS])

        dry = kestrel_cli(settings, "indexer", "purge", "--older-than", "30d", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert sorted(dry.stdout.split("\n")[:-1]) == sorted(
            [f"would delete {old_logs}", f"would delete {old_metrics}"]
        )
        assert repos.client.indices.exists(index=old_logs)

        done = kestrel_cli(settings, "indexer", "purge", "--older-than", "30d")
        assert done.exit_code == 0, done.output
        assert "2 index(es) deleted, 2 kept" in done.stderr
        existing = set(repos.client.indices.get_alias(index=f"{prefix}*").body)
        assert old_logs not in existing and old_metrics not in existing
        assert {recent, current} <= existing
        assert alias_targets(repos.client, repos.names, IndexKind.EXECUTIONS)


def test_rebuild_command_draws_progress_and_swaps_the_alias(settings: KestrelSettings) -> None:
    ensure_topics(settings)
    with KafkaProducer(settings) as producer:
        producer.send(TOPICS.flows, "company/one", flow_record("company", "one", 1))
    result = kestrel_cli(settings, "indexer", "rebuild", "--index", "flows")
    assert result.exit_code == 0, result.output
    assert "flows" in result.stdout and "Rebuilt" in result.stdout
    with Repositories.from_settings(settings) as repos:
        assert alias_targets(repos.client, repos.names, IndexKind.FLOWS) == [
            repos.names.physical(IndexKind.FLOWS, 1)
        ]
        assert repos.flows.get("company", "one") is not None
    wrong = kestrel_cli(settings, "indexer", "rebuild", "--index", "logs")
    assert wrong.exit_code == 1 and "cannot rebuild 'logs'" in wrong.stderr


def test_kestrel_indexer_runs_until_sigterm(settings: KestrelSettings) -> None:
    kestrel_script = Path(sys.executable).parent / "kestrel"
    if not kestrel_script.exists():
        pytest.skip("the kestrel console script is not installed in this environment")
    settings = quick(settings)
    ensure_topics(settings)
    with KafkaProducer(settings) as producer:
        for snapshot in snapshots("served"):
            producer.send(TOPICS.executions, snapshot.id, snapshot)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KESTREL_")}
    env.update(
        {
            "KESTREL_KAFKA_BOOTSTRAP": settings.kafka.bootstrap,
            "KESTREL_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
            "KESTREL_KAFKA_PARTITIONS": str(settings.kafka.partitions),
            "KESTREL_ELASTICSEARCH_URL": settings.elasticsearch.url,
            "KESTREL_ELASTICSEARCH_INDEX_PREFIX": settings.elasticsearch.index_prefix,
            "KESTREL_INDEXER_GROUP_ID": settings.indexer.group_id,
            "KESTREL_INDEXER_FLUSH_INTERVAL": "0.2",
            "KESTREL_MANAGEMENT__PORT": "0",
        }
    )
    instance = settings.indexer.instance_id or "served"
    process = subprocess.Popen(
        [str(kestrel_script), "indexer", "--instance-id", instance],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with Repositories.from_settings(settings) as repos:
            wait(lambda: repos.executions.get("served") is not None, what="served indexed")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "stopping" in stderr and f"indexer {instance} started" in stderr
