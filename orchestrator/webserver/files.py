"""An execution's files in the internal storage: download, preview, size.

Only files under the execution's own folder (``<ns>/<flow>/executions/<id>/``) are served:
the path is checked against it before the storage is asked, and the storage refuses any
path that would leave its root.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from orchestrator.storage import storage_path, to_uri
from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import ApiError
from orchestrator.webserver.executions import find_execution
from orchestrator.webserver.inputs import safe_file_name
from orchestrator.webserver.models import ApiModel, FileQuery
from orchestrator.webserver.routes import Registry, parse_query

api = Registry("Executions")
_CHUNK = 256 * 1024
_PREVIEW_BYTES = 1024 * 1024


class FilePreview(ApiModel):
    """The first lines of a text file (Kestra's ``FileRender``)."""

    extension: str
    type: str
    content: Any = None
    truncated: bool = False


class FileMetas(ApiModel):
    """A file's size in bytes."""

    size: int


async def _checked_uri(request: web.Request) -> tuple[str, FileQuery]:
    context = context_of(request)
    query = parse_query(request, FileQuery)
    execution = await find_execution(context, request.match_info["executionId"])
    path = storage_path(query.path)
    own = storage_path(f"{execution.namespace}/{execution.flow_id}/executions/{execution.id}")
    if not path.is_relative_to(own):
        raise ApiError(
            422,
            f"{query.path} is not a file of execution {execution.id} (expected {to_uri(own)}/...)",
        )
    return to_uri(path), query


@api.route(
    "GET",
    "/executions/{executionId}/file",
    summary="Download a file of an execution",
    query=FileQuery,
    content_type="application/octet-stream",
)
async def download(request: web.Request) -> web.StreamResponse:
    """The file's bytes, as an attachment."""
    context = context_of(request)
    uri, _ = await _checked_uri(request)
    handle = await context.run(context.storage.open, uri)
    try:
        name = safe_file_name(uri.rsplit("/", 1)[-1], "file")
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f'attachment; filename="{name}"',
            }
        )
        await response.prepare(request)
        while chunk := await context.run(handle.read, _CHUNK):
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        await context.run(handle.close)


@api.route(
    "GET",
    "/executions/{executionId}/file/preview",
    summary="Preview a file of an execution",
    query=FileQuery,
    response=FilePreview,
)
async def preview(request: web.Request) -> web.Response:
    """The first ``maxRows`` lines of a text file (a list for ``.ion``/``.jsonl``)."""
    context = context_of(request)
    uri, query = await _checked_uri(request)

    def head() -> tuple[bytes, bool]:
        with context.storage.open(uri) as handle:
            data = handle.read(_PREVIEW_BYTES + 1)
        return data[:_PREVIEW_BYTES], len(data) > _PREVIEW_BYTES

    data, cut = await context.run(head)
    extension = uri.rsplit(".", 1)[-1] if "." in uri.rsplit("/", 1)[-1] else ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return web.json_response({"extension": extension, "type": "BINARY", "truncated": cut})
    lines = text.splitlines()
    truncated = cut or len(lines) > query.max_rows
    lines = lines[: query.max_rows]
    if extension in ("ion", "jsonl"):
        return web.json_response(
            {"extension": extension, "type": "LIST", "content": lines, "truncated": truncated}
        )
    return web.json_response(
        {
            "extension": extension,
            "type": "TEXT",
            "content": "\n".join(lines),
            "truncated": truncated,
        }
    )


@api.route(
    "GET",
    "/executions/{executionId}/file/metas",
    summary="The size of a file of an execution",
    query=FileQuery,
    response=FileMetas,
)
async def metas(request: web.Request) -> web.Response:
    """The file's size in bytes."""
    context = context_of(request)
    uri, _ = await _checked_uri(request)

    def size() -> int:
        with context.storage.open(uri) as handle:
            handle.seek(0, 2)
            return int(handle.tell())

    return web.json_response({"size": await context.run(size)})
