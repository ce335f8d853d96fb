"""``GET /triggers/follow`` over the real embedded Kafka and ES: states as the scheduler
writes them reach the stream, filtered by namespace and flow, deletions included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from webserver_helpers import AUTH, with_auth

from orchestrator.kafka import TOPICS, KafkaProducer
from orchestrator.models.messages import TriggerState
from orchestrator.models.trigger_parts import BackfillProgress
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.app import build_context, create_app

pytestmark = pytest.mark.integration
Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    settings: KestrelSettings, aiohttp_client: Callable[[web.Application], Awaitable[Client]]
) -> AsyncIterator[Client]:
    context = await asyncio.to_thread(build_context, with_auth(settings))
    yield await aiohttp_client(create_app(context))


def state(namespace: str, trigger_id: str, **changes: Any) -> TriggerState:
    return TriggerState(
        namespace=namespace,
        flow_id="nightly",
        trigger_id=trigger_id,
        flow_revision=1,
        next_date=datetime(2030, 1, 1, 2, tzinfo=UTC),
        **changes,
    )


def produce(settings: KestrelSettings, *records: tuple[str, TriggerState | None]) -> None:
    with KafkaProducer(settings) as producer:
        for key, value in records:
            producer.send(TOPICS.triggers, key, value)
        producer.flush()


async def next_event(lines: AsyncIterator[bytes]) -> tuple[str, Any]:
    """The next ``(id, data)`` of the stream (keep-alive comments skipped)."""
    event_id = ""
    async for raw in lines:
        line = raw.decode().rstrip("\n")
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            return event_id, json.loads(line[6:])
    raise AssertionError("the stream ended")


async def test_follow_sends_states_changes_and_deletions_of_the_chosen_flow(
    settings: KestrelSettings, client: Client
) -> None:
    key = "s.team/nightly/every-night"
    # Written before the stream opens, not indexed (no indexer here): the stream's catch-up
    # window on Kafka finds it.
    await asyncio.to_thread(produce, settings, (key, state("s.team", "every-night")))
    response = await client.get(
        "/api/v1/main/triggers/follow",
        params={"namespace": "s", "flowId": "nightly"},
        headers=AUTH,
        timeout=60,
    )
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    lines = response.content.__aiter__()

    event_id, first = await asyncio.wait_for(next_event(lines), 30)
    assert (event_id, first["triggerId"], first.get("disabled", False)) == (
        "progress",
        "every-night",
        False,
    )

    now = datetime.now(UTC)
    backfill = BackfillProgress(
        start=datetime(2030, 1, 1, tzinfo=UTC),
        end=datetime(2030, 1, 3, tzinfo=UTC),
        next_date=datetime(2030, 1, 2, tzinfo=UTC),
        fired=1,
        created=now,
    )
    await asyncio.to_thread(
        produce,
        settings,
        ("other/nightly/every-night", state("other", "every-night")),  # another namespace
        (key, state("s.team", "every-night", disabled=True, backfill=backfill, updated=now)),
        (key, None),
    )
    event_id, changed = await asyncio.wait_for(next_event(lines), 30)
    assert event_id == "progress" and changed["namespace"] == "s.team"
    assert changed["disabled"] is True
    assert changed["backfill"]["fired"] == 1
    assert changed["backfill"]["nextDate"].startswith("2030-01-02")
    event_id, deleted = await asyncio.wait_for(next_event(lines), 30)
    assert (event_id, deleted) == (
        "deleted",
        {"namespace": "s.team", "flowId": "nightly", "triggerId": "every-night"},
    )
    response.close()


async def test_follow_refuses_bad_credentials(client: Client) -> None:
    response = await client.get("/api/v1/main/triggers/follow")
    assert response.status == 401
