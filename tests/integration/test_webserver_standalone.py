"""End to end through ``kestrel server standalone``: the API in the same process as the runtime."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from runtime_helpers import KESTREL, KestrelProcess, service_env
from webserver_helpers import APPROVAL, AUTH, GREET, HOOK, PASSWORD, USER

from orchestrator.kafka import ensure_topics
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.auth import hash_secret

pytestmark = pytest.mark.integration


def state(base: str, execution_id: str) -> str:
    response = requests.get(
        f"{base}/api/v1/main/executions/{execution_id}", headers=AUTH, timeout=30
    )
    return str(response.json()["state"]["current"]) if response.ok else ""


def wait_until(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)  # polling a condition, bounded by the deadline


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_deploy_run_follow_and_webhook_through_standalone(
    settings: KestrelSettings, tmp_path: Path
) -> None:
    assert KESTREL.exists()
    ensure_topics(settings)
    port = free_port()
    env = service_env(settings)
    env["KESTREL_KAFKA__INSTANCE_ID"] = f"api-{port}"
    env["KESTREL_WEBSERVER__PORT"] = str(port)
    env["KESTREL_WEBSERVER__AUTH__USERS"] = json.dumps(
        [{"username": USER, "password_hash": hash_secret(PASSWORD)}]
    )
    server = KestrelProcess(["server", "standalone"], env, tmp_path / "server.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while f"The API listens on {base}" not in server.output():
            assert time.monotonic() < deadline, server.output()[-3000:]
            time.sleep(0.2)  # polling the log for the URL, bounded by the deadline
        assert requests.get(f"{base}/api/v1/main/flows/search", timeout=10).status_code == 401
        yaml = {**AUTH, "Content-Type": "application/x-yaml"}
        for source in (GREET, HOOK):
            deployed = requests.post(
                f"{base}/api/v1/main/flows", data=source, headers=yaml, timeout=30
            )
            assert deployed.status_code == 200, deployed.text
        run = requests.post(
            f"{base}/api/v1/main/executions/api.test/greet?wait=true",
            json={"user": "Ada"},
            headers=AUTH,
            timeout=90,
        ).json()
        assert run["state"]["current"] == "SUCCESS", run
        follow = requests.get(
            f"{base}/api/v1/main/logs/{run['id']}/follow", headers=AUTH, stream=True, timeout=60
        )
        text = follow.raw.read().decode()
        assert "Hello Ada" in text
        snapshots = requests.get(
            f"{base}/api/v1/main/executions/{run['id']}/follow",
            headers=AUTH,
            stream=True,
            timeout=60,
        )
        assert "id: end" in snapshots.raw.read().decode()

        # kill a paused execution, then restart it
        assert requests.post(
            f"{base}/api/v1/main/flows", data=APPROVAL, headers=yaml, timeout=30
        ).ok
        paused = requests.post(
            f"{base}/api/v1/main/executions/api.test/approval?wait=true", headers=AUTH, timeout=90
        ).json()
        assert paused["state"]["current"] == "PAUSED"
        kill = requests.delete(
            f"{base}/api/v1/main/executions/{paused['id']}/kill", headers=AUTH, timeout=30
        )
        assert kill.status_code == 202, kill.text
        wait_until(lambda: state(base, paused["id"]) == "KILLED")
        restart = requests.post(
            f"{base}/api/v1/main/executions/{paused['id']}/restart", headers=AUTH, timeout=30
        )
        assert restart.status_code == 200, restart.text
        wait_until(lambda: state(base, paused["id"]) not in ("KILLED", ""))
        restarted = requests.get(
            f"{base}/api/v1/main/executions/{paused['id']}", headers=AUTH, timeout=30
        ).json()
        assert {"key": "system.restarted", "value": "true"} in restarted["labels"]

        hook = f"{base}/api/v1/main/executions/webhook/api.test/hook/k3y-abc"
        ids = {
            requests.post(
                hook, json={"name": "Bo"}, headers={"Idempotency-Key": "k1"}, timeout=30
            ).json()["id"]
            for _ in range(2)
        }
        assert len(ids) == 1
        assert re.fullmatch(r"[0-9A-Za-z]{22}", ids.pop())
    finally:
        assert server.terminate() == 0, server.output()[-3000:]
