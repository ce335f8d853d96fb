"""``io.kestra.plugin.redis.string``: ``Get``, ``Set`` and ``Delete`` keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.tasks.base import RunnableTask
from plugins.messaging import MessagingError, deserialize, serialize
from plugins.redis.connection import RedisConnection, connected, secrets_of, server_name

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Get(RunnableTask, RedisConnection):
    """Read a key; outputs ``data`` (the value, parsed when ``serdeType`` is JSON).

    Example:
        ```yaml
        - id: get
          type: io.kestra.plugin.redis.string.Get
          url: redis://localhost:6379/0
          key: mykey
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.string.Get"

    key: str
    """The key."""
    failed_on_missing: bool = False
    """Fail when the key does not exist (else ``data`` is null)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Read the key.

        Raises:
            MessagingError: the server fails, or the key is missing and must not be.
        """
        url = ctx.render_text(self.url, "url")
        ctx.add_secrets(secrets_of(url))
        key = ctx.render_text(self.key, "key")
        with connected(self.id, self.type, url, f"reading key {key!r}") as client:
            raw = client.get(key)
        if raw is None and self.failed_on_missing:
            raise MessagingError(
                f"task {self.id!r}: key {key!r} does not exist on {server_name(url)}",
                retryable=False,
            )
        return {"data": deserialize(raw, self.serde_type)}


class SetOptions(KestrelModel):
    """Kestra's ``options`` of ``Set``: expiration and existence guards."""

    expiration_duration: Duration | None = None
    """Expire the key after this long."""
    expiration_date: datetime | None = None
    """Expire the key at this date."""
    must_not_exist: bool = False
    """Only set a key that does not exist (NX)."""
    must_exist: bool = False
    """Only set a key that exists (XX)."""
    keep_ttl: bool = False
    """Keep the key's time to live."""


class Set(RunnableTask, RedisConnection):
    """Set a key; with ``get``, outputs the previous value as ``oldValue``.

    Example:
        ```yaml
        - id: set
          type: io.kestra.plugin.redis.string.Set
          url: redis://localhost:6379/0
          key: mykey
          value: myvalue
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.string.Set"

    key: str
    """The key."""
    value: Any
    """The value: text for STRING, any value (or JSON text) for JSON."""
    get: bool = False
    """Return the previous value as ``oldValue``."""
    options: SetOptions = Field(default_factory=SetOptions)
    """Expiration and existence guards."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Set the key.

        Raises:
            MessagingError: the server fails the command.
        """
        url = ctx.render_text(self.url, "url")
        ctx.add_secrets(secrets_of(url))
        key = ctx.render_text(self.key, "key")
        value = ctx.render(self.value, "value")
        options = self.options
        arguments: dict[str, Any] = {
            "nx": options.must_not_exist,
            "xx": options.must_exist,
            "keepttl": options.keep_ttl,
            "get": self.get,
        }
        if options.expiration_duration is not None:
            arguments["px"] = int(options.expiration_duration.total_seconds() * 1000)
        if options.expiration_date is not None:
            moment = options.expiration_date
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            arguments["pxat"] = int(moment.timestamp() * 1000)
        with connected(self.id, self.type, url, f"setting key {key!r}") as client:
            answer = client.set(key, serialize(value, self.serde_type), **arguments)
        outputs: dict[str, Any] = {}
        if self.get:
            outputs["oldValue"] = deserialize(answer, self.serde_type)
        return outputs


class Delete(RunnableTask, RedisConnection):
    """Delete keys; outputs ``count``, how many existed.

    Example:
        ```yaml
        - id: delete
          type: io.kestra.plugin.redis.string.Delete
          url: redis://localhost:6379/0
          keys: [mykey, other]
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.string.Delete"

    keys: list[str]
    """The keys."""
    failed_on_missing_key: bool = False
    """Fail when some key did not exist."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Delete the keys.

        Raises:
            MessagingError: the server fails, or a key is missing and must not be.
        """
        url = ctx.render_text(self.url, "url")
        ctx.add_secrets(secrets_of(url))
        keys = [str(each) for each in ctx.render(self.keys, "keys")]
        with connected(self.id, self.type, url, "deleting keys") as client:
            count = int(client.delete(*keys)) if keys else 0
        if self.failed_on_missing_key and count < len(keys):
            raise MessagingError(
                f"task {self.id!r}: {len(keys) - count} of the keys did not exist on "
                f"{server_name(url)}",
                retryable=False,
            )
        return {"count": count}


__all__ = ["Delete", "Get", "Set", "SetOptions"]
