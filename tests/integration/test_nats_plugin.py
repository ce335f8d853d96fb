"""NATS Produce / Consume / Trigger in-process, against the local NATS with JetStream."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from messaging_services import NATS, free_port, poll_context, require_server, trigger_of
from plugin_context import context_of, run_task, task_of

from orchestrator.plugin import TaskFailedError
from orchestrator.storage import LocalStorage

pytestmark = pytest.mark.integration

URL = f"nats://{NATS[0]}:{NATS[1]}"


async def _stream(name: str, subjects: list[str] | None) -> None:
    client = await nats.connect(URL)
    stream = client.jetstream()
    if subjects is None:
        await stream.delete_stream(name)
    else:
        await stream.add_stream(name=name, subjects=subjects)
    await client.close()


@pytest.fixture
def subject() -> Iterator[str]:
    require_server(NATS, "NATS")
    name = f"kestrel_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_stream(name, [f"{name}.>"]))
    yield f"{name}.orders"
    asyncio.run(_stream(name, None))


def produce(subject: str, tmp_path: Path, messages: object) -> object:
    return run_task(
        {"type": "io.kestra.plugin.nats.Produce", "url": URL, "subject": subject, "from": messages},
        tmp_path,
    )["messagesCount"]


def test_produce_then_consume_with_a_durable_consumer(subject: str, tmp_path: Path) -> None:
    assert (
        produce(subject, tmp_path, [{"headers": {"source": "kestra"}, "data": "one"}, {"n": 2}])
        == 2
    )
    definition = {
        "type": "io.kestra.plugin.nats.Consume",
        "url": URL,
        "subject": subject,
        "durableId": "kestrel",
        "pollDuration": "PT0.5S",
    }
    task = task_of(definition)
    ctx = context_of(task, tmp_path)
    outputs = task.run(ctx) or {}
    assert outputs["messagesCount"] == 2
    lines = [json.loads(line) for line in ctx.get_file(outputs["uri"]).decode().splitlines()]
    assert [line["data"] for line in lines] == ["one", '{"n": 2}']
    assert lines[0]["headers"] == {"source": "kestra"}
    produce(subject, tmp_path, ["three"])
    assert run_task(definition, tmp_path)["messagesCount"] == 1  # the durable kept its place


def test_polling_trigger_stores_a_batch(
    subject: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    trigger = trigger_of(
        {
            "type": "io.kestra.plugin.nats.Trigger",
            "url": URL,
            "subject": subject,
            "durableId": "trig",
            "pollDuration": "PT0.3S",
        }
    )
    assert trigger.evaluate(poll_context()) == []
    produce(subject, tmp_path, ["a", "b"])
    (poll,) = trigger.evaluate(poll_context())
    assert poll.variables["messagesCount"] == 2
    stored = LocalStorage(tmp_path / "storage").get(poll.variables["uri"]).decode().splitlines()
    assert [json.loads(line)["data"] for line in stored] == ["a", "b"]


def test_a_subject_no_stream_captures_fails_naming_it(tmp_path: Path) -> None:
    require_server(NATS, "NATS")
    with pytest.raises(
        TaskFailedError,
        match=r"task 'get': subscribing on NATS at 127.0.0.1:4222 failed: "
        r"no stream captures subject 'nowhere.x'",
    ):
        run_task(
            {
                "id": "get",
                "type": "io.kestra.plugin.nats.Consume",
                "url": URL,
                "subject": "nowhere.x",
                "pollDuration": "PT0.2S",
            },
            tmp_path,
        )


def test_a_refused_connection_fails_naming_the_task_and_the_server(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(TaskFailedError) as failure:
        run_task(
            {
                "id": "send",
                "type": "io.kestra.plugin.nats.Produce",
                "url": f"nats://127.0.0.1:{port}",
                "username": "u",
                "password": "nats-pw-3",
                "subject": "s",
                "from": "x",
            },
            tmp_path,
        )
    message = str(failure.value)
    assert message.startswith(f"task 'send': connecting on NATS at 127.0.0.1:{port} failed:")
    assert "nats-pw-3" not in message and "refused" in message.lower()
