"""The MQTT connection every MQTT task and trigger shares, on paho-mqtt (``[mqtt]``).

paho's network loop runs in its own thread (``loop_start``); the tasks wait on events it
sets (connected, published, received) with timeouts, so a silent broker fails the task.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from plugins.extras import require
from plugins.messaging import SerdeType, failure

Render = Callable[[Any, str], Any]
SESSION_EXPIRY = 24 * 3600
"""Seconds the broker keeps a realtime trigger's session (and its messages) while away."""


@dataclass(frozen=True)
class Session:
    """A persistent session: its client id and the callback of the messages it receives."""

    client_id: str
    on_message: Callable[[Any, Any, Any], None]


class MqttConnection(KestrelModel):
    """Connection properties of every MQTT task and trigger."""

    server: str
    """The broker: ``tcp://host:1883`` (``ssl://host:8883`` for TLS)."""
    client_id: str | None = None
    """The client id (unique on the broker); a random one when not set."""
    username: str | None = None
    """The user name."""
    password: str | None = None
    """The password (masked in logs and outputs)."""
    mqtt_version: Literal["V3", "V5"] = "V5"
    """The protocol version."""
    connection_timeout: Duration = Field(default=timedelta(seconds=10))
    """Time allowed to connect and for each acknowledgement."""
    crt: str | None = None
    """A CA certificate file for ``ssl://`` servers."""
    serde_type: SerdeType = "JSON"
    """How payloads are encoded: JSON or text."""
    qos: Literal[0, 1, 2] = 1
    """The quality of service."""


def server_name(server: str) -> str:
    """How messages name the broker: ``MQTT at host:port``."""
    parts = urlsplit(server if "://" in server else f"tcp://{server}")
    return f"MQTT at {parts.hostname or 'localhost'}:{parts.port or 1883}"


@contextmanager
def connected(
    task_id: str,
    task_type: str,
    spec: MqttConnection,
    render: Render,
    session: Session | None = None,
) -> Iterator[tuple[Any, str]]:
    """A connected client, its loop running; disconnected after.

    ``session`` asks for a persistent session with manual acknowledgements (a realtime
    trigger's): the broker keeps what was not acknowledged and sends it again when the
    same client id reconnects.

    Yields:
        The client and how messages name the broker.

    Raises:
        MessagingError: refused, unreachable, bad credentials, or no answer in time.
    """
    mqtt = require("paho.mqtt.client", extra="mqtt", task_type=task_type)
    server = str(render(spec.server, "server"))
    name = server_name(server)
    parts = urlsplit(server if "://" in server else f"tcp://{server}")
    client_id = str(render(spec.client_id, "clientId")) if spec.client_id else ""
    if not client_id:
        client_id = session.client_id if session else f"kestrel-{uuid.uuid4().hex[:12]}"
    v5 = spec.mqtt_version == "V5"
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else session is None,
    )
    connect_options: dict[str, Any] = {}
    if session is not None:
        client.manual_ack_set(True)
        client.on_message = session.on_message  # before connecting: redeliveries come first
        if v5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY
            connect_options = {"clean_start": False, "properties": properties}
    if spec.username:
        password = str(render(spec.password, "password")) if spec.password else None
        client.username_pw_set(str(render(spec.username, "username")), password)
    if parts.scheme in ("ssl", "tls", "mqtts"):
        client.tls_set(ca_certs=str(render(spec.crt, "crt")) if spec.crt else None)
    answered = threading.Event()
    outcome: dict[str, Any] = {}

    def on_connect(_client: Any, _data: Any, _flags: Any, reason: Any, _props: Any) -> None:
        outcome["reason"] = reason
        answered.set()

    client.on_connect = on_connect
    timeout = spec.connection_timeout.total_seconds()
    try:
        client.connect(
            parts.hostname or "localhost", parts.port or 1883, keepalive=30, **connect_options
        )
    except OSError as exc:
        raise failure(task_id, name, "connecting", exc.strerror or exc) from None
    client.loop_start()
    try:
        if not answered.wait(timeout):
            raise failure(task_id, name, "connecting", f"no answer within {timeout:g} s")
        reason = outcome["reason"]
        if reason.is_failure:
            raise failure(task_id, name, "connecting", f"refused by the broker: {reason}")
        yield client, name
    finally:
        # Wait for the disconnection: the packets queued before it (acknowledgements) are
        # then written; stopping the loop at once could drop them.
        gone = threading.Event()
        client.on_disconnect = lambda *_: gone.set()
        client.disconnect()
        gone.wait(timeout)
        client.loop_stop()


__all__ = ["MqttConnection", "Render", "Session", "connected", "server_name"]
