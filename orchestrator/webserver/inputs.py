"""Inputs of a new execution (or of a resume): JSON, or multipart with uploaded files."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from orchestrator.storage import storage_path, to_uri
from orchestrator.webserver.context import ApiContext
from orchestrator.webserver.errors import bad_request

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str | None, fallback: str) -> str:
    """A file name that is one plain path part (no separators, no ``..``)."""
    base = unquote(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip(".") or fallback
    return cleaned[:200]


async def read_inputs(
    request: web.Request, context: ApiContext, file_prefix: str
) -> dict[str, Any]:
    """The inputs in the body: a JSON object, or multipart fields and files.

    Uploaded files go to the internal storage under ``file_prefix/<input>/<file name>``;
    the input's value is then the file's ``kestrel://`` URI.

    Raises:
        ApiError: 400 for a body that is neither.
    """
    if not request.can_read_body:
        return {}
    if request.content_type.startswith("multipart/"):
        return await _multipart(request, context, file_prefix)
    if request.content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        return {key: str(value) for key, value in form.items()}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise bad_request('the body must be a JSON object of inputs, {"input id": value}')
    return {str(key): item for key, item in value.items()}


async def _multipart(request: web.Request, context: ApiContext, prefix: str) -> dict[str, Any]:
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, HttpProcessingError) as exc:
        raise bad_request(f"unreadable multipart body: {exc}") from exc
    inputs: dict[str, Any] = {}
    while True:
        try:
            part = await reader.next()
        except (ValueError, HttpProcessingError) as exc:
            raise bad_request(f"unreadable multipart body: {exc}") from exc
        if part is None:
            return inputs
        if not isinstance(part, BodyPartReader) or not part.name:
            raise bad_request("every multipart part needs a name: the input's id")
        name = part.name
        if part.filename is not None:
            data = await part.read()
            if "/" in name or name in (".", ".."):
                raise bad_request(f"invalid input name {name!r}")
            path = storage_path(f"{prefix}/{name}/{safe_file_name(part.filename, name)}")
            await context.run(context.storage.put, str(path), bytes(data))
            inputs[name] = to_uri(path)
        else:
            inputs[name] = await part.text()
