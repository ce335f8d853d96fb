"""The built UI is served at /ui/ with a single-page-app fallback, and / redirects there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from orchestrator.webserver.ui_static import add_ui_routes, ui_dir

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html>kestrel ui</html>")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    return tmp_path


async def client_for(root: Path) -> Client:
    app = web.Application()
    add_ui_routes(app, root)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def client(built: Path) -> AsyncIterator[Client]:
    c = await client_for(built)
    yield c
    await c.close()


async def test_root_redirects_to_the_ui(client: Client) -> None:
    response = await client.get("/", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/ui/"


async def test_assets_are_served_and_cached(client: Client) -> None:
    response = await client.get("/ui/assets/app-1234.js")
    assert response.status == 200
    assert await response.text() == "console.log('app')"
    assert "immutable" in response.headers["Cache-Control"]


async def test_app_paths_fall_back_to_index(client: Client) -> None:
    for path in ("/ui/", "/ui/executions/abc/logs", "/ui/flows/a.b/c"):
        response = await client.get(path)
        assert response.status == 200, path
        assert "kestrel ui" in await response.text()


async def test_missing_asset_is_404_not_index(client: Client) -> None:
    response = await client.get("/ui/assets/gone.js")
    assert response.status == 404


async def test_no_escape_from_the_ui_folder(client: Client) -> None:
    response = await client.get("/ui/%2E%2E/secret.txt")
    assert "not for the web" not in await response.text()


async def test_unbuilt_ui_says_how_to_build(tmp_path: Path) -> None:
    c = await client_for(tmp_path / "nothing")
    try:
        response = await c.get("/ui/")
        assert response.status == 503
        assert "make ui" in await response.text()
    finally:
        await c.close()


def test_packaged_location_is_inside_orchestrator() -> None:
    assert ui_dir().parts[-4:] == ("orchestrator", "webserver", "static", "ui")
