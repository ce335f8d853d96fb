"""The aiohttp application of the API, and the service that runs it in a thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from orchestrator.control import ExecutionControl
from orchestrator.errors import OrchestratorError
from orchestrator.kafka import ensure_topics
from orchestrator.management import Probe
from orchestrator.repository import Repositories
from orchestrator.settings import KestrelSettings
from orchestrator.storage import LocalStorage
from orchestrator.webserver import (
    dashboard,
    execution_stream,
    executions,
    files,
    flows,
    follow,
    logs,
    meta,
    namespaces,
    plugins,
    stats,
    trigger_stream,
    triggers,
    webhooks,
)
from orchestrator.webserver.auth import Authenticator, auth_middleware
from orchestrator.webserver.context import CONTEXT, ApiContext
from orchestrator.webserver.cors import cors_middleware
from orchestrator.webserver.errors import error_middleware
from orchestrator.webserver.keys import PARTITIONS
from orchestrator.webserver.live import LiveFlows
from orchestrator.webserver.metrics import metrics_middleware
from orchestrator.webserver.openapi import openapi_document
from orchestrator.webserver.routes import Registry, add_routes
from orchestrator.webserver.ui_static import add_ui_routes
from orchestrator.webserver.watch import Partitions

log = logging.getLogger("kestrel.webserver")


class WebserverError(OrchestratorError):
    """The API could not start."""


REGISTRIES: list[Registry] = [
    meta.api,
    webhooks.api,
    execution_stream.api,  # before `/executions/{executionId}`, which would take "follow"
    executions.api,
    files.api,
    follow.api,
    flows.api,
    logs.api,
    follow.logs_api,
    stats.api,
    dashboard.api,
    plugins.api,
    trigger_stream.api,
    triggers.api,
    namespaces.api,
]
"""Every route, in matching order (fixed paths before the parameterised ones)."""


def build_context(settings: KestrelSettings) -> ApiContext:
    """Connect to Kafka and Elasticsearch and read the deployed flows (blocking)."""
    ensure_topics(settings)
    live = LiveFlows(settings)
    live.start()
    return ApiContext(
        settings=settings,
        repositories=Repositories.from_settings(settings),
        flows=live,
        control=ExecutionControl(settings, live, storage_files_only=True),
        storage=LocalStorage.from_settings(settings.storage),
        pool=ThreadPoolExecutor(settings.webserver.threads, thread_name_prefix="api"),
        stream_pool=ThreadPoolExecutor(
            settings.webserver.stream_threads, thread_name_prefix="api-stream"
        ),
    )


def create_app(context: ApiContext) -> web.Application:
    """The API application over ``context`` (which it closes on cleanup)."""
    settings = context.settings.webserver
    middlewares = [metrics_middleware, error_middleware, cors_middleware(settings.cors_origins)]
    middlewares.append(auth_middleware(Authenticator(settings.auth)))
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_body_bytes)
    app[CONTEXT] = context
    app[PARTITIONS] = Partitions(context.settings)
    app[meta.OPENAPI] = openapi_document(REGISTRIES)
    add_routes(app, REGISTRIES)
    meta.add_static(app)
    add_ui_routes(app)

    async def close(_: web.Application) -> None:
        context.close()

    app.on_cleanup.append(close)
    return app


class WebserverService:
    """Runs the API in its own thread and event loop until `stop`."""

    def __init__(
        self,
        settings: KestrelSettings,
        on_ready: Callable[[str], None] | None = None,
        probe: Probe | None = None,
    ) -> None:
        """Serve on ``settings.webserver.host:port``; ``on_ready`` receives the URL.

        ``probe`` is told when the API serves, and beaten by the event loop every second, so
        a blocked loop fails the process' liveness.
        """
        self._settings = settings
        self.probe = probe or Probe("webserver")
        self._on_ready = on_ready
        self._loop = asyncio.new_event_loop()
        self._stop = threading.Event()
        self.ready = threading.Event()
        self.url = ""

    def run(self) -> None:
        """Serve until stopped."""
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        context = await asyncio.to_thread(build_context, self._settings)
        runner = web.AppRunner(create_app(context), handle_signals=False, shutdown_timeout=5)
        await runner.setup()
        config = self._settings.webserver
        site = web.TCPSite(runner, config.host, config.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise WebserverError(
                f"the API cannot listen on {config.host}:{config.port}: {exc.strerror or exc}; "
                "set webserver.port (KESTREL_WEBSERVER__PORT, 0 for any free port)"
            ) from exc
        port = config.port
        for address in runner.addresses:  # the port chosen by the OS when 0 was asked
            port = address[1]
        self.url = f"http://{config.host}:{port}"
        log.info("the API listens on %s (OpenAPI: %s/api/v1/openapi.json)", self.url, self.url)
        self.ready.set()
        self.probe.ready()
        if self._on_ready is not None:
            self._on_ready(self.url)
        beating = asyncio.create_task(self._beat())
        try:
            while not self._stop.is_set():  # stop() may come from any thread, even early
                await asyncio.sleep(0.2)
        finally:
            beating.cancel()
            self.probe.stopped()
            await runner.cleanup()

    async def _beat(self) -> None:
        while True:
            self.probe.beat()
            await asyncio.sleep(1.0)

    def stop(self) -> None:
        """Ask the server to stop (it finishes its requests first, within a few seconds)."""
        self._stop.set()
