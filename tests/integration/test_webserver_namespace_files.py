"""``/namespaces/{namespace}/files``: upload, list, download and delete namespace files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from webserver_helpers import AUTH, with_auth

from orchestrator.namespace_files import list_files
from orchestrator.settings import KestrelSettings
from orchestrator.storage import LocalStorage
from orchestrator.webserver.app import build_context, create_app

pytestmark = pytest.mark.integration
Client = TestClient[web.Request, web.Application]
FILES = "/api/v1/main/namespaces/company.team/files"


@pytest.fixture
async def client(
    settings: KestrelSettings, aiohttp_client: Callable[[web.Application], Awaitable[Client]]
) -> AsyncIterator[Client]:
    context = await asyncio.to_thread(build_context, with_auth(settings))
    yield await aiohttp_client(create_app(context))


def _form(content: bytes) -> FormData:
    form = FormData()
    form.add_field("fileContent", content, filename="x", content_type="text/plain")
    return form


async def test_namespace_files_through_the_api(settings: KestrelSettings, client: Client) -> None:
    for path, content in (("/scripts/etl.py", b"print(1)"), ("/README.md", b"# team")):
        done = await client.post(f"{FILES}?path={path}", data=_form(content), headers=AUTH)
        assert done.status == 204, await done.text()
    # What the API stored is what tasks get: the store under the namespace.
    storage = LocalStorage.from_settings(settings.storage)
    assert list_files(storage, "company.team") == ["README.md", "scripts/etl.py"]

    top = await client.get(f"{FILES}/directory", headers=AUTH)
    assert await top.json() == [
        {"fileName": "scripts", "type": "Directory"},
        {"fileName": "README.md", "type": "File"},
    ]
    inner = await client.get(f"{FILES}/directory?path=/scripts", headers=AUTH)
    assert await inner.json() == [{"fileName": "etl.py", "type": "File"}]
    got = await client.get(f"{FILES}?path=/scripts/etl.py", headers=AUTH)
    assert got.status == 200 and await got.read() == b"print(1)"

    escaping = await client.get(f"{FILES}?path=../../other/_files/x", headers=AUTH)
    assert escaping.status == 422
    assert (await client.post(f"{FILES}?path=/a.txt", data=b"raw", headers=AUTH)).status == 400
    assert (await client.delete(f"{FILES}?path=/README.md", headers=AUTH)).status == 204
    assert (await client.delete(f"{FILES}?path=/README.md", headers=AUTH)).status == 404
    assert (await client.get(f"{FILES}?path=/README.md", headers=AUTH)).status == 404


async def test_an_unreadable_multipart_body_is_a_bad_request(client: Client) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="\x10>\x1e\xc3\x8a"\r\n\r\nx\r\n--b--\r\n'
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=b"}
    answer = await client.post(f"{FILES}?path=/a.txt", data=body, headers=headers)
    assert answer.status == 400, await answer.text()
    assert "unreadable multipart body" in await answer.text()
