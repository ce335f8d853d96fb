"""What every Elasticsearch task shares: the connection and the rendering of requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from orchestrator.tasks.base import RunnableTask
from plugins.elasticsearch.connection import Connection, Session
from plugins.elasticsearch.errors import ElasticsearchTaskError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class ElasticsearchTask(RunnableTask):
    """A task talking to Elasticsearch through ``connection``."""

    type_name: ClassVar[str]

    connection: Connection
    """The servers and credentials."""
    routing: str | None = None
    """Routes the request to the shard of this value instead of the document id's."""

    def where(self, ctx: RunContext) -> str:
        """The task's id and type, for error messages."""
        return f"task '{ctx.task_run.task_id}' ({self.type_name})"

    @contextmanager
    def session(self, ctx: RunContext) -> Iterator[Session]:
        """A client on the connection, closed after the block."""
        session = Session(ctx, self.connection, self.where(ctx))
        try:
            yield session
        finally:
            session.close()

    def rendered_routing(self, ctx: RunContext) -> str | None:
        """The rendered ``routing``, if any."""
        return None if self.routing is None else ctx.render_text(self.routing, "routing")

    def json_property(self, ctx: RunContext, value: Any, name: str) -> Any:
        """A property given as a map or as JSON text, rendered and parsed.

        Raises:
            ElasticsearchTaskError: the text is not JSON.
        """
        rendered = ctx.render(value, name)
        if not isinstance(rendered, str):
            return rendered
        try:
            return json.loads(rendered)
        except json.JSONDecodeError as exc:
            raise ElasticsearchTaskError(f"{self.where(ctx)}: {name} is not JSON: {exc}") from exc


__all__ = ["ElasticsearchTask"]
