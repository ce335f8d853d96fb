"""Request count and latency of the API, by route (its path template, bounded) and status."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from orchestrator.management.metrics import WEBSERVER_DURATION, WEBSERVER_REQUESTS


def _route(request: web.Request) -> str:
    """The matched path template, such as ``/api/v1/{tenant}/executions/{executionId}``.

    Never the path itself: one label value per route, whatever the ids.
    """
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every answer (errors included) and time it up to the response's start."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = _route(request)
        WEBSERVER_REQUESTS.labels(route, request.method, str(status)).inc()
        WEBSERVER_DURATION.labels(route, request.method).observe(time.perf_counter() - started)
