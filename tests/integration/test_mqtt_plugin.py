"""MQTT Publish / Subscribe / Trigger in-process, against the local Mosquitto.

MQTT delivers only what is published while subscribed, or retained: the tests publish
retained messages (one per topic) so that a later subscription receives them for sure.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from messaging_services import MOSQUITTO, free_port, poll_context, require_server, trigger_of
from plugin_context import context_of, run_task, task_of

from orchestrator.plugin import TaskFailedError
from orchestrator.storage import LocalStorage

pytestmark = pytest.mark.integration

SERVER = f"tcp://{MOSQUITTO[0]}:{MOSQUITTO[1]}"


@pytest.fixture
def prefix(tmp_path: Path) -> Iterator[str]:
    require_server(MOSQUITTO, "Mosquitto")
    name = f"kestrel-test/{uuid.uuid4().hex[:10]}"
    yield name
    for leaf in ("a", "b", "c"):  # an empty retained message clears the retained one
        run_task(
            {
                "type": "io.kestra.plugin.mqtt.Publish",
                "server": SERVER,
                "topic": f"{name}/{leaf}",
                "serdeType": "STRING",
                "retain": True,
                "from": "",
            },
            tmp_path,
        )


def publish_retained(prefix: str, tmp_path: Path) -> None:
    for n, leaf in enumerate(("a", "b", "c")):
        sent = run_task(
            {
                "type": "io.kestra.plugin.mqtt.Publish",
                "server": SERVER,
                "topic": f"{prefix}/{leaf}",
                "retain": True,
                "from": [{"n": n}],
            },
            tmp_path,
        )
        assert sent == {"messagesCount": 1}


def test_publish_then_subscribe_receives_the_messages(prefix: str, tmp_path: Path) -> None:
    publish_retained(prefix, tmp_path)
    task = task_of(
        {
            "type": "io.kestra.plugin.mqtt.Subscribe",
            "server": SERVER,
            "clientId": f"kestrel-{uuid.uuid4().hex[:6]}",
            "topic": [f"{prefix}/#"],
            "maxRecords": 3,
            "maxDuration": "PT10S",
        }
    )
    ctx = context_of(task, tmp_path)
    outputs = task.run(ctx) or {}
    assert outputs["messagesCount"] == 3
    lines = [json.loads(line) for line in ctx.get_file(outputs["uri"]).decode().splitlines()]
    assert sorted(line["payload"]["n"] for line in lines) == [0, 1, 2]
    assert {line["topic"] for line in lines} == {f"{prefix}/{leaf}" for leaf in "abc"}
    assert all(line["retain"] for line in lines)


def test_polling_trigger_stores_a_batch(
    prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    trigger = trigger_of(
        {
            "type": "io.kestra.plugin.mqtt.Trigger",
            "server": SERVER,
            "topic": f"{prefix}/#",
            "maxDuration": "PT0.5S",
        }
    )
    assert trigger.evaluate(poll_context()) == []
    publish_retained(prefix, tmp_path)
    (poll,) = trigger.evaluate(poll_context())
    assert poll.variables["messagesCount"] == 3
    stored = LocalStorage(tmp_path / "storage").get(poll.variables["uri"]).decode().splitlines()
    assert len(stored) == 3


def test_a_refused_connection_fails_naming_the_task_and_the_server(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(TaskFailedError) as failure:
        run_task(
            {
                "id": "pub",
                "type": "io.kestra.plugin.mqtt.Publish",
                "server": f"tcp://127.0.0.1:{port}",
                "username": "u",
                "password": "mqtt-pw-7",
                "topic": "t",
                "from": "x",
            },
            tmp_path,
        )
    assert (
        str(failure.value)
        == f"task 'pub': connecting on MQTT at 127.0.0.1:{port} failed: Connection refused"
    )
