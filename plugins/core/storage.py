"""Kestra's ``io.kestra.plugin.core.storage`` tasks on the internal storage.

Files are addressed by ``kestrel://`` URIs (Kestra's ``kestra://`` are accepted too); new
files go among the task run's files, as every task output does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.plugin import StorageFileNotFoundError, TaskFailedError, is_storage_uri
from orchestrator.tasks.base import RunnableTask
from orchestrator.tasks.split import SplitError, split_items
from plugins.scripts.files import UnsafePathError, match_files, write_file

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


def _uri(ctx: RunContext, value: str, name: str) -> str:
    uri = ctx.render_text(value, name)
    if not is_storage_uri(uri):
        raise TaskFailedError(f"{name} must be an internal storage URI, got {uri!r}")
    return uri


def _uri_list(ctx: RunContext, value: str | list[str], name: str) -> list[str]:
    rendered = ctx.render(value, name)
    if isinstance(rendered, str):
        try:
            rendered = json.loads(rendered)
        except json.JSONDecodeError:
            rendered = [rendered]
    if not isinstance(rendered, list):
        raise TaskFailedError(f"{name} must be a list of internal storage URIs")
    return [_uri(ctx, str(each), name) for each in rendered]


def _store(ctx: RunContext, data: bytes, name: str) -> str:
    with ctx.working_directory() as folder:
        path = folder / ".kestrel-out"
        path.write_bytes(data)
        return ctx.put_file(path, name)


def _read(ctx: RunContext, uri: str) -> bytes:
    try:
        return ctx.get_file(uri)
    except StorageFileNotFoundError as exc:
        raise TaskFailedError(f"no file is stored at {uri}") from exc


def _extension(ctx: RunContext, value: str) -> str:
    text = ctx.render_text(value, "extension")
    return text if text.startswith(".") or not text else f".{text}"


class Write(RunnableTask):
    """Write ``content`` to a new file of the internal storage; output ``uri`` and ``size``.

    Example:
        ```yaml
        - id: write
          type: io.kestra.plugin.core.storage.Write
          content: "{{ outputs.api.body }}"
          extension: .json
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.Write"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.Write",)

    content: Any
    """The text to write (rendered; a map or list is written as JSON)."""
    extension: str = ".ion"
    """The file's extension."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Store the rendered content."""
        content = ctx.render(self.content, "content")
        text = content if isinstance(content, str) else json.dumps(content)
        data = text.encode()
        uri = _store(ctx, data, f"content{_extension(ctx, self.extension)}")
        return {"uri": uri, "size": len(data)}


class Concat(RunnableTask):
    """Concatenate ``files`` into one, with ``separator`` between them; output ``uri``."""

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.Concat"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.Concat",)

    files: str | list[str]
    """The URIs, as a list or a JSON list in text."""
    separator: str | None = None
    """Written between two files."""
    extension: str = ".tmp"
    """The new file's extension."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Join the files."""
        uris = _uri_list(ctx, self.files, "files")
        separator = b"" if self.separator is None else ctx.render_text(self.separator, "separator")
        joiner = separator if isinstance(separator, bytes) else separator.encode()
        data = joiner.join(_read(ctx, uri) for uri in uris)
        return {"uri": _store(ctx, data, f"concat{_extension(ctx, self.extension)}")}


class Split(RunnableTask):
    """Split a file into several by ``lines``, ``rows`` or ``partitions``; output ``uris``.

    ``bytes`` (a size such as ``10MB``) splits at line ends once a part reaches the size.
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.Split"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.Split",)

    from_: str = Field(alias="from")
    """The file to split."""
    lines: int | None = Field(default=None, ge=1)
    """Lines per part (Kestra's older name of ``rows``)."""
    rows: int | None = Field(default=None, ge=1)
    """Rows (lines) per part."""
    partitions: int | None = Field(default=None, ge=1)
    """Number of parts, lines spread evenly."""
    bytes: str | None = None
    """Largest size of a part (``1MB``, ``512KB``, a number of bytes)."""
    separator: str = "\n"
    """The line separator."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Split the file; each part keeps the source's extension."""
        uri = _uri(ctx, self.from_, "from")
        if not (self.rows or self.lines or self.partitions or self.bytes):
            raise TaskFailedError("Split needs one of rows, lines, partitions or bytes")
        try:
            parts = split_items(
                _read(ctx, uri).decode(),
                self.separator,
                self.rows or self.lines,
                self.bytes,
                self.partitions,
            )
        except SplitError as exc:
            raise TaskFailedError(f"bytes: {exc}", retryable=False) from exc
        suffix = Path(uri).suffix
        uris = [
            _store(ctx, part.encode(), f"part{index}{suffix}") for index, part in enumerate(parts)
        ]
        return {"uris": uris}


class Size(RunnableTask):
    """Output the ``size`` in bytes of a file of the internal storage."""

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.Size"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.Size",)

    uri: str
    """The file."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Measure the file."""
        return {"size": len(_read(ctx, _uri(ctx, self.uri, "uri")))}


class Delete(RunnableTask):
    """Delete a file of the internal storage; output ``uri`` and ``deleted``."""

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.Delete"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.Delete",)

    uri: str
    """The file."""
    error_on_missing: bool = False
    """Fail when there is no such file."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Delete the file."""
        uri = _uri(ctx, self.uri, "uri")
        deleted = ctx.storage.delete(uri)
        if not deleted and self.error_on_missing:
            raise TaskFailedError(f"Unable to find file '{uri}'")
        return {"uri": uri, "deleted": deleted}


class PurgeCurrentExecutionFiles(RunnableTask):
    """Delete every file of the running execution from the internal storage; output ``uris``."""

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.PurgeCurrentExecutionFiles"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
        "io.kestra.plugin.core.storage.PurgeExecution",
    )

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """List and delete the files under the execution's folder."""
        run = ctx.task_run
        prefix = f"{run.namespace}/{run.flow_id}/executions/{run.execution_id}"
        uris = ctx.storage.list(prefix)
        for uri in uris:
            ctx.storage.delete(uri)
        ctx.logger.info(f"deleted {len(uris)} file(s) of execution {run.execution_id}")
        return {"uris": uris}


class LocalFiles(RunnableTask):
    """Write ``inputs`` into the working directory and store the files matching ``outputs``.

    Kestra's deprecated task, meant for a WorkingDirectory (whose folder it shares); prefer
    the ``inputFiles`` and ``outputFiles`` of the WorkingDirectory and script tasks.
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.LocalFiles"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.storage.LocalFiles",
        "io.kestra.core.tasks.storages.LocalFiles",
    )

    inputs: dict[str, Any] | str | None = None
    """File name -> content (a ``kestrel://`` URI is copied), or that map as JSON text."""
    outputs: list[str] = Field(default_factory=list)
    """Globs of files to store; output ``uris`` maps their names to URIs."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Write the inputs, then store the outputs."""
        with ctx.working_directory() as folder:
            files = ctx.render(self.inputs, "inputs") if self.inputs is not None else {}
            if isinstance(files, str):
                files = json.loads(files)
            try:
                for name, content in dict(files).items():
                    text = content if isinstance(content, str) else json.dumps(content)
                    data = ctx.get_file(text) if is_storage_uri(text) else text.encode()
                    write_file(folder, str(name), data)
                patterns = [str(each) for each in ctx.render(self.outputs, "outputs")]
                matched = match_files(folder, patterns) if patterns else {}
            except UnsafePathError as exc:
                raise TaskFailedError(str(exc), retryable=False) from exc
            uris = {name: ctx.put_file(path, name) for name, path in matched.items()}
        return {"uris": uris}


__all__ = [
    "Concat",
    "Delete",
    "LocalFiles",
    "PurgeCurrentExecutionFiles",
    "Size",
    "Split",
    "Write",
]
