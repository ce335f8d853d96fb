"""The error, authentication and CORS middlewares on a small app (no backends)."""

import base64
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient

from orchestrator.webserver.auth import Authenticator, auth_middleware, hash_secret
from orchestrator.webserver.cors import cors_middleware
from orchestrator.webserver.errors import error_middleware
from orchestrator.webserver.settings import ApiUser, AuthSettings

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internals")


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": True})


def app(origins: tuple[str, ...] = ()) -> web.Application:
    auth = Authenticator(
        AuthSettings(
            users=(ApiUser(username="u", password_hash=hash_secret("p")),),
            open_paths=("/open",),
        )
    )
    application = web.Application(
        middlewares=[error_middleware, cors_middleware(origins), auth_middleware(auth)]
    )
    application.router.add_get("/open/boom", boom)
    application.router.add_get("/open/hello", hello)
    application.router.add_get("/closed", hello)
    return application


async def test_an_unexpected_error_is_a_json_500_without_internals(
    aiohttp_client: MakeClient,
) -> None:
    client = await aiohttp_client(app())
    response = await client.get("/open/boom", headers={"X-Request-Id": "abc-1"})
    assert response.status == 500
    body = await response.json()
    assert body == {
        "message": "internal error (request id abc-1)",
        "details": [],
        "requestId": "abc-1",
    }
    assert "secret" not in await response.text()
    unsafe = await client.get("/open/boom", headers={"X-Request-Id": "a b"})
    assert (await unsafe.json())["requestId"] != "a b"


async def test_closed_paths_need_credentials(aiohttp_client: MakeClient) -> None:
    client = await aiohttp_client(app())
    refused = await client.get("/closed")
    assert refused.status == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    basic = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    assert (await client.get("/closed", headers=basic)).status == 200
    assert (await client.get("/open/hello")).status == 200
    missing = await client.get("/nowhere")
    assert missing.status == 401  # no hint about which paths exist without credentials


async def test_cors_is_off_unless_configured(aiohttp_client: MakeClient) -> None:
    off = await aiohttp_client(app())
    response = await off.get("/open/hello", headers={"Origin": "https://ui.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    on = await aiohttp_client(app(("https://ui.example",)))
    preflight = await on.options(
        "/closed",
        headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://ui.example"
    other = await on.get("/open/hello", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
