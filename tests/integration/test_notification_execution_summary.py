"""SlackExecution reads another execution from the execution index (Elasticsearch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from indexer_samples import snapshots
from plugin_context import http_server, run_task

from orchestrator.models.state import StateType
from orchestrator.repository import Repositories, ensure_indices
from orchestrator.repository.documents import execution_document
from orchestrator.repository.indices import IndexKind
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration


def test_slack_execution_summarises_an_indexed_execution(
    settings: KestrelSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = snapshots("failed-1", StateType.FAILED, namespace="prod.sales", flow_id="etl")[-1]
    with Repositories.from_settings(settings) as repositories:
        ensure_indices(repositories.client, repositories.names, [IndexKind.EXECUTIONS])
        repositories.client.index(
            index=repositories.names.alias(IndexKind.EXECUTIONS),
            id=failed.id,
            document=execution_document(failed),
            refresh=True,
        )
    monkeypatch.setenv("KESTREL_ELASTICSEARCH__URL", settings.elasticsearch.url)
    monkeypatch.setenv("KESTREL_ELASTICSEARCH__INDEX_PREFIX", settings.elasticsearch.index_prefix)
    received: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    with http_server(app) as url:
        run_task(
            {
                "type": "io.kestra.plugin.slack.notifications.SlackExecution",
                "url": f"{url}/hook",
                "executionId": "{{ trigger.executionId }}",
                "channel": "#alerts",
            },
            tmp_path,
            trigger={"executionId": "failed-1"},
            kestra={"url": "https://ui.example/"},
        )
    [body] = received
    assert body["channel"] == "#alerts"
    assert body["text"] == (
        "<https://ui.example/ui/executions/prod.sales/etl/failed-1|[prod.sales] etl ➛ FAILED>"
    )
    fields = {field["title"]: field["value"] for field in body["attachments"][0]["fields"]}
    assert fields["Execution ID"] == "failed-1"
    assert fields["Last task ID"] == "second"
    assert fields["Failed tasks"] == "second"
    assert fields["Duration"] == "2.0s"
