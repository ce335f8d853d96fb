"""``GET /executions/follow`` over the real embedded Kafka: snapshots of the chosen
namespace and flow reach the stream, new executions included, others left out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from indexer_samples import snapshots
from test_webserver_trigger_stream import next_event
from webserver_helpers import AUTH, with_auth

from orchestrator.kafka import TOPICS, KafkaProducer
from orchestrator.models import Execution
from orchestrator.models.state import StateType
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


def produce(settings: KestrelSettings, *executions: Execution | tuple[str, None]) -> None:
    with KafkaProducer(settings) as producer:
        for value in executions:
            if isinstance(value, tuple):
                producer.send(TOPICS.executions, value[0], None)
            else:
                producer.send(TOPICS.executions, value.id, value)
        producer.flush()


async def test_follow_sends_new_executions_and_their_changes_in_the_chosen_flow(
    settings: KestrelSettings, client: Client
) -> None:
    now = datetime.now(UTC)
    created, running, ended = snapshots(
        "live-1", StateType.SUCCESS, namespace="l.team", flow_id="etl", started=now
    )
    # Written before the stream opens, not indexed (no indexer here): the catch-up finds it.
    await asyncio.to_thread(produce, settings, created)
    response = await client.get(
        "/api/v1/main/executions/follow",
        params={"namespace": "l", "flowId": "etl"},
        headers=AUTH,
        timeout=60,
    )
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    lines = response.content.__aiter__()
    event_id, first = await asyncio.wait_for(next_event(lines), 30)
    assert (event_id, first["id"], first["state"]["current"]) == ("progress", "live-1", "CREATED")

    other_flow = snapshots("live-2", namespace="l.team", flow_id="other", started=now)[-1]
    other_namespace = snapshots("live-3", namespace="lx", flow_id="etl", started=now)[-1]
    newcomer = snapshots("live-4", StateType.FAILED, namespace="l", flow_id="etl", started=now)
    await asyncio.to_thread(
        produce, settings, other_flow, other_namespace, running, ended, ("live-1", None)
    )
    await asyncio.to_thread(produce, settings, *newcomer)
    seen: dict[str, str] = {}
    while seen.get("live-4") != "FAILED":
        _, event = await asyncio.wait_for(next_event(lines), 30)
        seen[event["id"]] = event["state"]["current"]
        assert event["namespace"] in ("l", "l.team") and event["flowId"] == "etl"
    assert seen["live-1"] in ("RUNNING", "SUCCESS")  # changes of one poll are coalesced
    if seen["live-1"] != "SUCCESS":
        _, event = await asyncio.wait_for(next_event(lines), 30)
        assert (event["id"], event["state"]["current"]) == ("live-1", "SUCCESS")
    response.close()


async def test_follow_refuses_bad_credentials(client: Client) -> None:
    response = await client.get("/api/v1/main/executions/follow")
    assert response.status == 401
