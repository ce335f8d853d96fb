"""The messaging plugins without servers: registration, validation, lazy drivers, helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from plugin_context import run_task, task_of
from pydantic import ValidationError

from orchestrator.models.triggers import TRIGGER_TYPES
from orchestrator.tasks.base import TASK_TYPES
from plugins.extras import MissingExtraError
from plugins.messaging import deserialize, masked_url, serialize

TASKS = [
    "io.kestra.plugin.kafka.Produce",
    "io.kestra.plugin.kafka.Consume",
    "io.kestra.plugin.amqp.Publish",
    "io.kestra.plugin.amqp.Consume",
    "io.kestra.plugin.redis.string.Get",
    "io.kestra.plugin.redis.string.Set",
    "io.kestra.plugin.redis.string.Delete",
    "io.kestra.plugin.redis.list.ListPush",
    "io.kestra.plugin.redis.list.ListPop",
    "io.kestra.plugin.mqtt.Publish",
    "io.kestra.plugin.mqtt.Subscribe",
    "io.kestra.plugin.nats.Produce",
    "io.kestra.plugin.nats.Consume",
]
TRIGGERS = [
    "io.kestra.plugin.kafka.Trigger",
    "io.kestra.plugin.kafka.RealtimeTrigger",
    "io.kestra.plugin.amqp.Trigger",
    "io.kestra.plugin.amqp.RealtimeTrigger",
    "io.kestra.plugin.redis.list.Trigger",
    "io.kestra.plugin.redis.list.RealtimeTrigger",
    "io.kestra.plugin.mqtt.Trigger",
    "io.kestra.plugin.mqtt.RealtimeTrigger",
    "io.kestra.plugin.nats.Trigger",
    "io.kestra.plugin.nats.RealtimeTrigger",
]


@pytest.mark.parametrize("name", TASKS)
def test_every_task_type_is_registered(name: str) -> None:
    assert name in TASK_TYPES.names()


@pytest.mark.parametrize("name", TRIGGERS)
def test_every_trigger_type_is_registered(name: str) -> None:
    assert name in TRIGGER_TYPES.names()


def test_importing_the_plugins_imports_no_driver() -> None:
    code = (
        "import sys, plugins.amqp, plugins.redis, plugins.mqtt, plugins.nats, plugins.kafka\n"
        "print(sorted(m for m in ('pika', 'redis', 'paho', 'nats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_driver_fails_the_run_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pika", None)  # what an install without [amqp] looks like
    with pytest.raises(
        MissingExtraError, match=r"install kestrelflow\[amqp\] to use io.kestra.plugin.amqp.Publish"
    ):
        run_task(
            {"type": "io.kestra.plugin.amqp.Publish", "host": "localhost", "from": "x"}, tmp_path
        )


def test_consumers_need_a_bound() -> None:
    with pytest.raises(ValidationError, match="maxRecords or maxDuration"):
        task_of({"type": "io.kestra.plugin.amqp.Consume", "host": "localhost", "queue": "q"})
    with pytest.raises(ValidationError, match="maxRecords or maxDuration"):
        task_of({"type": "io.kestra.plugin.redis.list.ListPop", "url": "redis://x", "key": "k"})


def test_a_kestra_flow_property_set_validates() -> None:
    task = task_of(
        {
            "type": "io.kestra.plugin.amqp.Publish",
            "url": "amqp://guest:guest@localhost:5672/my_vhost",
            "exchange": "kestramqp.exchange",
            "from": [
                {
                    "data": "value-1",
                    "headers": {"testHeader": "KestraTest"},
                    "timestamp": "2023-01-09T08:46:33.103130753Z",
                }
            ],
        }
    )
    assert task.type == "io.kestra.plugin.amqp.Publish"


def test_masked_url_hides_only_the_password() -> None:
    assert masked_url("redis://:s3cret@host:6379/0") == "redis://:********@host:6379/0"
    assert masked_url("amqp://guest:pw@h/vh") == "amqp://guest:********@h/vh"
    assert masked_url("nats://h:4222") == "nats://h:4222"


def test_serdes() -> None:
    assert serialize("text", "STRING") == b"text"
    assert serialize({"a": 1}, "STRING") == b'{"a": 1}'
    assert serialize("text", "JSON") == b'"text"'
    assert deserialize(b'{"a": 1}', "JSON") == {"a": 1}
    assert deserialize(b"not json", "JSON") == "not json"
    assert deserialize(None, "STRING") is None
