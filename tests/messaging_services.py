"""The local messaging servers the plugin tests talk to (skipped locally, failed in CI)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from conftest import unavailable

from orchestrator.models.flow import Flow
from orchestrator.scheduler.decision import FlowRef
from orchestrator.scheduler.polling import PollContext
from orchestrator.templating import TemplateRenderer

RABBITMQ = ("127.0.0.1", 5672)
REDIS = ("127.0.0.1", 6379)
MOSQUITTO = ("127.0.0.1", 1883)
NATS = ("127.0.0.1", 4222)


def require_server(address: tuple[str, int], name: str) -> None:
    """Skip (fail under CI=true) unless ``address`` accepts a TCP connection."""
    try:
        with socket.create_connection(address, timeout=2):
            return
    except OSError as exc:
        unavailable(f"{name} at {address[0]}:{address[1]}: {exc}")


def free_port() -> int:
    """A local port nothing listens on (for connection-refused tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll_context(namespace: str = "tests.messaging") -> PollContext:
    """The context a polling trigger of a small flow is evaluated in."""
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": namespace,
            "tasks": [{"id": "l", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
        }
    )
    return PollContext(TemplateRenderer(), FlowRef(flow, 1), datetime.now(UTC))


def trigger_of(definition: dict[str, Any]) -> Any:
    """Validate a trigger definition by its ``type``."""
    from orchestrator.models.triggers import TRIGGER_TYPES

    body = {"id": "trig", **definition}
    return TRIGGER_TYPES.resolve(str(body["type"])).model_validate(body)
