"""What every handler uses: settings, repositories, the control plane, storage, threads."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from aiohttp import web

from orchestrator.control import ExecutionControl
from orchestrator.repository import Repositories
from orchestrator.settings import KestrelSettings
from orchestrator.storage import Storage
from orchestrator.webserver.live import LiveFlows

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class ApiContext:
    """The services behind the API, built once per app."""

    settings: KestrelSettings
    repositories: Repositories
    flows: LiveFlows
    control: ExecutionControl
    storage: Storage
    pool: ThreadPoolExecutor
    stream_pool: ThreadPoolExecutor
    """Threads of the Kafka readers behind ``?wait`` and the SSE follows, apart from
    ``pool`` so that many open streams never starve ordinary requests."""

    async def poll(self, call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking Kafka read on the streams' threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.stream_pool, functools.partial(call, *args, **kwargs)
        )

    async def run(self, call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking call (Elasticsearch, Kafka) on the API's threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(call, *args, **kwargs))

    def close(self) -> None:
        """Release every client and thread."""
        self.flows.close()
        self.control.close()
        self.repositories.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.stream_pool.shutdown(wait=False, cancel_futures=True)


CONTEXT = web.AppKey("context", ApiContext)


def context_of(request: web.Request) -> ApiContext:
    """The context of the app serving ``request``."""
    return request.app[CONTEXT]
