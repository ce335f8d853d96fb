"""Health, the OpenAPI document and the Swagger UI page (served from vendored files)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from aiohttp import web

from orchestrator.webserver.context import context_of
from orchestrator.webserver.models import ApiModel
from orchestrator.webserver.routes import TENANT, Registry

api = Registry("Meta")
OPENAPI = web.AppKey("openapi", dict)

_SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Kestrel API</title>
<link rel="stylesheet" href="/api/v1/swagger-ui/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/v1/swagger-ui/static/swagger-ui-bundle.js"></script>
<script src="/api/v1/swagger-ui/static/swagger-ui-init.js"></script>
</body></html>
"""
_SWAGGER_INIT = (
    'window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui"});\n'
)


def swagger_files() -> Path | None:
    """Where the vendored Swagger UI files are (the ``swagger-ui-bundle`` package)."""
    try:
        import swagger_ui_bundle  # type: ignore[import-untyped]
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


@api.route("GET", "/health", summary="Liveness", api=False)
async def health(request: web.Request) -> web.Response:
    """Always UP while the process serves."""
    return web.json_response({"status": "UP"})


class Configs(ApiModel):
    """What a client learns about this server first (Kestra's ``/api/v1/configs``)."""

    version: str
    edition: str
    is_basic_auth_enabled: bool
    tenants: list[str]


@api.route(
    "GET", "/api/v1/configs", summary="Server version and features", api=False, response=Configs
)
async def configs(request: web.Request) -> web.Response:
    """The version, the single tenant, whether basic authentication is on."""
    settings = context_of(request).settings.webserver
    return web.json_response(
        {
            "version": _version(),
            "edition": "OSS",
            "isBasicAuthEnabled": settings.auth.enabled,
            "tenants": [TENANT],
        }
    )


def _version() -> str:
    try:
        return version("kestrelflow")
    except PackageNotFoundError:
        return "unknown"


@api.route("GET", "/api/v1/openapi.json", summary="This API's OpenAPI 3.1 document", api=False)
async def openapi(request: web.Request) -> web.Response:
    """The document generated from the routes' models."""
    return web.json_response(request.app[OPENAPI])


@api.route("GET", "/api/v1/swagger-ui", summary="Swagger UI", api=False, content_type="text/html")
async def swagger_ui(request: web.Request) -> web.Response:
    """A page browsing the OpenAPI document."""
    return web.Response(text=_SWAGGER_PAGE, content_type="text/html")


@api.route(
    "GET",
    "/api/v1/swagger-ui/static/swagger-ui-init.js",
    summary="Swagger UI set-up",
    api=False,
    content_type="text/javascript",
)
async def swagger_init(request: web.Request) -> web.Response:
    """Points the page at the OpenAPI document."""
    return web.Response(text=_SWAGGER_INIT, content_type="text/javascript")


def add_static(app: web.Application) -> None:
    """Serve the vendored Swagger UI files (when the package is installed)."""
    folder = swagger_files()
    if folder is not None and folder.is_dir():
        app.router.add_static("/api/v1/swagger-ui/static/", folder, follow_symlinks=False)
