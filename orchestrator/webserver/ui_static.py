"""Serves the built web UI (a Vue single-page app) at ``/ui/`` from the Python package.

The UI is built by ``npm run build`` in ``ui/`` into ``orchestrator/webserver/static/ui``
and shipped in the wheel, so an installed Kestrel serves it with no Node. Every path under
``/ui/`` that is not a built file answers ``index.html``: the app's router owns those paths
(``/ui/executions/<id>`` is a page, not a file). ``/`` redirects to ``/ui/``. The UI's files
need no credentials (``/ui/`` is an open path); its pages call the API with the user's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aiohttp import web

UI_PREFIX = "/ui/"
UI_ENTRY_PATHS = ("/", "/ui")
"""Exact paths that only redirect into the UI: served without credentials."""


def ui_dir() -> Path:
    """Where the built UI lives inside the installed ``orchestrator`` package."""
    return Path(str(resources.files("orchestrator"))) / "webserver" / "static" / "ui"


def ui_built(root: Path | None = None) -> bool:
    """Whether the UI has been built (its ``index.html`` exists)."""
    return ((root or ui_dir()) / "index.html").is_file()


def add_ui_routes(app: web.Application, root: Path | None = None) -> None:
    """Adds ``/`` (redirect), ``/ui`` and ``/ui/{path}`` (files, else ``index.html``) to ``app``.

    Args:
        app: The webserver's application; the routes need no authentication (the login
            page is part of the UI; the API behind it checks credentials).
        root: The built UI's folder; the packaged one by default.
    """
    base = (root or ui_dir()).resolve()

    async def redirect(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(UI_PREFIX)

    async def serve(request: web.Request) -> web.StreamResponse:
        index = base / "index.html"
        if not index.is_file():
            return web.Response(
                status=503,
                text=(
                    "The web UI is not built. From a source checkout run `make ui` "
                    "(or `npm ci && npm run build` in ui/); the API works without it.\n"
                ),
            )
        tail = request.match_info.get("path", "")
        candidate = (base / tail).resolve()
        if tail and candidate.is_file() and candidate.is_relative_to(base):
            response = web.FileResponse(candidate)
            if candidate.parent.name == "assets":
                # Built assets carry a content hash in their name: cache them for good.
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response
        if tail.startswith("assets/"):
            raise web.HTTPNotFound(text=f"no such UI file: /ui/{tail}\n")
        response = web.FileResponse(index)
        response.headers["Cache-Control"] = "no-cache"
        return response

    app.router.add_get("/", redirect)
    app.router.add_get("/ui", redirect)
    app.router.add_get(UI_PREFIX + "{path:.*}", serve)
