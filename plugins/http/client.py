"""One HTTP exchange on aiohttp, run from a worker thread.

The task's properties are rendered first; the exchange then runs on a private event loop
(one per task run: worker threads have none), watching ``ctx.cancelled`` so a kill or a
timeout ends it. The response body is handed to ``write`` chunk by chunk, so a download
never sits in memory.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from orchestrator.plugin import TaskFailedError, is_storage_uri
from plugins.http.errors import HttpTransportError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext
    from plugins.http.options import HttpOptions, HttpTask

_CHUNK = 64 * 1024
_CANCEL_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class HttpResponse:
    """What came back, without the body (handed to the caller's writer)."""

    code: int
    headers: dict[str, list[str]]
    """Every header, by name, with all its values (Kestra's shape)."""
    uri: str
    """The final URL, after redirects."""
    length: int
    """Bytes of body received."""
    content_type: str
    """The media type of the body, lower case, without parameters ("" when absent)."""
    charset: str | None
    """The charset the server declared, if any."""


@dataclass(frozen=True)
class _Request:
    method: str
    uri: str
    headers: dict[str, str]
    data: Any
    options: HttpOptions
    verify_ssl: bool


def exchange(
    ctx: RunContext,
    task: HttpTask,
    write: Callable[[bytes], object],
    limit: int | None = None,
) -> HttpResponse:
    """Send the task's request and stream its body to ``write``.

    Args:
        ctx: the run context (rendering, logs, cancellation).
        task: the HTTP task whose properties describe the request.
        write: receives each chunk of the body.
        limit: the largest body accepted, in bytes (None: no limit).

    Raises:
        HttpTransportError: the request could not be sent, timed out, or the body was
            longer than ``limit``.
        TaskFailedError: the task was killed.
    """
    request = _render(ctx, task)
    ctx.logger.debug(f"{request.method} {request.uri}")
    return asyncio.run(_exchange_or_cancel(ctx, request, write, limit))


def _render(ctx: RunContext, task: HttpTask) -> _Request:
    options = task.options
    headers = {
        str(name): _text(value)
        for name, value in {
            **ctx.render(options.headers, "options.headers"),
            **ctx.render(task.headers, "headers"),
        }.items()
    }
    auth = _authorization(ctx, options)
    if auth is not None and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = auth
    data: Any = None
    content_type = ctx.render_text(task.content_type, "contentType")
    if task.form_data is not None:
        data = _form(ctx, ctx.render(task.form_data, "formData"), content_type)
    elif task.body is not None:
        body = ctx.render(task.body, "body")
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = content_type
    return _Request(
        method=ctx.render_text(task.method, "method").upper(),
        uri=ctx.render_text(task.uri, "uri"),
        headers=headers,
        data=data,
        options=options,
        verify_ssl=not task.ssl_options.insecure_trust_all_certificates,
    )


def _authorization(ctx: RunContext, options: HttpOptions) -> str | None:
    auth = options.auth
    if auth is not None and auth.type == "BEARER":
        return f"Bearer {ctx.render_text(auth.token or '', 'options.auth.token')}"
    user, password = options.basic_auth_user, options.basic_auth_password
    if auth is not None:
        user, password = auth.username, auth.password
    if user is None and password is None:
        return None
    pair = (
        f"{ctx.render_text(user or '', 'options.auth.username')}:"
        f"{ctx.render_text(password or '', 'options.auth.password')}"
    )
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _form(ctx: RunContext, fields: dict[str, Any], content_type: str) -> aiohttp.FormData:
    multipart = content_type.lower().startswith("multipart/")
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        if multipart and is_storage_uri(value):
            filename = str(value).rsplit("/", 1)[-1]
            form.add_field(str(name), ctx.get_file(str(value)), filename=filename)
        elif multipart and isinstance(value, dict) and "content" in value:
            # Kestra's file part: {name, content, contentType}.
            content = value["content"]
            data = ctx.get_file(content) if is_storage_uri(content) else _text(content).encode()
            form.add_field(
                str(name),
                data,
                filename=str(value.get("name") or name),
                content_type=value.get("contentType"),
            )
        else:
            form.add_field(str(name), _text(value))
    if multipart:
        form._is_multipart = True  # aiohttp's only switch for a file-less multipart form
    return form


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)


async def _exchange_or_cancel(
    ctx: RunContext, request: _Request, write: Callable[[bytes], object], limit: int | None
) -> HttpResponse:
    work = asyncio.ensure_future(_exchange(request, write, limit))
    while not work.done():
        await asyncio.wait({work}, timeout=_CANCEL_POLL_SECONDS)
        if ctx.cancelled.is_set() and not work.done():
            work.cancel()
            raise TaskFailedError("Request killed", retryable=False, error_type="Killed")
    return work.result()


async def _exchange(
    request: _Request, write: Callable[[bytes], object], limit: int | None
) -> HttpResponse:
    options = request.options
    timeout = aiohttp.ClientTimeout(
        total=_seconds(options.timeout or options.read_timeout),
        sock_connect=_seconds(options.connect_timeout),
        sock_read=_seconds(options.read_idle_timeout),
    )
    connector = aiohttp.TCPConnector(ssl=request.verify_ssl)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
            session.request(
                request.method,
                request.uri,
                headers=request.headers,
                data=request.data,
                allow_redirects=options.follow_redirects,
            ) as response,
        ):
            length = 0
            async for chunk in response.content.iter_chunked(_CHUNK):
                length += len(chunk)
                if limit is not None and length > limit:
                    raise HttpTransportError(
                        f"the response body of {request.uri} is longer than "
                        f"{limit} bytes (options.maxContentLength)"
                    )
                write(chunk)
            headers: dict[str, list[str]] = {}
            for name, value in response.headers.items():
                headers.setdefault(name, []).append(value)
            return HttpResponse(
                code=response.status,
                headers=headers,
                uri=str(response.url),
                length=length,
                content_type=response.content_type.lower() if response.content_type else "",
                charset=response.charset,
            )
    except TimeoutError as exc:
        raise HttpTransportError(f"request to {request.uri} timed out") from exc
    except aiohttp.InvalidURL as exc:
        raise HttpTransportError(f"invalid uri {request.uri!r}") from exc
    except aiohttp.ClientError as exc:
        raise HttpTransportError(f"request to {request.uri} failed: {exc}") from exc


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value.total_seconds())


def accepted(code: int, task: HttpTask) -> bool:
    """Whether a response code succeeds for ``task`` (allowFailed, allowedResponseCodes)."""
    options = task.options
    if options.allowed_response_codes:
        return code in options.allowed_response_codes
    return task.allow_failed or options.allow_failed or code < 400


__all__ = ["HttpResponse", "accepted", "exchange"]
