"""``io.kestra.plugin.core.http.Request``: call an HTTP API and keep its answer as outputs."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any, ClassVar

from orchestrator.plugin import TaskFailedError
from plugins.http.client import HttpResponse, accepted, exchange
from plugins.http.errors import HttpFailedError
from plugins.http.options import HttpTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

MAX_INLINE_BODY = 256 * 1024
"""Larger bodies go to the internal storage: outputs travel in Kafka messages."""


class Request(HttpTask):
    """Send an HTTP request and return the response as outputs.

    Outputs: ``uri`` (the final URL), ``code``, ``headers`` (name -> list of values) and
    ``body``: parsed when the response is JSON, else text. A body longer than 256 KiB is
    stored in the internal storage and ``body`` holds its ``kestrel://`` URI. A 4xx or 5xx
    answer fails the task unless ``options.allowFailed`` is set.

    Example:
        ```yaml
        - id: api
          type: io.kestra.plugin.core.http.Request
          uri: https://dummyjson.com/products
          method: GET
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.http.Request"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.http.Request",
        "io.kestra.plugin.fs.http.Request",
    )

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Send the request; fail on a refused response code.

        Raises:
            HttpFailedError: the response code is not accepted.
            HttpTransportError: the request failed, timed out, or the body is too long.
        """
        buffer = io.BytesIO()
        response = exchange(ctx, self, buffer.write, self.options.max_content_length)
        if not accepted(response.code, self):
            ctx.logger.error(_excerpt(buffer.getvalue(), response))
            raise HttpFailedError(response.code, response.uri)
        ctx.logger.debug(f"response code {response.code}, {response.length} bytes")
        return {
            "uri": response.uri,
            "code": response.code,
            "headers": response.headers,
            "body": _body(ctx, buffer.getvalue(), response, self.options.default_charset),
        }


def _body(ctx: RunContext, data: bytes, response: HttpResponse, charset: str) -> Any:
    if not data:
        return None
    if len(data) > MAX_INLINE_BODY:
        with ctx.working_directory() as folder:
            path = folder / "body"
            path.write_bytes(data)
            uri = ctx.put_file(path, "body")
        ctx.logger.info(f"the response body ({len(data)} bytes) is stored as {uri}")
        return uri
    text = _decode(data, response, charset)
    if _is_json(response.content_type):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            ctx.logger.warn("the response says JSON but its body does not parse; kept as text")
    return text


def _decode(data: bytes, response: HttpResponse, charset: str) -> str:
    try:
        return data.decode(response.charset or charset, errors="replace")
    except LookupError as exc:
        raise TaskFailedError(f"unknown charset: {exc}", retryable=False) from exc


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _excerpt(data: bytes, response: HttpResponse) -> str:
    text = data[:2000].decode(response.charset or "utf-8", errors="replace")
    return f"response {response.code} from {response.uri}: {text}"


__all__ = ["MAX_INLINE_BODY", "Request"]
