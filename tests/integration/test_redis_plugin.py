"""Redis string and list tasks and the list trigger, against the local Redis."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from messaging_services import REDIS, free_port, poll_context, require_server, trigger_of
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.plugin import TaskFailedError
from orchestrator.storage import LocalStorage

pytestmark = pytest.mark.integration

URL = f"redis://{REDIS[0]}:{REDIS[1]}/0"


@pytest.fixture
def key() -> str:
    require_server(REDIS, "Redis")
    return f"kestrel-test-{uuid.uuid4().hex[:10]}"


def test_set_get_and_delete_a_json_value(key: str, tmp_path: Path) -> None:
    base = {"url": URL, "key": key, "serdeType": "JSON"}
    assert (
        run_task({"type": "io.kestra.plugin.redis.string.Set", **base, "value": {"a": 1}}, tmp_path)
        == {}
    )
    old = run_task(
        {"type": "io.kestra.plugin.redis.string.Set", **base, "value": {"a": 2}, "get": True},
        tmp_path,
    )
    assert old == {"oldValue": {"a": 1}}
    assert run_task({"type": "io.kestra.plugin.redis.string.Get", **base}, tmp_path) == {
        "data": {"a": 2}
    }
    deleted = run_task(
        {"type": "io.kestra.plugin.redis.string.Delete", "url": URL, "keys": [key, f"{key}-none"]},
        tmp_path,
    )
    assert deleted == {"count": 1}
    assert run_task({"type": "io.kestra.plugin.redis.string.Get", **base}, tmp_path) == {
        "data": None
    }


def test_set_with_must_not_exist_keeps_the_first_value(key: str, tmp_path: Path) -> None:
    base = {"type": "io.kestra.plugin.redis.string.Set", "url": URL, "key": key}
    run_task({**base, "value": "first", "options": {"expirationDuration": "PT60S"}}, tmp_path)
    run_task({**base, "value": "second", "options": {"mustNotExist": True}}, tmp_path)
    got = run_task({"type": "io.kestra.plugin.redis.string.Get", "url": URL, "key": key}, tmp_path)
    assert got == {"data": "first"}
    run_task({"type": "io.kestra.plugin.redis.string.Delete", "url": URL, "keys": [key]}, tmp_path)


def test_a_missing_key_fails_when_asked_to(key: str, tmp_path: Path) -> None:
    with pytest.raises(
        TaskFailedError,
        match=rf"task 'get': key '{key}' does not exist on Redis at 127.0.0.1:6379/0",
    ):
        run_task(
            {
                "id": "get",
                "type": "io.kestra.plugin.redis.string.Get",
                "url": URL,
                "key": key,
                "failedOnMissing": True,
            },
            tmp_path,
        )


def test_push_then_pop_into_a_file(key: str, tmp_path: Path) -> None:
    pushed = run_task(
        {
            "type": "io.kestra.plugin.redis.list.ListPush",
            "url": URL,
            "key": key,
            "from": ["a", "b", "c"],
        },
        tmp_path,
    )
    assert pushed == {"count": 3}
    task = task_of(
        {
            "type": "io.kestra.plugin.redis.list.ListPop",
            "url": URL,
            "key": key,
            "maxRecords": 2,
            "count": 1,
        }
    )
    ctx = context_of(task, tmp_path)
    outputs = task.run(ctx) or {}
    assert outputs["count"] == 2
    assert [json.loads(line) for line in ctx.get_file(outputs["uri"]).decode().splitlines()] == [
        "c",
        "b",
    ]
    rest = run_task(
        {
            "type": "io.kestra.plugin.redis.list.ListPop",
            "url": URL,
            "key": key,
            "maxDuration": "PT0.5S",
        },
        tmp_path,
    )
    assert rest["count"] == 1


def test_list_trigger_pops_the_waiting_elements(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    trigger = trigger_of(
        {
            "type": "io.kestra.plugin.redis.list.Trigger",
            "url": URL,
            "key": key,
            "maxRecords": 10,
            "serdeType": "JSON",
        }
    )
    assert trigger.evaluate(poll_context()) == []
    run_task(
        {
            "type": "io.kestra.plugin.redis.list.ListPush",
            "url": URL,
            "key": key,
            "serdeType": "JSON",
            "from": [{"n": 1}, {"n": 2}],
        },
        tmp_path,
    )
    (poll,) = trigger.evaluate(poll_context())
    assert poll.variables["count"] == 2
    stored = LocalStorage(tmp_path / "storage").get(poll.variables["uri"]).decode().splitlines()
    assert sorted(json.loads(line)["n"] for line in stored) == [1, 2]


def test_a_refused_connection_fails_naming_the_task_and_the_server(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(TaskFailedError) as failure:
        run_task(
            {
                "id": "get",
                "type": "io.kestra.plugin.redis.string.Get",
                "url": f"redis://:pw-123@127.0.0.1:{port}/0",
                "key": "k",
            },
            tmp_path,
        )
    message = str(failure.value)
    assert message.startswith(f"task 'get': reading key 'k' on Redis at 127.0.0.1:{port}/0 failed")
    assert "refused" in message.lower() and "pw-123" not in message


def test_a_wrong_password_fails_without_showing_it(key: str, tmp_path: Path) -> None:
    logs = Logs()
    task = task_of(
        {
            "id": "get",
            "type": "io.kestra.plugin.redis.string.Get",
            "url": f"redis://:wrong-pw-9@{REDIS[0]}:{REDIS[1]}/0",
            "key": key,
        }
    )
    with pytest.raises(TaskFailedError) as failure:
        task.run(context_of(task, tmp_path, logs))
    message = str(failure.value)
    assert "task 'get'" in message and "Redis at 127.0.0.1:6379/0" in message
    assert "wrong-pw-9" not in message + logs.text()
