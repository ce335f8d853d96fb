"""AMQP Publish / Consume / Trigger in-process, against the local RabbitMQ (guest/guest)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
from messaging_services import RABBITMQ, free_port, poll_context, require_server, trigger_of
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.plugin import TaskFailedError
from orchestrator.storage import LocalStorage

pytestmark = pytest.mark.integration

SERVER = {"host": RABBITMQ[0], "port": RABBITMQ[1], "username": "guest", "password": "guest"}


@pytest.fixture
def queue() -> Iterator[str]:
    require_server(RABBITMQ, "RabbitMQ")
    name = f"kestrel-test-{uuid.uuid4().hex[:10]}"
    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    connection.channel().queue_declare(name, auto_delete=False)
    yield name
    connection.channel().queue_delete(name)
    connection.close()


def publish(queue: str, tmp_path: Path, messages: object, serde: str = "JSON") -> object:
    return run_task(
        {
            "type": "io.kestra.plugin.amqp.Publish",
            **SERVER,
            "routingKey": queue,
            "serdeType": serde,
            "from": messages,
        },
        tmp_path,
    )["messagesCount"]


def test_publish_then_consume_keeps_data_and_headers(queue: str, tmp_path: Path) -> None:
    sent = [
        {
            "data": {"n": 1},
            "headers": {"source": "kestra"},
            "timestamp": "2023-01-09T08:46:33.103130753Z",
        },
        {"data": {"n": 2}, "appId": "unit"},
    ]
    assert publish(queue, tmp_path, sent) == 2
    task = task_of(
        {
            "type": "io.kestra.plugin.amqp.Consume",
            **SERVER,
            "queue": queue,
            "serdeType": "JSON",
            "maxRecords": 2,
        }
    )
    ctx = context_of(task, tmp_path)
    outputs = task.run(ctx) or {}
    assert outputs["count"] == 2
    lines = [json.loads(line) for line in ctx.get_file(outputs["uri"]).decode().splitlines()]
    assert [line["data"] for line in lines] == [{"n": 1}, {"n": 2}]
    assert lines[0]["headers"] == {"source": "kestra"}
    assert lines[0]["timestamp"].startswith("2023-01-09T08:46:33")
    assert lines[1]["appId"] == "unit"


def test_consume_stops_at_max_records_and_gives_the_rest_back(queue: str, tmp_path: Path) -> None:
    publish(queue, tmp_path, [f"m{n}" for n in range(5)], serde="STRING")
    definition = {
        "type": "io.kestra.plugin.amqp.Consume",
        **SERVER,
        "queue": queue,
        "maxRecords": 3,
    }
    assert run_task(definition, tmp_path)["count"] == 3
    rest = run_task({**definition, "maxRecords": 10, "maxDuration": "PT1S"}, tmp_path)
    assert rest["count"] == 2


def test_polling_trigger_takes_the_waiting_messages(
    queue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    trigger = trigger_of(
        {"type": "io.kestra.plugin.amqp.Trigger", **SERVER, "queue": queue, "maxDuration": "PT1S"}
    )
    assert trigger.evaluate(poll_context()) == []
    publish(queue, tmp_path, ["a", "b", "c"], serde="STRING")
    (poll,) = trigger.evaluate(poll_context())
    assert poll.variables["count"] == 3
    stored = LocalStorage(tmp_path / "storage").get(poll.variables["uri"]).decode().splitlines()
    assert [json.loads(line)["data"] for line in stored] == ["a", "b", "c"]


def test_a_refused_connection_fails_naming_the_task_and_the_server(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(TaskFailedError) as failure:
        run_task(
            {
                "id": "pub",
                "type": "io.kestra.plugin.amqp.Publish",
                **SERVER,
                "port": port,
                "from": "x",
            },
            tmp_path,
        )
    assert str(failure.value) == (
        f"task 'pub': connecting on AMQP at 127.0.0.1:{port}/ failed: connection refused"
    )


def test_a_wrong_password_fails_without_showing_it(tmp_path: Path) -> None:
    require_server(RABBITMQ, "RabbitMQ")
    logs = Logs()
    task = task_of(
        {
            "id": "pub",
            "type": "io.kestra.plugin.amqp.Publish",
            **SERVER,
            "password": "s3cr3t-wrong",
            "from": "x",
        }
    )
    with pytest.raises(TaskFailedError) as failure:
        task.run(context_of(task, tmp_path, logs))
    message = str(failure.value)
    assert (
        "'pub'" in message and "AMQP at 127.0.0.1:5672/" in message and "bad credentials" in message
    )
    assert "s3cr3t-wrong" not in message + logs.text()


def test_a_missing_queue_fails_naming_it(tmp_path: Path) -> None:
    require_server(RABBITMQ, "RabbitMQ")
    with pytest.raises(TaskFailedError, match=r"task 'get'.*no queue 'no-such-queue'"):
        run_task(
            {
                "id": "get",
                "type": "io.kestra.plugin.amqp.Consume",
                **SERVER,
                "queue": "no-such-queue",
                "maxRecords": 1,
            },
            tmp_path,
        )


def test_a_missing_exchange_fails_naming_it(tmp_path: Path) -> None:
    require_server(RABBITMQ, "RabbitMQ")
    with pytest.raises(
        TaskFailedError, match=r"task 'pub': publishing on AMQP .* no exchange 'nowhere'"
    ):
        run_task(
            {
                "id": "pub",
                "type": "io.kestra.plugin.amqp.Publish",
                **SERVER,
                "exchange": "nowhere",
                "from": "x",
            },
            tmp_path,
        )
