"""The S3 polling trigger through the real broker and scheduler, on moto's S3 server."""

from __future__ import annotations

import socket
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from runtime_helpers import Cluster
from scheduler_helpers import FiredWatcher, write_flow

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import ensure_topics
from orchestrator.settings import KestrelSettings
from orchestrator.storage import LocalStorage

pytestmark = pytest.mark.integration

WATCHED = """id: watched
namespace: tests.s3
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.objects | length }}}} new object(s)"
triggers:
  - id: incoming
    type: io.kestra.plugin.aws.s3.Trigger
    endpointOverride: {endpoint}
    region: us-east-1
    accessKeyId: moto
    secretKeyId: moto-secret
    bucket: inbox
    prefix: in/
    action: MOVE
    moveTo:
      key: done/
    interval: PT0.2S
"""


def test_new_objects_start_an_execution_and_are_moved(
    settings: KestrelSettings, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="moto",
        aws_secret_access_key="moto-secret",
    )
    s3.create_bucket(Bucket="inbox")
    ensure_topics(settings)
    cluster = Cluster(settings, tmp_path)
    fired = FiredWatcher(settings)
    try:
        write_flow(tmp_path / "flows", "watched", WATCHED.format(endpoint=endpoint))
        deploy_files(settings, [tmp_path / "flows"])
        cluster.start("executor", "executor-0")
        cluster.start("worker", "worker-0")
        cluster.start("scheduler", "scheduler-0")
        s3.put_object(Bucket="inbox", Key="in/orders.csv", Body=b"id\n1\n")
        fired.wait(lambda: len(fired.fired("watched")) >= 1, 90, "an execution of new objects")
        trigger = fired.fired("watched")[0].trigger
        assert trigger is not None
        (found,) = trigger.variables["objects"]
        assert found["key"] == "in/orders.csv"
        assert LocalStorage(settings.storage.base_dir).get(found["uri"]) == b"id\n1\n"
        listed = s3.list_objects_v2(Bucket="inbox")["Contents"]
        assert [item["Key"] for item in listed] == ["done/orders.csv"]
    finally:
        fired.close()
        cluster.stop()
        server.stop()
