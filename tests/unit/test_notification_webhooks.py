"""Slack, Discord and Teams webhook tasks against a local HTTP server that records requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from jdbc_helpers import closed_port
from plugin_context import Logs, context_of, http_server, run_task, task_of

from plugins.notifications.errors import WebhookError

SLACK = "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"


class Recorder:
    """The server's side: every request's path and JSON body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Any]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    async def hook(request: web.Request) -> web.Response:
        recorder.requests.append((request.path, await request.json()))
        return web.Response(text="ok")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="no_service")

    app = web.Application()
    app.router.add_post("/services/T000/B000/secret-token", hook)
    app.router.add_post("/broken/secret-token", broken)
    with http_server(app) as url:
        yield url, recorder


@pytest.fixture(autouse=True)
def no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # The *Execution tasks read the index; here none answers, so they use the run's variables.
    monkeypatch.setenv("KESTREL_ELASTICSEARCH__URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("KESTREL_WEBSERVER__PUBLIC_URL", "https://kestrel.example")


def test_slack_message_text_and_payload(server: tuple[str, Recorder], tmp_path: Path) -> None:
    url, recorder = server
    hook = f"{url}/services/T000/B000/secret-token"
    run_task(
        {"type": SLACK, "url": hook, "messageText": "flow {{ flow }} done"}, tmp_path, flow="etl"
    )
    run_task(
        {
            "type": "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
            "url": hook,
            "payload": '{"blocks": [{"type": "section", "text": "{{ n }}"}]}',
        },
        tmp_path,
        n=3,
    )
    assert recorder.requests == [
        ("/services/T000/B000/secret-token", {"text": "flow etl done"}),
        ("/services/T000/B000/secret-token", {"blocks": [{"type": "section", "text": "3"}]}),
    ]


@pytest.mark.parametrize(
    "kind",
    [
        "io.kestra.plugin.discord.DiscordIncomingWebhook",
        "io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook",
    ],
)
def test_discord_and_teams_send_their_payload(
    kind: str, server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    run_task(
        {
            "type": kind,
            "url": f"{url}/services/T000/B000/secret-token",
            "payload": {"content": "hello {{ who }}"},
        },
        tmp_path,
        who="team",
    )
    assert recorder.requests[0][1] == {"content": "hello team"}


def test_an_error_answer_names_the_task_and_host_never_the_secret_path(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, _ = server
    task = task_of(
        {"id": "notify", "type": SLACK, "url": f"{url}/broken/secret-token", "messageText": "x"}
    )
    logs = Logs()
    with pytest.raises(WebhookError) as caught:
        task.run(context_of(task, tmp_path, logs))
    message = str(caught.value)
    assert message.startswith(f"task 'notify': the webhook at {url} answered 500: no_service")
    assert "secret-token" not in message and "secret-token" not in logs.text()
    assert caught.value.retryable


def test_an_unreachable_webhook_is_clear(tmp_path: Path) -> None:
    port = closed_port()
    with pytest.raises(
        WebhookError, match=rf"task 't': cannot reach the webhook at http://127.0.0.1:{port}"
    ):
        run_task(
            {"type": SLACK, "url": f"http://127.0.0.1:{port}/hook", "messageText": "x"}, tmp_path
        )


def test_a_payload_that_is_not_json_fails_without_retry(tmp_path: Path) -> None:
    with pytest.raises(WebhookError, match="payload is not JSON") as caught:
        run_task({"type": SLACK, "url": "http://127.0.0.1:9/x", "payload": "{nope"}, tmp_path)
    assert caught.value.retryable is False


EXECUTION_VARIABLES: dict[str, Any] = {
    "execution": {"id": "exec1", "startDate": "2024-01-02T03:04:05.000Z", "state": "RUNNING"},
    "tasks": {"extract": {"state": "SUCCESS"}, "load": {"state": "FAILED"}},
}


@pytest.mark.parametrize(
    "kind",
    [
        "io.kestra.plugin.slack.notifications.SlackExecution",
        "io.kestra.plugin.discord.DiscordExecution",
        "io.kestra.plugin.microsoft365.teams.TeamsExecution",
    ],
)
def test_execution_summaries_link_to_the_ui(
    kind: str, server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    run_task(
        {
            "type": kind,
            "url": f"{url}/services/T000/B000/secret-token",
            "customMessage": "state {{ execution.state }}",
            "customFields": {"Env": "prod"},
        },
        tmp_path,
        **EXECUTION_VARIABLES,
    )
    body = json.dumps(recorder.requests[0][1])
    assert "https://kestrel.example/ui/executions/company.team/flow/exec1" in body
    assert "[company.team] flow" in body and "state RUNNING" in body
    for fact in ("Execution ID", "exec1", "Failed tasks", "load", "Env", "prod"):
        assert fact in body
