"""The REST API in process (aiohttp's test client) over the real embedded Kafka and ES."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from webserver_helpers import APPROVAL, AUTH, GREET, HOOK, TOKEN, running_services, with_auth

from orchestrator.kafka import TOPICS, read_topic_to_end
from orchestrator.models.trigger_commands import SetTriggerEnabled
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.app import build_context, create_app

pytestmark = pytest.mark.integration
Client = TestClient[web.Request, web.Application]
YAML = {**AUTH, "Content-Type": "application/x-yaml"}


@pytest.fixture
async def client(
    settings: KestrelSettings, aiohttp_client: Callable[[web.Application], Awaitable[Client]]
) -> AsyncIterator[Client]:
    context = await asyncio.to_thread(build_context, with_auth(settings))
    yield await aiohttp_client(create_app(context))


async def read_events(response: Any, limit: int = 500) -> list[tuple[str, Any]]:
    """SSE events ``(id, data)`` until ``id: end`` or the stream closes."""
    events: list[tuple[str, Any]] = []
    event_id = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            events.append((event_id, json.loads(line[6:])))
            if event_id == "end" or len(events) >= limit:
                break
    return events


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)  # polling a condition, bounded by the deadline


async def test_credentials_are_required_except_on_open_paths(client: Client) -> None:
    response = await client.get("/api/v1/main/flows/search")
    assert response.status == 401
    body = await response.json()
    assert "authentication required" in body["message"]
    assert body["requestId"] and body["details"] == []
    bad = {"Authorization": "Basic " + "YWRtaW46d3Jvbmc="}  # admin:wrong
    assert (await client.get("/api/v1/main/flows/search", headers=bad)).status == 401
    assert (
        await client.get("/api/v1/flows/search", headers={"Authorization": "Bearer x"})
    ).status == 401
    token = {"Authorization": f"Bearer {TOKEN}"}
    assert (await client.get("/api/v1/main/flows/distinct-namespaces", headers=token)).status == 200
    assert (await client.get("/health")).status == 200
    unknown_hook = await client.post("/api/v1/main/executions/webhook/a/b/c", json={})
    assert unknown_hook.status == 404  # open path: no 401, the key decides


async def test_errors_are_json_naming_the_problem(client: Client) -> None:
    missing = await client.get("/api/v1/main/flows/nope/nothing", headers=AUTH)
    assert missing.status == 404
    assert "nope.nothing" in (await missing.json())["message"]
    invalid = await client.post(
        "/api/v1/main/flows",
        data="id: x\nnamespace: api.test\ntasks:\n  - id: a\n"
        "    type: io.kestra.plugin.core.log.Logg\n",
        headers=YAML,
    )
    assert invalid.status == 422
    body = await invalid.json()
    assert body["details"][0]["line"] == 5 and "Logg" in body["message"]
    bad_query = await client.get("/api/v1/main/executions/search?page=0", headers=AUTH)
    assert bad_query.status == 400
    assert (await bad_query.json())["details"][0]["path"] == "page"
    no_route = await client.get("/api/v1/main/nowhere", headers=AUTH)
    assert no_route.status == 404 and "message" in await no_route.json()
    empty = await client.post("/api/v1/main/flows", data="", headers=YAML)
    assert empty.status == 400


async def test_validate_reports_each_document_with_lines(client: Client) -> None:
    source = GREET + "---\n" + "id: broken\nnamespace: api.test\ntasks: 3\n"
    response = await client.post("/api/v1/main/flows/validate", data=source, headers=YAML)
    assert response.status == 200
    first, second = await response.json()
    assert first["flow"] == "greet" and "constraints" not in first
    assert second["flow"] == "broken" and second["constraints"]
    assert second["problems"][0]["line"] == GREET.count("\n") + 4


async def test_graph_of_unsaved_source(client: Client) -> None:
    response = await client.post("/api/v1/main/flows/graph", data=GREET, headers=YAML)
    graph = await response.json()
    uids = [node["uid"] for node in graph["nodes"]]
    assert uids == ["root.start", "root.hello", "root.greeting", "root.end"]
    assert {"source": "root.hello", "target": "root.greeting"} in [
        {"source": e["source"], "target": e["target"]} for e in graph["edges"]
    ]


async def test_openapi_document_and_swagger_page(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json", headers=AUTH)).json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/main/executions/{namespace}/{id}" in document["paths"]
    configs = await (await client.get("/api/v1/configs", headers=AUTH)).json()
    assert configs["isBasicAuthEnabled"] is True and configs["tenants"] == ["main"]
    page = await client.get("/api/v1/swagger-ui", headers=AUTH)
    assert "swagger-ui-bundle.js" in await page.text()
    script = await client.get("/api/v1/swagger-ui/static/swagger-ui-bundle.js", headers=AUTH)
    assert script.status == 200


async def test_plugins_list_and_schema(client: Client) -> None:
    groups = await (await client.get("/api/v1/main/plugins", headers=AUTH)).json()
    tasks = {name for group in groups for name in group["tasks"]}
    assert "io.kestra.plugin.core.log.Log" in tasks
    doc = await client.get("/api/v1/main/plugins/io.kestra.plugin.core.log.Log", headers=AUTH)
    schema = (await doc.json())["schema"]["properties"]
    assert "message" in schema["properties"]
    assert (await client.get("/api/v1/main/plugins/no.such.Type", headers=AUTH)).status == 404
    every = await (await client.get("/api/v1/main/plugins/schemas/all", headers=AUTH)).json()
    by_cls = {each["cls"]: each for each in every}
    log = by_cls["io.kestra.plugin.core.log.Log"]
    assert log["kind"] == "task" and "message" in log["schema"]["properties"]["properties"]
    groups = await (await client.get("/api/v1/main/plugins", headers=AUTH)).json()
    assert set(by_cls) == {name for g in groups for name in g["tasks"] + g["triggers"]}


SCHEDULED = """id: nightly
namespace: api.test
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: every-night
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
"""


async def test_trigger_actions_reach_the_scheduler(
    settings: KestrelSettings, client: Client
) -> None:
    body = {"triggers": [{"namespace": "n", "flowId": "f", "triggerId": "t"}], "disabled": True}
    unknown = await client.post("/api/v1/main/triggers/set-disabled", json=body, headers=AUTH)
    assert unknown.status == 404, await unknown.text()
    assert "not deployed" in (await unknown.json())["message"]
    unlock = await client.post("/api/v1/main/triggers/n/f/t/unlock", headers=AUTH)
    assert unlock.status == 404
    malformed = await client.post("/api/v1/main/triggers/backfill/pause", json={}, headers=AUTH)
    assert malformed.status == 400 and "namespace" in (await malformed.json())["message"]
    search = await client.get("/api/v1/main/triggers/search", headers=AUTH)
    assert search.status == 200 and (await search.json())["total"] == 0

    created = await client.post("/api/v1/main/flows", data=SCHEDULED, headers=YAML)
    assert created.status == 200, await created.text()
    ref = {"namespace": "api.test", "flowId": "nightly", "triggerId": "every-night"}
    disabled = await client.post(
        "/api/v1/main/triggers/set-disabled",
        json={"triggers": [ref], "disabled": True},
        headers=AUTH,
    )
    assert disabled.status == 200, await disabled.text()
    commands = await asyncio.to_thread(read_topic_to_end, settings, TOPICS.trigger_commands)
    command = commands.get("api.test/nightly/every-night")
    assert isinstance(command, SetTriggerEnabled) and command.enabled is False


async def test_flows_executions_follow_and_webhooks(
    settings: KestrelSettings, client: Client
) -> None:
    with running_services(settings):
        # deploy, read, update
        created = await client.post("/api/v1/main/flows", data=GREET, headers=YAML)
        assert created.status == 200, await created.text()
        assert (await created.json())["revision"] == 1
        again = await client.post("/api/v1/main/flows", data=GREET, headers=YAML)
        assert again.status == 409
        got = await (
            await client.get("/api/v1/flows/api.test/greet?source=true", headers=AUTH)
        ).json()
        assert got["source"] == GREET and got["namespace"] == "api.test"
        updated = await client.put(
            "/api/v1/main/flows/api.test/greet", data=GREET + "description: v2\n", headers=YAML
        )
        assert (await updated.json())["revision"] == 2
        for source in (APPROVAL, HOOK):
            assert (
                await client.post("/api/v1/main/flows", data=source, headers=YAML)
            ).status == 200
        listed = await (await client.get("/api/v1/main/flows/api.test", headers=AUTH)).json()
        assert [flow["id"] for flow in listed] == ["approval", "greet", "hook"]
        namespaces = await client.get("/api/v1/main/flows/distinct-namespaces", headers=AUTH)
        assert await namespaces.json() == ["api.test"]

        # run with inputs and wait
        run = await client.post(
            "/api/v1/main/executions/api.test/greet?wait=true&labels=team:api",
            json={"user": "Ada"},
            headers=AUTH,
        )
        assert run.status == 200, await run.text()
        execution = await run.json()
        assert execution["state"]["current"] == "SUCCESS"
        assert execution["outputs"] == {"text": "Hi Ada"}
        assert {"key": "team", "value": "api"} in execution["labels"]
        bad_input = await client.post(
            "/api/v1/main/executions/api.test/greet", json={"usr": "x"}, headers=AUTH
        )
        assert bad_input.status == 422 and "usr" in (await bad_input.json())["message"]
        form = FormData()
        form.add_field("user", "Bob", content_type="text/plain")
        multipart = await client.post(
            "/api/v1/main/executions/api.test/greet", data=form, headers=AUTH
        )
        assert (await multipart.json())["inputs"] == {"user": "Bob"}

        # follow snapshots and logs of a finished execution
        follow = await client.get(f"/api/v1/main/executions/{execution['id']}/follow", headers=AUTH)
        assert follow.headers["Content-Type"].startswith("text/event-stream")
        events = await read_events(follow)
        assert events[-1][0] == "end" and events[-1][1]["state"]["current"] == "SUCCESS"
        logs = await client.get(f"/api/v1/main/logs/{execution['id']}/follow", headers=AUTH)
        lines = [data["message"] for _, data in await read_events(logs)]
        assert "Hello Ada" in lines

        # kill a paused execution and restart it
        paused = await (
            await client.post("/api/v1/main/executions/api.test/approval", headers=AUTH)
        ).json()
        follow = await client.get(f"/api/v1/main/executions/{paused['id']}/follow", headers=AUTH)
        events = await read_events(follow)
        assert events[-1][1]["state"]["current"] == "PAUSED"
        kill = await client.delete(f"/api/v1/main/executions/{paused['id']}/kill", headers=AUTH)
        assert kill.status == 202

        async def state_of(execution_id: str, wanted: str) -> bool:
            response = await client.get(f"/api/v1/main/executions/{execution_id}", headers=AUTH)
            return response.status == 200 and (await response.json())["state"]["current"] == wanted

        await eventually(lambda: state_of(paused["id"], "KILLED"))
        again_kill = await client.delete(
            f"/api/v1/main/executions/{paused['id']}/kill", headers=AUTH
        )
        assert again_kill.status == 409
        restart = await client.post(f"/api/v1/main/executions/{paused['id']}/restart", headers=AUTH)
        assert restart.status == 200

        async def restarted() -> bool:
            response = await client.get(f"/api/v1/main/executions/{paused['id']}", headers=AUTH)
            labels = (await response.json())["labels"]
            return {"key": "system.restarted", "value": "true"} in labels

        await eventually(restarted)
        unknown = await client.delete("/api/v1/main/executions/nope/kill", headers=AUTH)
        assert unknown.status == 404

        # webhook: twice with one Idempotency-Key gives one execution; conditions; 404
        hook = "/api/v1/main/executions/webhook/api.test/hook/k3y-abc"
        first = await client.post(hook, json={"name": "Ada"}, headers={"Idempotency-Key": "once"})
        second = await client.post(hook, json={"name": "Ada"}, headers={"Idempotency-Key": "once"})
        assert first.status == second.status == 200
        assert (await first.json())["id"] == (await second.json())["id"]
        hook_id = (await first.json())["id"]
        assert (await first.json())["trigger"]["variables"]["body"] == {"name": "Ada"}
        retried = await client.post(
            hook + "?wait=true", json={"name": "Ada"}, headers={"Idempotency-Key": "once"}
        )
        assert (await retried.json())["id"] == hook_id
        assert (await retried.json())["state"]["current"] == "SUCCESS"  # waited for its end
        assert (await client.post(hook, json={"name": "nobody"})).status == 204
        assert (await client.post(hook.replace("k3y-abc", "wrong"), json={})).status == 404
        waited = await client.put(hook + "?wait=true", json={"name": "Eve"})
        assert (await waited.json())["state"]["current"] == "SUCCESS"

        async def executions_of_hook() -> bool:
            response = await client.get(
                "/api/v1/main/executions/search?namespace=api.test&flowId=hook", headers=AUTH
            )
            return (await response.json())["total"] == 2

        await eventually(executions_of_hook)
        ids = {
            each["id"]
            for each in (
                await (
                    await client.get("/api/v1/main/executions/search?flowId=hook", headers=AUTH)
                ).json()
            )["results"]
        }
        assert hook_id in ids

        # disable: a new revision; runs are refused
        disabled = await client.post(
            "/api/v1/main/flows/disable/by-ids",
            json=[{"namespace": "api.test", "id": "greet"}],
            headers=AUTH,
        )
        assert (await disabled.json())["count"] == 1
        refused = await client.post(
            "/api/v1/main/executions/api.test/greet", json={"user": "x"}, headers=AUTH
        )
        assert refused.status == 409
        deleted = await client.delete("/api/v1/main/flows/api.test/greet", headers=AUTH)
        assert deleted.status == 204
        assert (await client.get("/api/v1/main/flows/api.test/greet", headers=AUTH)).status == 404


async def test_every_route_refuses_requests_without_credentials(client: Client) -> None:
    from orchestrator.webserver.app import REGISTRIES
    from orchestrator.webserver.routes import PREFIXES

    checked = 0
    for registry in REGISTRIES:
        for route in registry.routes:
            path = re.sub(r"{[^}]+}", "x", route.path)
            open_path = route.api is False and route.path == "/health"
            for prefix in PREFIXES if route.api else ("",):
                if "webhook" in path:
                    continue  # open: the key in the path is the secret
                response = await client.request(route.method, prefix + path)
                expected = 200 if open_path else 401
                assert response.status == expected, (route.method, prefix + path)
                checked += 1
    assert checked > 60


async def test_a_namespace_is_replaced_by_a_multi_document_yaml(client: Client) -> None:
    both = GREET + "---\n" + APPROVAL
    first = await client.post("/api/v1/main/flows/api.test", data=both, headers=YAML)
    assert first.status == 200, await first.text()
    assert sorted(flow["id"] for flow in await first.json()) == ["approval", "greet"]
    again = await client.post(
        "/api/v1/main/flows/bulk?namespace=api.test", data=GREET, headers=YAML
    )
    assert [flow["revision"] for flow in await again.json()] == [1]  # unchanged source
    listed = await (await client.get("/api/v1/main/flows/api.test", headers=AUTH)).json()
    assert [flow["id"] for flow in listed] == ["greet"]  # approval was deleted
    elsewhere = await client.post("/api/v1/main/flows/other.ns", data=GREET, headers=YAML)
    assert (
        elsewhere.status == 422
        and "not in namespace other.ns" in (await elsewhere.json())["message"]
    )
    broken = await client.post(
        "/api/v1/main/flows/api.test",
        data=GREET + "---\nid: x\nnamespace: api.test\n",
        headers=YAML,
    )
    assert broken.status == 422 and (await broken.json())["details"][0]["line"] >= 1
