"""The AMQP 0-9-1 connection the tasks and triggers share (RabbitMQ), on pika.

Kestra names the server either by ``url`` (``amqp://user:pass@host:port/vhost``, kept for
old flows) or by ``host``, ``port``, ``username``, ``password`` and ``virtualHost``.
Failures name the task and the server (``AMQP at host:port/vhost``), never the password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from orchestrator.models.base import KestrelModel
from plugins.extras import require
from plugins.messaging import MessagingError, SerdeType, failure

Render = Callable[[Any, str], Any]
CONNECT_TIMEOUT = 5.0
"""Seconds allowed to open a connection (socket and handshake)."""


@dataclass(frozen=True)
class Server:
    """Where to connect, rendered."""

    host: str
    port: int
    username: str
    password: str
    virtual_host: str

    @property
    def name(self) -> str:
        """How messages name the server (no credentials)."""
        return f"AMQP at {self.host}:{self.port}{self.virtual_host}"


class AmqpConnection(KestrelModel):
    """Connection properties of every AMQP task and trigger."""

    url: str | None = None
    """Deprecated by Kestra, still accepted: ``amqp://user:password@host:port/vhost``."""
    host: str | None = None
    """The broker's host."""
    port: int | str = 5672
    """The broker's port."""
    username: str = "guest"
    """The user name."""
    password: str = "guest"
    """The password (masked in logs and outputs)."""
    virtual_host: str = "/"
    """The virtual host."""
    serde_type: SerdeType = "STRING"
    """How message bodies are encoded: text or JSON."""

    def server(self, render: Render) -> Server:
        """The server, its properties rendered.

        Raises:
            MessagingError: neither ``url`` nor ``host`` is set.
        """
        if self.url:
            parts = urlsplit(str(render(self.url, "url")))
            vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
            return Server(
                host=parts.hostname or "localhost",
                port=parts.port or 5672,
                username=unquote(parts.username or "guest"),
                password=unquote(parts.password or "guest"),
                virtual_host=vhost if vhost.startswith("/") else f"/{vhost}",
            )
        if not self.host:
            raise MessagingError(f"task {self._id()!r}: set host (or url)", retryable=False)
        return Server(
            host=str(render(self.host, "host")),
            port=int(render(self.port, "port")),
            username=str(render(self.username, "username")),
            password=str(render(self.password, "password")),
            virtual_host=str(render(self.virtual_host, "virtualHost")),
        )

    def _id(self) -> str:
        return str(getattr(self, "id", "?"))


def connect(task_id: str, task_type: str, server: Server) -> Any:
    """Open a blocking connection to ``server``.

    Raises:
        MessagingError: refused, unreachable, or the credentials are wrong.
    """
    pika = require("pika", extra="amqp", task_type=task_type)
    parameters = pika.ConnectionParameters(
        host=server.host,
        port=server.port,
        virtual_host=server.virtual_host,
        credentials=pika.PlainCredentials(server.username, server.password),
        socket_timeout=CONNECT_TIMEOUT,
        blocked_connection_timeout=CONNECT_TIMEOUT * 6,
        connection_attempts=1,
    )
    try:
        return pika.BlockingConnection(parameters)
    except pika.exceptions.ProbableAuthenticationError:
        raise failure(
            task_id, server.name, "logging in", "access refused (bad credentials)"
        ) from None
    except pika.exceptions.ProbableAccessDeniedError:
        raise failure(task_id, server.name, "opening the virtual host", "access denied") from None
    except pika.exceptions.AMQPError as exc:
        raise failure(task_id, server.name, "connecting", describe(exc)) from None


def describe(exc: BaseException) -> str:
    """A pika error as one line (pika nests the socket error in its arguments)."""
    detail = exc
    while detail.args and isinstance(detail.args[0], BaseException):
        detail = detail.args[0]
    text = str(detail) or repr(detail)
    if isinstance(detail, ConnectionRefusedError) or "refused" in text.lower():
        return "connection refused"
    return text


def channel_failure(task_id: str, server: Server, what: str, exc: BaseException) -> MessagingError:
    """A broker's channel error (``NOT_FOUND - no queue 'x'``...) as the task's failure."""
    reply = getattr(exc, "reply_text", None)
    return failure(task_id, server.name, what, reply or describe(exc))


__all__ = ["AmqpConnection", "Render", "Server", "channel_failure", "connect", "describe"]
