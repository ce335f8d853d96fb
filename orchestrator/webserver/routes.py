"""A small route registry: each route declares its query, body and response models.

The same declarations serve aiohttp (the routes are added to the app) and the OpenAPI
document (`orchestrator.webserver.openapi`), so the document cannot drift from the code.
Every route is served under Kestra's 1.x path ``/api/v1/main/...`` (the single tenant) and
the older ``/api/v1/...``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, ValidationError

from orchestrator.webserver.errors import from_validation

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ModelT = TypeVar("ModelT", bound=BaseModel)

TENANT = "main"
PREFIXES = (f"/api/v1/{TENANT}", "/api/v1")
"""Every API path is served under both; the first is the documented one."""


@dataclass(frozen=True)
class Body:
    """What a route reads from its body: a content type and (for JSON) a model or type."""

    content_type: str
    schema: Any = None
    required: bool = True


@dataclass(frozen=True)
class Route:
    """One route: where, what it reads, what it answers (for the OpenAPI document too)."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: Body | None = None
    response: Any = None
    status: int = 200
    content_type: str = "application/json"
    api: bool = True
    """Under the API prefixes (else served as is, like ``/health``)."""


@dataclass
class Registry:
    """The routes of one resource module."""

    tag: str
    routes: list[Route] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        query: type[BaseModel] | None = None,
        body: Body | None = None,
        response: Any = None,
        status: int = 200,
        content_type: str = "application/json",
        api: bool = True,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated handler for ``method path``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    path,
                    handler,
                    summary,
                    self.tag,
                    query,
                    body,
                    response,
                    status,
                    content_type,
                    api,
                )
            )
            return handler

        return register


def add_routes(app: web.Application, registries: list[Registry]) -> None:
    """Add every route of ``registries`` to ``app`` under each API prefix."""
    for prefix in PREFIXES:
        for registry in registries:
            for route in registry.routes:
                if route.api:
                    app.router.add_route(route.method, prefix + route.path, route.handler)
    for registry in registries:
        for route in registry.routes:
            if not route.api:
                app.router.add_route(route.method, route.path, route.handler)


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set):
        return True
    return any(_is_list(arg) for arg in get_args(annotation) if arg is not type(None))


def parse_query(request: web.Request, model: type[ModelT]) -> ModelT:
    """Read ``request``'s query string into ``model`` (list fields take repeated keys).

    Raises:
        ApiError: 400 naming each invalid parameter.
    """
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in request.query:
            continue
        data[key] = request.query.getall(key) if _is_list(info.annotation) else request.query[key]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, "query") from exc


def parse_json(value: Any, model: type[ModelT], where: str = "body") -> ModelT:
    """Validate a decoded JSON body against ``model``.

    Raises:
        ApiError: 400 naming each invalid field.
    """
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise from_validation(exc, where) from exc
