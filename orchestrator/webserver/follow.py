"""Live follow over Server-Sent Events: an execution's snapshots, and its log lines.

History first (the latest snapshot; the indexed log lines), then Kafka from the request's
point on, until the execution settles. Keep-alive comments flow while nothing happens;
the Kafka reader is closed when the stream ends or the client goes away.
"""

from __future__ import annotations

import time
from datetime import timedelta

from aiohttp import web

from orchestrator.control import ExecutionNotFoundError
from orchestrator.models.execution import Execution
from orchestrator.models.messages import LogEntry
from orchestrator.models.state import utcnow
from orchestrator.repository import LogFilter
from orchestrator.webserver.context import ApiContext, context_of
from orchestrator.webserver.errors import not_found
from orchestrator.webserver.keys import PARTITIONS
from orchestrator.webserver.routes import Registry
from orchestrator.webserver.sse import EventStream
from orchestrator.webserver.views import execution_json, log_json
from orchestrator.webserver.watch import ExecutionWatch, settled

api = Registry("Executions")
logs_api = Registry("Logs")


FIRST_SNAPSHOT_WAIT = 10.0
"""Seconds a follow waits for an execution just created (its first snapshot not written yet)."""


async def _latest(
    context: ApiContext, execution_id: str, watch: ExecutionWatch | None = None
) -> Execution:
    """The latest snapshot; with ``watch``, wait a little for one that is about to come.

    Raises:
        ApiError: 404 when no snapshot has this id (in time).
    """
    try:
        return await context.run(context.control.latest, execution_id)
    except ExecutionNotFoundError as exc:
        if watch is not None:
            deadline = time.monotonic() + FIRST_SNAPSHOT_WAIT
            while time.monotonic() < deadline:
                for _, _, value in await context.poll(watch.poll, 0.5):
                    if isinstance(value, Execution):
                        return value
        raise not_found(str(exc)) from exc


@api.route(
    "GET",
    "/executions/{executionId}/follow",
    summary="Follow an execution's snapshots (Server-Sent Events)",
    content_type="text/event-stream",
)
async def follow_execution(request: web.Request) -> web.StreamResponse:
    """Each new snapshot as ``id: progress``; the last one as ``id: end``."""
    context = context_of(request)
    execution_id = request.match_info["executionId"]
    watch = await context.poll(
        ExecutionWatch, context.settings, request.app[PARTITIONS], execution_id
    )
    stream = EventStream(request, context.settings.webserver.keepalive_interval)
    try:
        latest = await _latest(context, execution_id, watch)
        watch.seed(latest)
        await stream.open()
        await stream.send(execution_json(latest), "end" if settled(latest) else "progress")
        while not settled(latest) and not stream.client_gone:
            for _, _, value in await context.poll(watch.poll, 0.5):
                if isinstance(value, Execution) and value.seq > latest.seq:
                    latest = value
                    await stream.send(
                        execution_json(value), "end" if settled(value) else "progress"
                    )
            await stream.keep_alive()
        return stream.response
    except ConnectionResetError:
        return stream.response  # the client left; nothing more to say
    finally:
        await context.poll(watch.close)


@logs_api.route(
    "GET",
    "/logs/{executionId}/follow",
    summary="Follow an execution's log lines (Server-Sent Events)",
    content_type="text/event-stream",
)
async def follow_logs(request: web.Request) -> web.StreamResponse:
    """The indexed lines, then new ones from Kafka, until the execution settles."""
    context = context_of(request)
    execution_id = request.match_info["executionId"]
    try:
        known: Execution | None = await context.run(context.control.latest, execution_id)
    except ExecutionNotFoundError:
        known = None  # created a moment ago: its first snapshot is about to come
    start = known.state.start_date if known is not None else None
    since = (start or utcnow()) - timedelta(seconds=5)
    watch = await context.poll(
        ExecutionWatch,
        context.settings,
        request.app[PARTITIONS],
        execution_id,
        logs=True,
        logs_since=since,
    )
    seen: set[tuple[int, int]] = set()
    stream = EventStream(request, context.settings.webserver.keepalive_interval)
    try:
        early: list[tuple[int, int, object]] = []
        deadline = time.monotonic() + FIRST_SNAPSHOT_WAIT
        while known is None:
            if time.monotonic() > deadline:
                raise not_found(f"execution {execution_id} not found")
            early += await context.poll(watch.poll, 0.5)
            known = next((v for _, _, v in early if isinstance(v, Execution)), None)
        latest = known
        await stream.open()
        history = await context.run(
            lambda: list(context.repositories.logs.iterate(LogFilter(execution_id=execution_id)))
        )
        for hit in history:
            seen.add((hit.partition, hit.offset))
            await stream.send(log_json(hit.entry))
        for partition, offset, value in early:
            if isinstance(value, LogEntry) and (partition, offset) not in seen:
                seen.add((partition, offset))
                await stream.send(log_json(value))
        ended = settled(latest)
        idle_polls = 0
        while not stream.client_gone:
            found = await context.poll(watch.poll, 0.5)
            for partition, offset, value in found:
                if isinstance(value, LogEntry) and (partition, offset) not in seen:
                    seen.add((partition, offset))
                    await stream.send(log_json(value))
                elif isinstance(value, Execution) and value.seq >= latest.seq:
                    latest = value
                    ended = settled(value)
            idle_polls = 0 if found else idle_polls + 1
            if ended and idle_polls >= 2:  # the lines logged before the end are in
                break
            await stream.keep_alive()
        return stream.response
    except ConnectionResetError:
        return stream.response
    finally:
        await context.poll(watch.close)
