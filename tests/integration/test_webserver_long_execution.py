"""The API shows a long execution whole, though its snapshots on Kafka are headers.

Past the engine's threshold an execution's snapshots on ``executions`` carry no task runs
(they are on ``task-runs``). Every view must still show them all: ``?wait=true`` (runs learnt
from ``task-runs`` as they come), the live follow (seeded from Kafka), the indexed detail
(from the task-runs index), and a replay from one of its runs (the control plane's check).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from test_webserver_api import read_events
from webserver_helpers import AUTH, running_services, with_auth

from executor.engine.work import WHOLE_UP_TO
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.app import build_context, create_app

pytestmark = pytest.mark.integration
Client = TestClient[web.Request, web.Application]
YAML = {**AUTH, "Content-Type": "application/x-yaml"}
VALUES = WHOLE_UP_TO + 10
RUNS_WHEN_PAUSED = 1 + VALUES + 1  # the ForEach, its items, the Pause

FLOW = f"""id: long-pause
namespace: api.long
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    concurrencyLimit: 0
    values: "{{{{ range(1, {VALUES}) }}}}"
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}}"
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


@pytest.fixture
async def client(
    settings: KestrelSettings, aiohttp_client: Callable[[web.Application], Awaitable[Client]]
) -> AsyncIterator[Client]:
    context = await asyncio.to_thread(build_context, with_auth(settings))
    yield await aiohttp_client(create_app(context))


def _items(execution: dict[str, Any]) -> list[str]:
    return [run["value"] for run in execution["taskRunList"] if run["taskId"] == "item"]


async def test_every_view_of_a_long_execution_has_all_its_task_runs(
    settings: KestrelSettings, client: Client
) -> None:
    with running_services(settings):
        deployed = await client.post("/api/v1/main/flows", data=FLOW, headers=YAML)
        assert deployed.status == 200, await deployed.text()

        # ?wait=true: the watch started before the execution, every run is on task-runs
        response = await client.post(
            "/api/v1/main/executions/api.long/long-pause?wait=true", headers=AUTH
        )
        paused = await response.json()
        assert paused["state"]["current"] == "PAUSED", paused
        assert paused["taskRunCount"] == RUNS_WHEN_PAUSED
        assert len(paused["taskRunList"]) == RUNS_WHEN_PAUSED, [
            (r["taskId"], r.get("value"), r["state"]["current"]) for r in paused["taskRunList"]
        ][-5:]
        assert sorted(_items(paused), key=int) == [str(v) for v in range(1, VALUES + 1)]
        execution_id = paused["id"]

        # the live follow of a paused execution: its latest snapshot, completed from Kafka
        follow = await client.get(f"/api/v1/main/executions/{execution_id}/follow", headers=AUTH)
        ((event_id, followed),) = await read_events(follow)
        assert event_id == "end"
        assert [run["id"] for run in followed["taskRunList"]] == [
            run["id"] for run in paused["taskRunList"]
        ]

        # the indexed detail: the header's runs from the task-runs index, in creation order
        deadline = time.monotonic() + 60
        while True:
            got = await (
                await client.get(f"/api/v1/main/executions/{execution_id}", headers=AUTH)
            ).json()
            if (
                got.get("state", {}).get("current") == "PAUSED"
                and len(got["taskRunList"]) == RUNS_WHEN_PAUSED
            ):
                break
            assert time.monotonic() < deadline, got
            await asyncio.sleep(0.2)  # polling the index, bounded by the deadline
        assert [run["id"] for run in got["taskRunList"]] == [
            run["id"] for run in paused["taskRunList"]
        ]

        # resume, and follow it to the end: the final snapshot is whole again
        resumed = await client.post(f"/api/v1/main/executions/{execution_id}/resume", headers=AUTH)
        assert resumed.status == 204, await resumed.text()
        deadline = time.monotonic() + 60
        final: dict[str, Any] = followed
        while final["state"]["current"] == "PAUSED":  # until the resume is applied
            assert time.monotonic() < deadline, "the resume was not applied in time"
            follow = await client.get(
                f"/api/v1/main/executions/{execution_id}/follow", headers=AUTH
            )
            event_id, final = (await read_events(follow))[-1]
            assert event_id == "end"
        assert final["state"]["current"] == "SUCCESS", final["state"]
        assert len(final["taskRunList"]) == RUNS_WHEN_PAUSED + 1

        # a replay from one of the items: the check finds the run in the completed snapshot
        item = next(run for run in final["taskRunList"] if run.get("value") == "30")
        replay = await client.post(
            f"/api/v1/main/executions/{execution_id}/replay?taskRunId={item['id']}", headers=AUTH
        )
        assert replay.status == 200, await replay.text()
