"""The S3 tasks and trigger against moto's S3 server on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.models.flow import Flow
from orchestrator.scheduler.decision import FlowRef
from orchestrator.scheduler.polling import PollContext
from orchestrator.storage import LocalStorage
from orchestrator.templating import TemplateRenderer
from plugins.aws import AwsTaskError, Trigger

A = "io.kestra.plugin.aws.s3."
SECRET = "moto-secret-key-1234"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def connection(endpoint: str) -> dict[str, Any]:
    return {
        "endpointOverride": endpoint,
        "region": "us-east-1",
        "accessKeyId": "moto",
        "secretKeyId": SECRET,
    }


@pytest.fixture
def bucket(endpoint: str, request: pytest.FixtureRequest) -> str:
    name = request.node.name.lower().replace("_", "-")[:50]
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="moto",
        aws_secret_access_key=SECRET,
    ).create_bucket(Bucket=name)
    return name


def stored(tmp_path: Path, name: str, data: bytes) -> str:
    return LocalStorage(tmp_path / "storage").put(f"company/{name}", data)


def test_upload_list_download_delete(
    tmp_path: Path, connection: dict[str, Any], bucket: str
) -> None:
    source = stored(tmp_path, "orders.csv", b"id\n1\n")
    uploaded = run_task(
        {
            "type": A + "Upload",
            **connection,
            "bucket": bucket,
            "key": "in/orders.csv",
            "from": source,
            "contentType": "text/csv",
            "metadata": {"origin": "kestrel"},
        },
        tmp_path,
    )
    assert uploaded["key"] == "in/orders.csv" and uploaded["eTag"]
    many = [stored(tmp_path, "a.txt", b"a"), stored(tmp_path, "b.txt", b"bb")]
    run_task(
        {"type": A + "Upload", **connection, "bucket": bucket, "key": "many/", "from": many},
        tmp_path,
    )
    listed = run_task(
        {"type": A + "List", **connection, "bucket": bucket, "prefix": "many/"}, tmp_path
    )["objects"]
    assert [(o["key"], o["size"]) for o in listed] == [("many/a.txt", 1), ("many/b.txt", 2)]
    assert listed[0]["uri"] == f"s3://{bucket}/many/a.txt"
    only_b = run_task(
        {"type": A + "List", **connection, "bucket": bucket, "regexp": r".*b\.txt"}, tmp_path
    )["objects"]
    assert [o["key"] for o in only_b] == ["many/b.txt"]
    got = run_task(
        {"type": A + "Download", **connection, "bucket": bucket, "key": "in/orders.csv"}, tmp_path
    )
    assert LocalStorage(tmp_path / "storage").get(got["uri"]) == b"id\n1\n"
    assert got["contentType"] == "text/csv" and got["metadata"] == {"origin": "kestrel"}
    run_task(
        {"type": A + "Delete", **connection, "bucket": bucket, "key": "in/orders.csv"}, tmp_path
    )
    left = run_task({"type": A + "List", **connection, "bucket": bucket}, tmp_path)["objects"]
    assert [o["key"] for o in left] == ["many/a.txt", "many/b.txt"]


def test_downloads_then_moves_objects(
    tmp_path: Path, connection: dict[str, Any], bucket: str
) -> None:
    for name in ("x.csv", "y.csv"):
        run_task(
            {
                "type": A + "Upload",
                **connection,
                "bucket": bucket,
                "key": f"new/{name}",
                "from": stored(tmp_path, name, name.encode()),
            },
            tmp_path,
        )
    got = run_task(
        {
            "type": A + "Downloads",
            **connection,
            "bucket": bucket,
            "prefix": "new/",
            "action": "MOVE",
            "moveTo": {"key": "done/"},
        },
        tmp_path,
    )
    assert sorted(got["outputFiles"]) == ["new/x.csv", "new/y.csv"]
    assert LocalStorage(tmp_path / "storage").get(got["outputFiles"]["new/y.csv"]) == b"y.csv"
    keys = [
        o["key"]
        for o in run_task({"type": A + "List", **connection, "bucket": bucket}, tmp_path)["objects"]
    ]
    assert keys == ["done/x.csv", "done/y.csv"]


def test_failures_name_the_task_bucket_and_server_never_the_secret(
    tmp_path: Path, connection: dict[str, Any], endpoint: str
) -> None:
    logs = Logs()
    task = task_of({"type": A + "List", **connection, "bucket": "no-such-bucket"})
    with pytest.raises(AwsTaskError) as caught:
        task.run(context_of(task, tmp_path, logs))
    message = str(caught.value)
    assert message.startswith("task 't' (io.kestra.plugin.aws.s3.List): S3 at " + endpoint)
    assert "s3://no-such-bucket" in message and "NoSuchBucket" in message
    assert SECRET not in message and SECRET not in logs.text()
    down = {**connection, "endpointOverride": f"http://127.0.0.1:{free_port()}"}
    with pytest.raises(AwsTaskError, match=r"cannot reach S3 at http://127.0.0.1:\d+") as caught:
        run_task({"type": A + "Download", **down, "bucket": "b", "key": "k"}, tmp_path)
    assert caught.value.retryable is True


def test_trigger_downloads_new_objects_and_deletes_them(
    tmp_path: Path, connection: dict[str, Any], bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    flow = Flow.model_validate(
        {
            "id": "flow",
            "namespace": "company.team",
            "tasks": [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
            "triggers": [
                {
                    "id": "watch",
                    "type": A + "Trigger",
                    **connection,
                    "bucket": bucket,
                    "prefix": "in/",
                    "action": "DELETE",
                    "interval": "PT1M",
                }
            ],
        }
    )
    trigger = flow.triggers[0]
    assert isinstance(trigger, Trigger)
    context = PollContext(
        renderer=TemplateRenderer(), ref=FlowRef(flow=flow, revision=1), now=datetime.now(UTC)
    )
    assert trigger.evaluate(context) == []
    run_task(
        {
            "type": A + "Upload",
            **connection,
            "bucket": bucket,
            "key": "in/a.json",
            "from": stored(tmp_path, "a.json", b"{}"),
        },
        tmp_path,
    )
    polls = trigger.evaluate(context)
    assert len(polls) == 1
    (found,) = polls[0].variables["objects"]
    assert found["key"] == "in/a.json"
    assert found["uri"].startswith("kestrel://company.team/flow/triggers/watch/")
    assert LocalStorage(tmp_path / "storage").get(found["uri"]) == b"{}"
    assert trigger.evaluate(context) == []  # deleted: not found again
