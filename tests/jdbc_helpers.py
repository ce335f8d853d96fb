"""The local PostgreSQL and MariaDB the JDBC tests use (missing: skip, or fail under CI)."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from conftest import unavailable

from orchestrator.models.flow import Flow
from orchestrator.scheduler.decision import FlowRef
from orchestrator.scheduler.polling import PollContext
from orchestrator.templating import TemplateRenderer

POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test"
MYSQL_URL = "jdbc:mysql://127.0.0.1:3306/test"
LOG = "io.kestra.plugin.core.log.Log"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_server(port: int, name: str) -> None:
    """Skip (fail under CI=true) when nothing listens on ``127.0.0.1:port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        unavailable(f"{name} on 127.0.0.1:{port}: {exc}")


def unique_table() -> str:
    """A table name of its own for each test."""
    return f"kestrel_{uuid.uuid4().hex[:12]}"


def postgres_properties() -> dict[str, Any]:
    """Connection properties of the local PostgreSQL (skip, or fail under CI, without it)."""
    require_server(5432, "PostgreSQL")
    return {"url": POSTGRES_URL, "username": "postgres"}


def mysql_properties() -> dict[str, Any]:
    """Connection properties of the local MariaDB (skip, or fail under CI, without it)."""
    require_server(3306, "MariaDB")
    return {"url": MYSQL_URL, "username": "root"}


def poll_context() -> PollContext:
    """What a scheduler gives a polling trigger's evaluation."""
    flow = Flow.model_validate(
        {
            "id": "flow",
            "namespace": "company.team",
            "tasks": [{"id": "t", "type": LOG, "message": "x"}],
        }
    )
    return PollContext(TemplateRenderer(), FlowRef(flow, 1), datetime.now(UTC))
