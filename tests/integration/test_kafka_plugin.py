"""Kafka Produce / Consume / Trigger in-process, against the session's embedded broker."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from plugin_context import context_of, run_task, task_of

from orchestrator.backends import Backends
from orchestrator.models.flow import Flow
from orchestrator.models.triggers import TRIGGER_TYPES
from orchestrator.plugin import TaskFailedError
from orchestrator.scheduler.decision import FlowRef
from orchestrator.scheduler.polling import PollContext
from orchestrator.storage import LocalStorage
from orchestrator.templating import TemplateRenderer
from plugins.kafka.triggers import KafkaTrigger

pytestmark = pytest.mark.integration


def new_topic(bootstrap: str) -> str:
    name = f"plugin-kafka-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, 2, 1)]).values():
        future.result(15)
    return name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def produce(bootstrap: str, topic: str, tmp_path: Path, records: list[object]) -> dict[str, object]:
    return run_task(
        {
            "type": "io.kestra.plugin.kafka.Produce",
            "properties": {"bootstrap.servers": bootstrap},
            "topic": topic,
            "valueSerializer": "JSON",
            "from": records,
        },
        tmp_path,
    )


def test_produce_then_consume_round_trips_keys_values_and_headers(
    backends: Backends, tmp_path: Path
) -> None:
    bootstrap = backends.kafka_bootstrap
    topic = new_topic(bootstrap)
    records = [{"key": f"k{n}", "value": {"n": n}, "headers": {"source": "test"}} for n in range(5)]
    assert produce(bootstrap, topic, tmp_path, records) == {"messagesCount": 5}
    definition = {
        "type": "io.kestra.plugin.kafka.Consume",
        "properties": {"bootstrap.servers": bootstrap},
        "topic": topic,
        "valueDeserializer": "JSON",
        "pollDuration": "PT1S",
    }
    task = task_of(definition)
    ctx = context_of(task, tmp_path)
    outputs = task.run(ctx) or {}
    assert outputs["messagesCount"] == 5
    lines = [json.loads(line) for line in ctx.get_file(outputs["uri"]).decode().splitlines()]
    assert sorted(line["value"]["n"] for line in lines) == [0, 1, 2, 3, 4]
    assert {line["key"] for line in lines} == {f"k{n}" for n in range(5)}
    assert lines[0]["headers"] == [["source", "test"]]
    assert lines[0]["topic"] == topic


def test_consume_with_a_group_reads_only_new_records_and_stops_at_max_records(
    backends: Backends, tmp_path: Path
) -> None:
    bootstrap = backends.kafka_bootstrap
    topic = new_topic(bootstrap)
    produce(bootstrap, topic, tmp_path, [{"value": n} for n in range(6)])
    definition = {
        "type": "io.kestra.plugin.kafka.Consume",
        "properties": {"bootstrap.servers": bootstrap},
        "topic": topic,
        "groupId": f"g-{topic}",
        "maxRecords": 4,
        "pollDuration": "PT2S",
    }
    first = run_task(definition, tmp_path)
    second = run_task(definition, tmp_path)
    assert first["messagesCount"] == 4
    assert second["messagesCount"] == 2  # the group's offsets were committed


def test_polling_trigger_stores_the_new_records_once(backends: Backends, tmp_path: Path) -> None:
    bootstrap = backends.kafka_bootstrap
    topic = new_topic(bootstrap)
    produce(bootstrap, topic, tmp_path, [{"value": "a"}, {"value": "b"}])
    trigger = TRIGGER_TYPES.resolve("io.kestra.plugin.kafka.Trigger").model_validate(
        {
            "id": "poll",
            "type": "io.kestra.plugin.kafka.Trigger",
            "properties": {"bootstrap.servers": bootstrap},
            "topic": topic,
            "groupId": f"g-{topic}",
            "valueDeserializer": "JSON",
            "pollDuration": "PT2S",
        }
    )
    assert isinstance(trigger, KafkaTrigger)
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "tests.kafka",
            "tasks": [{"id": "l", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
        }
    )
    storage_dir = tmp_path / "storage"
    context = PollContext(TemplateRenderer(), FlowRef(flow, 1), datetime.now(UTC))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KESTREL_STORAGE__BASE_DIR", str(storage_dir))
        polls = trigger.evaluate(context)
        again = trigger.evaluate(context)
    assert len(polls) == 1 and again == []
    assert polls[0].variables["messagesCount"] == 2
    stored = LocalStorage(storage_dir).get(polls[0].variables["uri"]).decode().splitlines()
    assert sorted(json.loads(line)["value"] for line in stored) == ["a", "b"]


def test_an_unreachable_broker_fails_naming_the_task_and_the_server(tmp_path: Path) -> None:
    server = f"127.0.0.1:{free_port()}"
    with pytest.raises(TaskFailedError) as failure:
        run_task(
            {
                "id": "send",
                "type": "io.kestra.plugin.kafka.Produce",
                "properties": {"bootstrap.servers": server, "sasl.password": "hunter2"},
                "topic": "t",
                "from": {"value": "x"},
            },
            tmp_path,
        )
    message = str(failure.value)
    assert "'send'" in message and server in message and "refused" in message.lower()
    assert "hunter2" not in message


def test_a_missing_topic_fails_naming_it(backends: Backends, tmp_path: Path) -> None:
    with pytest.raises(TaskFailedError, match=r"topic 'no-such-topic-\w+' does not exist"):
        run_task(
            {
                "id": "read",
                "type": "io.kestra.plugin.kafka.Consume",
                "properties": {"bootstrap.servers": backends.kafka_bootstrap},
                "topic": f"no-such-topic-{uuid.uuid4().hex[:6]}",
                "pollDuration": "PT1S",
            },
            tmp_path,
        )
