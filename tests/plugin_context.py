"""Running one task type in-process in tests: a `RunContext` on a temporary storage."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from orchestrator.models.execution import TaskRun
from orchestrator.models.messages import LogEntry
from orchestrator.plugin import RunContext
from orchestrator.storage import LocalStorage
from orchestrator.tasks.base import TASK_TYPES, RunnableTask
from orchestrator.templating import TemplateRenderer


class Logs:
    """A log sink that records every entry."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    def __call__(self, entry: LogEntry) -> None:
        self.entries.append(entry)

    def text(self) -> str:
        return "\n".join(entry.message for entry in self.entries)


def task_of(definition: dict[str, Any]) -> RunnableTask:
    """Validate a task definition (``id`` defaults to ``t``) by its ``type``."""
    body = {"id": "t", **definition}
    task = TASK_TYPES.resolve(str(body["type"])).model_validate(body)
    assert isinstance(task, RunnableTask)
    return task


def context_of(
    task: RunnableTask, tmp_path: Path, logs: Logs | None = None, **variables: Any
) -> RunContext:
    """The context of attempt 1 of ``task``, its storage and scratch folders in ``tmp_path``."""
    run = TaskRun(
        id="run1", execution_id="exec1", namespace="company.team", flow_id="flow", task_id=task.id
    )
    return RunContext(
        task=task,
        task_run=run,
        attempt=1,
        variables=variables,
        renderer=TemplateRenderer(),
        log_sink=logs if logs is not None else Logs(),
        storage=LocalStorage(tmp_path / "storage"),
        working_dir=tmp_path / "work",
    )


def run_task(definition: dict[str, Any], tmp_path: Path, **variables: Any) -> dict[str, Any]:
    """Run a task definition in this thread and return its outputs."""
    task = task_of(definition)
    return task.run(context_of(task, tmp_path, **variables)) or {}


@contextmanager
def http_server(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) from a thread; yield its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    assert ready.wait(10)
    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
