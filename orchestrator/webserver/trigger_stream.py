"""``/triggers/follow``: the trigger states of a namespace or flow, live (Server-Sent Events).

The indexed states first, then each state the scheduler writes to ``triggers`` (its next
date, enabled or disabled, a backfill's progress), until the client goes away. The Kafka
reader starts a little before the index was read, so a state written while the index lags
is not missed; a record older than the indexed state of its trigger is not sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiohttp import web
from pydantic import Field

from orchestrator.kafka import TOPICS, DeserializationError
from orchestrator.models.messages import TriggerState
from orchestrator.models.state import utcnow
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.context import context_of
from orchestrator.webserver.models import QueryModel
from orchestrator.webserver.routes import Registry, parse_query
from orchestrator.webserver.scoped_tail import ScopedTail
from orchestrator.webserver.sse import EventStream
from orchestrator.webserver.triggers import TriggerView, trigger_json

log = logging.getLogger("kestrel.webserver")
api = Registry("Triggers")

CATCH_UP = timedelta(seconds=30)
"""How far back the Kafka reader starts before the index is read (the indexer's lag)."""

TriggerKey = tuple[str, str, str]


class TriggerFollowQuery(QueryModel):
    """``GET /triggers/follow``: which triggers (all when neither is given)."""

    namespace: str | None = Field(default=None, description="This namespace and those under it")
    flow_id: str | None = None


class TriggerWatch(ScopedTail):
    """New trigger states on Kafka (blocking: run it on the API's stream threads)."""

    def __init__(
        self,
        settings: KestrelSettings,
        namespace: str | None,
        flow_id: str | None,
        since: datetime,
    ) -> None:
        """Read every partition of ``triggers`` from ``since`` on."""
        super().__init__(settings, TOPICS.triggers, namespace, flow_id, since)

    def poll(self, timeout: float = 0.5) -> list[tuple[TriggerKey, TriggerState | None]]:
        """``(key, state)`` of the new records, oldest first; state None for a deletion."""
        found: list[tuple[TriggerKey, TriggerState | None]] = []
        for record in self.records(timeout):
            try:
                state = record.decoded(TOPICS.triggers)
            except DeserializationError as exc:
                log.warning("unreadable trigger state skipped: %s", exc)
                continue
            if state is not None:
                key = (state.namespace, state.flow_id, state.trigger_id)
            else:  # a tombstone: the key alone says which trigger is gone
                parts = (record.key or b"").decode(errors="replace").rsplit("/", 2)
                if len(parts) != 3:
                    continue
                key = (parts[0], parts[1], parts[2])
            if self.in_scope(key[0], key[1]):
                found.append((key, state))
        return found


def _key_json(key: TriggerKey) -> dict[str, str]:
    return {"namespace": key[0], "flowId": key[1], "triggerId": key[2]}


@api.route(
    "GET",
    "/triggers/follow",
    summary="Follow trigger states: next dates, enabled, backfill progress (Server-Sent Events)",
    query=TriggerFollowQuery,
    response=TriggerView,
    content_type="text/event-stream",
)
async def follow_triggers(request: web.Request) -> web.StreamResponse:
    """Each state as ``id: progress``; a deleted trigger as ``id: deleted`` (its ids only)."""
    context = context_of(request)
    query = parse_query(request, TriggerFollowQuery)
    since = utcnow() - CATCH_UP
    watch = await context.poll(
        TriggerWatch, context.settings, query.namespace, query.flow_id, since
    )
    stream = EventStream(request, context.settings.webserver.keepalive_interval)
    try:
        indexed = await context.run(
            context.repositories.flows.triggers, query.namespace, query.flow_id
        )
        await stream.open()
        known: dict[TriggerKey, datetime] = {}
        for state in indexed:
            known[(state.namespace, state.flow_id, state.trigger_id)] = state.updated
            await stream.send(trigger_json(state))
        while not stream.client_gone:
            for key, value in await context.poll(watch.poll, 0.5):
                if value is None:
                    known.pop(key, None)
                    await stream.send(_key_json(key), "deleted")
                elif key not in known or value.updated >= known[key]:
                    known[key] = value.updated
                    await stream.send(trigger_json(value))
            await stream.keep_alive()
        return stream.response
    except ConnectionResetError:
        return stream.response  # the client left
    finally:
        await context.poll(watch.close)
