"""The HTTP tasks against a real local aiohttp server."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from plugin_context import http_server, run_task

from orchestrator.storage import LocalStorage
from plugins.http import HttpFailedError, HttpTransportError
from plugins.http.request import MAX_INLINE_BODY

BIG = b"x" * (MAX_INLINE_BODY + 10)


async def echo(request: web.Request) -> web.Response:
    form = (
        await request.post()
        if request.content_type.startswith(("multipart/", "application/x-www"))
        else {}
    )
    fields = {
        name: (value if isinstance(value, str) else value.file.read().decode())
        for name, value in form.items()
    }
    return web.json_response(
        {
            "method": request.method,
            "headers": dict(request.headers),
            "body": "" if form else (await request.text()),
            "form": fields,
            "query": dict(request.query),
        }
    )


async def missing(request: web.Request) -> web.Response:
    return web.Response(status=404, text="no such thing")


async def text(request: web.Request) -> web.Response:
    return web.Response(text="plain words", headers={"X-Custom": "yes"})


async def big(request: web.Request) -> web.Response:
    return web.Response(body=BIG, content_type="application/octet-stream")


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="late")


async def csv_file(request: web.Request) -> web.Response:
    return web.Response(
        body=b"a,b\n1,2\n",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


async def empty(request: web.Request) -> web.Response:
    return web.Response(body=b"")


@pytest.fixture
def server() -> Iterator[str]:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/missing", missing)
    app.router.add_get("/text", text)
    app.router.add_get("/big", big)
    app.router.add_get("/slow", slow)
    app.router.add_get("/files/data", csv_file)
    app.router.add_get("/empty", empty)
    with http_server(app) as url:
        yield url


REQUEST = "io.kestra.plugin.core.http.Request"
DOWNLOAD = "io.kestra.plugin.core.http.Download"


def test_post_json_body_with_headers_and_bearer_auth(server: str, tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": REQUEST,
            "uri": f"{server}/echo?x={{{{ inputs.x }}}}",
            "method": "POST",
            "body": '{"name": "{{ inputs.x }}"}',
            "headers": {"X-Trace": "abc"},
            "options": {"auth": {"type": "BEARER", "token": "t0k"}},
        },
        tmp_path,
        inputs={"x": "ada"},
    )
    assert outputs["code"] == 200
    body = outputs["body"]  # JSON answers are parsed
    assert body["method"] == "POST"
    assert json.loads(body["body"]) == {"name": "ada"}
    assert body["query"] == {"x": "ada"}
    assert body["headers"]["X-Trace"] == "abc"
    assert body["headers"]["Authorization"] == "Bearer t0k"
    assert body["headers"]["Content-Type"] == "application/json"
    assert outputs["headers"]["Content-Type"] == ["application/json; charset=utf-8"]


def test_basic_auth_and_multipart_form(server: str, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    uri = storage.put("ns/f/file.txt", b"file content")
    outputs = run_task(
        {
            "type": REQUEST,
            "uri": f"{server}/echo",
            "method": "POST",
            "contentType": "multipart/form-data",
            "formData": {"user": "John Doe", "upload": uri},
            "options": {"basicAuthUser": "admin", "basicAuthPassword": "secret"},
        },
        tmp_path,
    )
    body = outputs["body"]
    assert body["form"] == {"user": "John Doe", "upload": "file content"}
    expected = "Basic " + base64.b64encode(b"admin:secret").decode()
    assert body["headers"]["Authorization"] == expected


def test_url_encoded_form(server: str, tmp_path: Path) -> None:
    outputs = run_task(
        {"type": REQUEST, "uri": f"{server}/echo", "method": "POST", "formData": {"a": 1}},
        tmp_path,
    )
    assert outputs["body"]["form"] == {"a": "1"}


def test_text_body_stays_text(server: str, tmp_path: Path) -> None:
    outputs = run_task({"type": REQUEST, "uri": f"{server}/text"}, tmp_path)
    assert outputs["body"] == "plain words"
    assert outputs["headers"]["X-Custom"] == ["yes"]


def test_4xx_fails_the_task(server: str, tmp_path: Path) -> None:
    with pytest.raises(HttpFailedError, match="response code '404'") as caught:
        run_task({"type": REQUEST, "uri": f"{server}/missing"}, tmp_path)
    assert caught.value.code == 404


@pytest.mark.parametrize(
    "allow", [{"options": {"allowFailed": True}}, {"allowFailed": True}], ids=["options", "top"]
)
def test_4xx_with_allow_failed_returns_the_answer(
    server: str, tmp_path: Path, allow: dict[str, object]
) -> None:
    outputs = run_task({"type": REQUEST, "uri": f"{server}/missing", **allow}, tmp_path)
    assert outputs["code"] == 404
    assert outputs["body"] == "no such thing"


def test_big_body_goes_to_the_internal_storage(server: str, tmp_path: Path) -> None:
    outputs = run_task({"type": REQUEST, "uri": f"{server}/big"}, tmp_path)
    assert outputs["body"].startswith("kestrel://")
    assert LocalStorage(tmp_path / "storage").get(outputs["body"]) == BIG


def test_body_over_max_content_length_fails(server: str, tmp_path: Path) -> None:
    with pytest.raises(HttpTransportError, match="maxContentLength"):
        run_task(
            {"type": REQUEST, "uri": f"{server}/big", "options": {"maxContentLength": 1000}},
            tmp_path,
        )


def test_timeout_fails_with_a_clear_message(server: str, tmp_path: Path) -> None:
    with pytest.raises(HttpTransportError, match="timed out"):
        run_task(
            {"type": REQUEST, "uri": f"{server}/slow", "options": {"readIdleTimeout": "PT0.3S"}},
            tmp_path,
        )


def test_unreachable_server_fails(tmp_path: Path) -> None:
    with pytest.raises(HttpTransportError, match="failed"):
        run_task({"type": REQUEST, "uri": "http://127.0.0.1:1/nothing"}, tmp_path)


def test_download_stores_the_file(server: str, tmp_path: Path) -> None:
    outputs = run_task({"type": DOWNLOAD, "uri": f"{server}/files/data"}, tmp_path)
    assert outputs["code"] == 200
    assert outputs["length"] == 8
    assert outputs["uri"].endswith("/orders.csv")
    assert LocalStorage(tmp_path / "storage").get(outputs["uri"]) == b"a,b\n1,2\n"


def test_download_of_big_body_streams_to_storage(server: str, tmp_path: Path) -> None:
    outputs = run_task({"type": DOWNLOAD, "uri": f"{server}/big"}, tmp_path)
    assert outputs["length"] == len(BIG)
    assert outputs["uri"].endswith("/big")


def test_download_empty_body_fails_unless_allowed(server: str, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="No response"):
        run_task({"type": DOWNLOAD, "uri": f"{server}/empty"}, tmp_path)
    outputs = run_task(
        {"type": DOWNLOAD, "uri": f"{server}/empty", "failOnEmptyResponse": False}, tmp_path
    )
    assert outputs["length"] == 0


def test_download_404_fails(server: str, tmp_path: Path) -> None:
    with pytest.raises(HttpFailedError):
        run_task({"type": DOWNLOAD, "uri": f"{server}/missing"}, tmp_path)


def test_unknown_option_is_refused() -> None:
    from plugin_context import task_of
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="bogus"):
        task_of({"type": REQUEST, "uri": "http://x", "options": {"bogus": 1}})
