"""``io.kestra.plugin.core.http.Download``: fetch a URL into the internal storage."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from orchestrator.plugin import TaskFailedError
from plugins.http.client import HttpResponse, accepted, exchange
from plugins.http.errors import HttpFailedError
from plugins.http.options import HttpTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Download(HttpTask):
    """Download a file to the internal storage, streaming it (no size limit).

    Outputs: ``uri`` (the ``kestrel://`` file), ``code``, ``length`` (bytes) and
    ``headers``. An empty body fails the task unless ``failOnEmptyResponse`` is false.

    Example:
        ```yaml
        - id: extract
          type: io.kestra.plugin.core.http.Download
          uri: https://huggingface.co/datasets/kestra/datasets/raw/main/csv/orders.csv
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.http.Download"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.http.Download",
        "io.kestra.plugin.fs.http.Download",
    )

    fail_on_empty_response: bool = True
    """Fail when the body is empty."""
    save_as: str | None = None
    """The file name in the storage (default: from Content-Disposition or the URL)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Stream the body to a local file, then store it.

        Raises:
            HttpFailedError: the response code is not accepted.
            TaskFailedError: the body is empty and ``failOnEmptyResponse`` is set.
        """
        with ctx.working_directory() as folder:
            path = folder / "download"
            with path.open("wb") as file:
                response = exchange(ctx, self, file.write)
            if not accepted(response.code, self):
                raise HttpFailedError(response.code, response.uri)
            if response.length == 0 and self.fail_on_empty_response:
                raise TaskFailedError(f"No response from server {response.uri}")
            name = ctx.render_text(self.save_as, "saveAs") if self.save_as else _name(response)
            uri = ctx.put_file(path, name)
        ctx.logger.debug(f"downloaded {response.length} bytes to {uri}")
        return {
            "uri": uri,
            "code": response.code,
            "length": response.length,
            "headers": response.headers,
        }


def _name(response: HttpResponse) -> str:
    for value in response.headers.get("Content-Disposition", []):
        match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)", value, re.IGNORECASE)
        if match:
            return _safe(unquote(match.group(1)))
    last = PurePosixPath(unquote(urlsplit(response.uri).path)).name
    return _safe(last) if last else "download"


def _safe(name: str) -> str:
    cleaned = _SAFE_NAME.sub("_", PurePosixPath(name).name).strip("._")
    return cleaned or "download"


__all__ = ["Download"]
