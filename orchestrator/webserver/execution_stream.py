"""``/executions/follow``: every execution of a namespace or flow, live (Server-Sent Events).

The executions list follows this one stream rather than one per row: new executions appear
and states change without a reload, over one connection (browsers allow six per host).
It reads every partition of ``executions`` from a little before the request (the list was
read from the index, which lags the topic by about a second), keeps the newest snapshot of
each execution read in one poll, and sends those. The client filters further (states,
labels, text, time range) with the same rules as the search.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiohttp import web
from pydantic import Field

from orchestrator.kafka import TOPICS, DeserializationError
from orchestrator.models.execution import Execution
from orchestrator.models.state import utcnow
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.context import context_of
from orchestrator.webserver.models import ExecutionView, QueryModel
from orchestrator.webserver.routes import Registry, parse_query
from orchestrator.webserver.scoped_tail import ScopedTail
from orchestrator.webserver.sse import EventStream
from orchestrator.webserver.views import execution_json

log = logging.getLogger("kestrel.webserver")
api = Registry("Executions")

CATCH_UP = timedelta(seconds=15)
"""How far back the reader starts: snapshots the index had not shown the list yet."""


class ExecutionFollowQuery(QueryModel):
    """``GET /executions/follow``: which executions (all when neither is given)."""

    namespace: str | None = Field(default=None, description="This namespace and those under it")
    flow_id: str | None = None


class ExecutionsWatch(ScopedTail):
    """New snapshots of a namespace's or flow's executions (blocking: the stream threads)."""

    def __init__(
        self,
        settings: KestrelSettings,
        namespace: str | None,
        flow_id: str | None,
        since: datetime,
    ) -> None:
        """Read every partition of ``executions`` from ``since`` on."""
        super().__init__(settings, TOPICS.executions, namespace, flow_id, since)

    def wanted(self, execution: Execution) -> bool:
        """Whether ``execution`` is in the followed namespace and flow."""
        return self.in_scope(execution.namespace, execution.flow_id)

    def poll(self, timeout: float = 0.5) -> list[Execution]:
        """The newest snapshot of each wanted execution read now, in the order read."""
        newest: dict[str, Execution] = {}
        for record in self.records(timeout):
            try:
                value = record.decoded(TOPICS.executions)
            except DeserializationError as exc:
                log.warning("unreadable execution snapshot skipped: %s", exc)
                continue
            if not isinstance(value, Execution) or not self.wanted(value):
                continue  # a tombstone (a deleted execution) is not shown in a list
            held = newest.get(value.id)
            if held is None or value.seq >= held.seq:
                newest.pop(value.id, None)  # keep the order of the latest change
                newest[value.id] = value
        return list(newest.values())


@api.route(
    "GET",
    "/executions/follow",
    summary="Follow the executions of a namespace or flow: new ones and each change "
    "(Server-Sent Events)",
    query=ExecutionFollowQuery,
    response=ExecutionView,
    content_type="text/event-stream",
)
async def follow_executions(request: web.Request) -> web.StreamResponse:
    """Each new snapshot as ``id: progress`` (at most one per execution and half second)."""
    context = context_of(request)
    query = parse_query(request, ExecutionFollowQuery)
    since = utcnow() - CATCH_UP
    watch = await context.poll(
        ExecutionsWatch, context.settings, query.namespace, query.flow_id, since
    )
    stream = EventStream(request, context.settings.webserver.keepalive_interval)
    try:
        await stream.open()
        while not stream.client_gone:
            for execution in await context.poll(watch.poll, 0.5):
                await stream.send(execution_json(execution))
            await stream.keep_alive()
        return stream.response
    except ConnectionResetError:
        return stream.response  # the client left
    finally:
        await context.poll(watch.close)
