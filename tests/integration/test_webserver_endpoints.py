"""Every other endpoint of the API, success and error, in process over real Kafka and ES."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from test_webserver_api import eventually, read_events
from webserver_helpers import APPROVAL, ASK, AUTH, GREET, UPLOAD, running_services, with_auth

from orchestrator.settings import KestrelSettings
from orchestrator.webserver.app import build_context, create_app
from orchestrator.webserver.watch import ExecutionWatch

pytestmark = pytest.mark.integration
Client = TestClient[web.Request, web.Application]
YAML = {**AUTH, "Content-Type": "application/x-yaml"}
API = "/api/v1/main"


@pytest.fixture
async def client(
    settings: KestrelSettings, aiohttp_client: Callable[[web.Application], Awaitable[Client]]
) -> AsyncIterator[Client]:
    context = await asyncio.to_thread(build_context, with_auth(settings))
    yield await aiohttp_client(create_app(context))


async def get_json(client: Client, path: str, status: int = 200) -> Any:
    response = await client.get(path, headers=AUTH)
    assert response.status == status, await response.text()
    return await response.json()


async def run(client: Client, flow: str, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/executions/api.test/{flow}", headers=AUTH, **kwargs)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def indexed(client: Client, execution_id: str, state: str) -> None:
    async def check() -> bool:
        found = await client.get(f"{API}/executions/search?q={execution_id}", headers=AUTH)
        results = (await found.json())["results"]
        return bool(results) and results[0]["state"]["current"] == state

    await eventually(check)


async def test_every_endpoint(settings: KestrelSettings, client: Client) -> None:
    with running_services(settings):
        for source in (GREET, APPROVAL, ASK, UPLOAD):
            assert (await client.post(f"{API}/flows", data=source, headers=YAML)).status == 200

        # flows: saved graph, revisions and search from ES, enable
        graph = await get_json(client, f"{API}/flows/api.test/approval/graph")
        assert [n["uid"] for n in graph["nodes"]][1:3] == ["root.wait", "root.after"]
        await get_json(client, f"{API}/flows/api.test/nothing/graph", 404)

        async def searchable() -> bool:
            found = await get_json(client, f"{API}/flows/search?q=greet&namespace=api")
            return [flow["id"] for flow in found["results"]] == ["greet"]

        await eventually(searchable)
        revisions = await get_json(client, f"{API}/flows/api.test/greet/revisions")
        assert revisions[0]["revision"] == 1 and revisions[0]["source"] == GREET
        enabled = await client.post(
            f"{API}/flows/enable/by-ids",
            json=[{"namespace": "api.test", "id": "nope"}],
            headers=AUTH,
        )
        assert enabled.status == 404
        malformed = await client.post(f"{API}/flows/enable/by-ids", json=[{"x": 1}], headers=AUTH)
        assert malformed.status == 400
        mismatch = await client.put(f"{API}/flows/api.test/other", data=GREET, headers=YAML)
        assert mismatch.status == 422

        # executions: search, get, labels, replay, delete
        done = await run(client, "greet?wait=true", json={"user": "Ann"})
        assert done["state"]["current"] == "SUCCESS"
        await indexed(client, done["id"], "SUCCESS")
        page = await get_json(
            client, f"{API}/executions/search?flowId=greet&state=SUCCESS&sort=state.startDate:asc"
        )
        assert page["total"] >= 1 and page["results"][0]["flowId"] == "greet"
        await get_json(client, f"{API}/executions/search?sort=bogus:asc", 400)
        await get_json(client, f"{API}/executions/search?state=NOPE", 400)
        got = await get_json(client, f"{API}/executions/{done['id']}")
        assert got["taskRunList"][0]["state"]["current"] == "SUCCESS"
        await get_json(client, f"{API}/executions/unknown-id", 404)
        relabelled = await client.post(
            f"{API}/executions/{done['id']}/labels",
            json=[{"key": "env", "value": "prod"}],
            headers=AUTH,
        )
        assert {"key": "env", "value": "prod"} in (await relabelled.json())["labels"]
        bad_labels = await client.post(
            f"{API}/executions/{done['id']}/labels", json={"env": 1}, headers=AUTH
        )
        assert bad_labels.status == 400
        replayed = await client.post(
            f"{API}/executions/{done['id']}/replay?taskRunId={got['taskRunList'][1]['id']}",
            headers=AUTH,
        )
        new_id = (await replayed.json())["id"]
        assert new_id != done["id"]
        await indexed(client, new_id, "SUCCESS")
        bad_replay = await client.post(
            f"{API}/executions/{done['id']}/replay?taskRunId=nope", headers=AUTH
        )
        assert bad_replay.status == 409

        # resume with inputs
        paused = await run(client, "ask")
        follow = await client.get(f"{API}/executions/{paused['id']}/follow", headers=AUTH)
        assert (await read_events(follow))[-1][1]["state"]["current"] == "PAUSED"
        missing_input = await client.post(
            f"{API}/executions/{paused['id']}/resume", json={}, headers=AUTH
        )
        assert missing_input.status == 422 and "approver" in (await missing_input.json())["message"]
        resumed = await client.post(
            f"{API}/executions/{paused['id']}/resume", json={"approver": "Ada"}, headers=AUTH
        )
        assert resumed.status == 204
        await indexed(client, paused["id"], "SUCCESS")
        final = await get_json(client, f"{API}/executions/{paused['id']}")
        assert final["outputs"] == {"by": "approved by Ada"}
        not_paused = await client.post(f"{API}/executions/{paused['id']}/resume", headers=AUTH)
        assert not_paused.status == 409

        # FILE input uploaded, then downloaded, previewed; nothing outside the execution
        form = FormData()
        form.add_field("data", b"line 1\nline 2\nline 3\n", filename="../../etc/pass wd.txt")
        uploaded = await run(client, "upload?wait=true", data=form)
        uri = uploaded["inputs"]["data"]
        assert uri.startswith(f"kestrel://api.test/upload/executions/{uploaded['id']}/inputs/data/")
        assert ".." not in uri
        base = f"{API}/executions/{uploaded['id']}/file"
        body = await client.get(f"{base}?path={uri}", headers=AUTH)
        assert await body.read() == b"line 1\nline 2\nline 3\n"
        shown = await get_json(client, f"{base}/preview?path={uri}&maxRows=2")
        assert shown["content"] == "line 1\nline 2" and shown["truncated"]
        assert (await get_json(client, f"{base}/metas?path={uri}"))["size"] == 21
        other = f"kestrel://api.test/greet/executions/{done['id']}/x.txt"
        assert (await client.get(f"{base}?path={other}", headers=AUTH)).status == 422
        escape = f"kestrel://api.test/upload/executions/{uploaded['id']}/../../../x"
        assert (await client.get(f"{base}?path={escape}", headers=AUTH)).status == 400
        local = await client.post(
            f"{API}/executions/api.test/upload", json={"data": "file:///etc/passwd"}, headers=AUTH
        )
        assert local.status == 422

        # logs: search, per execution, download
        async def logged() -> bool:
            lines = await get_json(client, f"{API}/logs/{done['id']}")
            return any(line["message"] == "Hello Ann" for line in lines)

        await eventually(logged)
        found = await get_json(client, f"{API}/logs/search?q=Ann&namespace=api.test")
        assert found["total"] >= 1 and found["results"][0]["executionId"] in (done["id"], new_id)
        await get_json(client, f"{API}/logs/search?minLevel=LOUD", 400)
        assert await get_json(client, f"{API}/logs/{done['id']}?minLevel=ERROR") == []
        text = await (await client.get(f"{API}/logs/{done['id']}/download", headers=AUTH)).text()
        assert "INFO hello Hello Ann" in text

        # stats
        dashboard: dict[str, Any] = {}

        async def dashboard_counts() -> bool:
            # the per-day statistics are written just after the summaries: a refresh later
            dashboard.update(await get_json(client, f"{API}/stats/dashboard"))
            return sum(day["executionCounts"]["SUCCESS"] for day in dashboard["daily"]) >= 2

        await eventually(dashboard_counts)
        # the same per-day statistics behind the daily series and the summary
        daily = await (await client.post(f"{API}/stats/executions/daily", headers=AUTH)).json()
        assert sum(day["executionCounts"]["SUCCESS"] for day in daily) >= 2
        by_flow = await (
            await client.post(f"{API}/stats/executions/daily/group-by-flow", headers=AUTH)
        ).json()
        assert "greet" in by_flow["api.test"]
        by_namespace = await (
            await client.post(f"{API}/stats/executions/daily/group-by-namespace", headers=AUTH)
        ).json()
        assert "api.test" in by_namespace
        assert dashboard["failingFlows"] == [] and dashboard["queued"] == 0
        assert dashboard["durationsMs"] and all(d >= 0 for d in dashboard["durationsMs"])
        # no execution failed here (the aggregation itself: test_indexer_repository.py)
        assert await get_json(client, f"{API}/stats/executions/failing-flows") == []
        await get_json(client, f"{API}/stats/executions/failing-flows?size=0", 400)
        reversed_range = await client.post(
            f"{API}/stats/executions/daily?startDate=2026-01-02T00:00:00Z&endDate=2026-01-01T00:00:00Z",
            headers=AUTH,
        )
        assert reversed_range.status == 400
        summary: dict[str, Any] = {}

        async def summary_counts() -> bool:  # its execution count: the per-day statistics too
            summary.update(await get_json(client, f"{API}/stats/summary"))
            return int(summary["executions"]) >= 4

        await eventually(summary_counts)
        assert summary["flows"] == 4 and summary["namespaces"] == 1

        # delete
        assert (await client.delete(f"{API}/executions/{done['id']}", headers=AUTH)).status == 204
        assert (await client.delete(f"{API}/executions/nope", headers=AUTH)).status == 404


SLEEPY = """id: sleepy
namespace: api.test
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT4S
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: rested
"""


async def lines_until(response: Any, wanted: Callable[[list[str]], bool]) -> list[str]:
    lines: list[str] = []
    while not wanted(lines):
        line = await asyncio.wait_for(response.content.readline(), 30)
        assert line, f"the stream ended first: {lines}"
        lines.append(line.decode())
    return lines


async def test_follow_streams_live_snapshots_keepalives_and_is_released(
    settings: KestrelSettings, client: Client
) -> None:
    with running_services(settings):
        assert (await client.post(f"{API}/flows", data=SLEEPY, headers=YAML)).status == 200
        before = ExecutionWatch.open_count
        sleeping = await run(client, "sleepy")
        response = await client.get(f"{API}/executions/{sleeping['id']}/follow", headers=AUTH)
        lines = await lines_until(
            response, lambda seen: any(x.startswith(": keep-alive") for x in seen)
        )
        events = await read_events(response)
        states = [json.loads(x[6:])["state"]["current"] for x in lines if x.startswith("data: ")]
        assert "SUCCESS" not in states and events[-1][1]["state"]["current"] == "SUCCESS"
        fresh = await run(client, "sleepy")  # followed at once: before its first snapshot
        fresh_logs = await client.get(f"{API}/logs/{fresh['id']}/follow", headers=AUTH)
        assert fresh_logs.status == 200
        await read_events(fresh_logs)  # the stream ends by itself once the execution ended
        await indexed(client, fresh["id"], "SUCCESS")
        ended = await client.get(f"{API}/executions/{sleeping['id']}/follow", headers=AUTH)
        assert (await read_events(ended))[0][0] == "end"  # settled: one event, the end

        leaving = await run(client, "sleepy")
        gone = await client.get(f"{API}/executions/{leaving['id']}/follow", headers=AUTH)
        await lines_until(gone, lambda seen: any(x.startswith("data: ") for x in seen))
        assert ExecutionWatch.open_count > before
        gone.close()  # the client goes away: the server releases its Kafka reader

        async def released() -> bool:
            return ExecutionWatch.open_count <= before

        await eventually(released)


async def test_a_refused_execution_leaves_no_uploaded_file(
    settings: KestrelSettings, client: Client
) -> None:
    from orchestrator.storage import LocalStorage

    assert (await client.post(f"{API}/flows", data=UPLOAD, headers=YAML)).status == 200
    form = FormData()
    form.add_field("data", b"x", filename="x.txt")
    form.add_field("unknown", b"y", filename="y.txt")
    refused = await client.post(f"{API}/executions/api.test/upload", data=form, headers=AUTH)
    assert refused.status == 422 and "unknown" in (await refused.json())["message"]
    assert LocalStorage.from_settings(settings.storage).list("api.test/upload") == []
