"""The ``connection`` of Kestra's Elasticsearch tasks, and the client made from it.

Failures of the client become `ElasticsearchTaskError` naming the task and the servers
(credentials in a host URL masked); the password is a secret of the run, masked in logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field

from orchestrator.masking import masked_url
from orchestrator.models.base import KestrelModel
from plugins.elasticsearch.errors import ElasticsearchTaskError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from orchestrator.plugin import RunContext


class BasicAuth(KestrelModel):
    """HTTP basic authentication."""

    username: str | None = None
    """The user name."""
    password: str | None = None
    """The password (a secret: masked in logs and outputs)."""


class Connection(KestrelModel):
    """Where the Elasticsearch servers are and how to authenticate."""

    hosts: list[str] = Field(min_length=1)
    """The servers' URLs, with scheme and port (``http://localhost:9200``)."""
    basic_auth: BasicAuth | None = None
    """Basic authentication."""
    headers: list[str] = []
    """Headers sent on every request, each ``Name: value``."""
    path_prefix: str | None = None
    """A path put before every request's path (a proxy's base path)."""
    strict_deprecation_mode: bool = False
    """Accepted for Kestra's flows."""
    trust_all_ssl: bool = False
    """Do not verify the servers' TLS certificates."""


class Session:
    """A client on the rendered connection, and how its failures are told."""

    def __init__(self, ctx: RunContext, connection: Connection, where: str) -> None:
        """Render the connection and make the client (no request is sent yet)."""
        from elasticsearch import Elasticsearch

        rendered = Connection.model_validate(
            ctx.render(connection.model_dump(by_alias=True, exclude_none=True), "connection")
        )
        self.hosts = [self._with_prefix(host, rendered.path_prefix) for host in rendered.hosts]
        self.where = where
        self.servers = ", ".join(masked_url(host) for host in rendered.hosts)
        for host in rendered.hosts:
            password = urlsplit(host).password
            if password:
                ctx.add_secrets({password})
        options: dict[str, Any] = {"request_timeout": 60}
        auth = rendered.basic_auth
        if auth is not None and auth.username is not None:
            ctx.add_secrets({auth.password or ""})
            options["basic_auth"] = (auth.username, auth.password or "")
        headers = dict(self._header(line) for line in rendered.headers)
        if headers:
            options["headers"] = headers
        if rendered.trust_all_ssl:
            options["verify_certs"] = False
            options["ssl_show_warn"] = False
        self.client: Elasticsearch = Elasticsearch(self.hosts, **options)

    def _with_prefix(self, host: str, prefix: str | None) -> str:
        if not prefix:
            return host
        return host.rstrip("/") + "/" + prefix.strip("/")

    def _header(self, line: str) -> tuple[str, str]:
        name, separator, value = line.partition(":")
        if not separator:
            raise ElasticsearchTaskError(
                f"{self.where}: connection header {name!r} is not 'Name: value'"
            )
        return name.strip(), value.strip()

    @contextmanager
    def calls(self, what: str) -> Iterator[None]:
        """Turn the client's failures inside the block into task failures naming ``what``."""
        from elasticsearch import ApiError, TransportError

        try:
            yield
        except ApiError as exc:
            reason = _reason(exc.body) or exc.message
            raise ElasticsearchTaskError(
                f"{self.where}: {what} failed on Elasticsearch at {self.servers}: "
                f"HTTP {exc.meta.status} {reason}"
            ) from None
        except TransportError as exc:
            raise ElasticsearchTaskError(
                f"{self.where}: cannot reach Elasticsearch at {self.servers}: {exc.message}",
                retryable=True,
            ) from None

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


def _reason(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            kind = error.get("type")
            reason = error.get("reason")
            return f"{kind}: {reason}" if kind else str(reason)
        if error is not None:
            return str(error)
    return None


__all__ = ["BasicAuth", "Connection", "Session"]
