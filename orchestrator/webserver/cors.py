"""CORS: off unless origins are configured."""

from __future__ import annotations

from aiohttp import web

from orchestrator.webserver.errors import Handler

_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
_ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS"


def cors_middleware(origins: tuple[str, ...]) -> web.middleware:  # type: ignore[valid-type]
    """Answer preflights and add the CORS headers for the configured ``origins`` only."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        allowed = origin is not None and (origin in origins or "*" in origins)
        if request.method == "OPTIONS" and allowed:
            response: web.StreamResponse = web.Response(status=204)
        else:
            response = await handler(request)
        if allowed and not response.prepared:
            response.headers["Access-Control-Allow-Origin"] = origin or ""
            response.headers["Access-Control-Allow-Headers"] = _ALLOW_HEADERS
            response.headers["Access-Control-Allow-Methods"] = _ALLOW_METHODS
            response.headers["Vary"] = "Origin"
        return response

    return middleware
