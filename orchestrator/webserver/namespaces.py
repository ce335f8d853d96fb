"""``/namespaces/{namespace}/files``: a namespace's files, as Kestra's API serves them.

The files live in the internal storage under ``<namespace>/_files/``
(`orchestrator.namespace_files`); tasks with ``namespaceFiles`` get copies of them.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import Field

from orchestrator.namespace_files import NamespaceFilesError, file_path, list_files, put_file
from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import ApiError, bad_request
from orchestrator.webserver.models import ApiModel, QueryModel
from orchestrator.webserver.routes import Body, Registry, parse_query

api = Registry("Namespaces")
_PATH = "/namespaces/{namespace}/files"


class NamespaceFileQuery(QueryModel):
    """A namespace file (``/scripts/etl.py`` or ``scripts/etl.py``)."""

    path: str = Field(min_length=1)


class DirectoryQuery(QueryModel):
    """A folder of the namespace files (the top one by default)."""

    path: str = "/"


class NamespaceFileEntry(ApiModel):
    """A file or folder directly in the listed folder."""

    file_name: str
    type: Literal["File", "Directory"]


def _checked(namespace: str, path: str) -> str:
    try:
        return file_path(namespace, path)
    except NamespaceFilesError as exc:
        raise ApiError(422, str(exc)) from exc


@api.route(
    "GET",
    f"{_PATH}/directory",
    summary="List a folder of a namespace's files",
    query=DirectoryQuery,
    response=list[NamespaceFileEntry],
)
async def directory(request: web.Request) -> web.Response:
    """The files and folders directly in ``path``, folders first."""
    context = context_of(request)
    namespace = request.match_info["namespace"]
    folder = parse_query(request, DirectoryQuery).path.strip("/")
    names = await context.run(list_files, context.storage, namespace)
    prefix = f"{folder}/" if folder else ""
    entries: dict[str, str] = {}
    for name in names:
        if not name.startswith(prefix):
            continue
        head, _, rest = name[len(prefix) :].partition("/")
        entries[head] = "Directory" if rest else entries.get(head, "File")
    ordered = sorted(entries.items(), key=lambda pair: (pair[1] != "Directory", pair[0]))
    return web.json_response([{"fileName": name, "type": kind} for name, kind in ordered])


@api.route(
    "GET",
    _PATH,
    summary="Download a namespace file",
    query=NamespaceFileQuery,
    content_type="application/octet-stream",
)
async def download(request: web.Request) -> web.Response:
    """The file's bytes."""
    context = context_of(request)
    query = parse_query(request, NamespaceFileQuery)
    path = _checked(request.match_info["namespace"], query.path)
    data = await context.run(context.storage.get, path)
    return web.Response(body=data, content_type="application/octet-stream")


@api.route(
    "POST",
    _PATH,
    summary="Upload a namespace file (multipart part fileContent)",
    query=NamespaceFileQuery,
    body=Body("multipart/form-data", dict[str, bytes]),
    status=204,
)
async def upload(request: web.Request) -> web.Response:
    """Store the ``fileContent`` part at ``path`` (replacing a file there)."""
    context = context_of(request)
    namespace = request.match_info["namespace"]
    query = parse_query(request, NamespaceFileQuery)
    _checked(namespace, query.path)
    if not request.content_type.startswith("multipart/"):
        raise bad_request("upload the file as multipart/form-data, in a part named fileContent")
    data = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "fileContent":
                data = bytes(await part.read())
                break
    except (ValueError, AssertionError, HttpProcessingError) as exc:
        raise bad_request(f"unreadable multipart body: {exc}") from exc
    if data is None:
        raise bad_request("the multipart body has no part named fileContent")
    await context.run(put_file, context.storage, namespace, query.path, data)
    return web.Response(status=204)


@api.route(
    "DELETE",
    _PATH,
    summary="Delete a namespace file",
    query=NamespaceFileQuery,
    status=204,
)
async def delete(request: web.Request) -> web.Response:
    """Delete the file at ``path``."""
    context = context_of(request)
    query = parse_query(request, NamespaceFileQuery)
    path = _checked(request.match_info["namespace"], query.path)
    if not await context.run(context.storage.delete, path):
        raise ApiError(404, f"namespace {request.match_info['namespace']} has no file {query.path}")
    return web.Response(status=204)


__all__ = ["api"]
