"""What the messaging families share: serdes, files of messages, and failure messages.

Messages consumed by a task or a polling trigger go to the internal storage as a file of
items, one JSON value per line (Ion's JSON subset, which Kestrel's item tasks read). A
polling trigger has no task run: its files go under the flow's ``triggers`` folder.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from orchestrator.masking import masked_url
from orchestrator.plugin import TaskFailedError, is_storage_uri
from orchestrator.storage import LocalStorage, Storage, storage_path
from plugins.errors import PluginError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext
    from orchestrator.scheduler.decision import FlowRef

SerdeType = Literal["STRING", "JSON"]


class MessagingError(PluginError, TaskFailedError):
    """A messaging task failed: the server is unreachable, refused us, or lacks a queue."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message, retryable=retryable, error_type=type(self).__name__)


def failure(task_id: str, server: str, what: str, exc: BaseException | str) -> MessagingError:
    """The error of task ``task_id`` failing ``what`` on ``server`` (never a traceback)."""
    detail = str(exc).strip() or type(exc).__name__
    return MessagingError(f"task {task_id!r}: {what} on {server} failed: {detail}")


def password_of(url: str) -> str | None:
    """The password in ``url`` (to register as a secret), if any."""
    return urlsplit(url).password


def serialize(value: Any, serde: SerdeType) -> bytes:
    """A value as bytes: JSON text, or the text of a string (other values as JSON)."""
    if serde == "STRING" and isinstance(value, str):
        return value.encode()
    if serde == "STRING" and isinstance(value, bytes):
        return value
    return json.dumps(value, default=str).encode()


def deserialize(data: bytes | None, serde: SerdeType) -> Any:
    """Bytes as a value: parsed JSON, or text (invalid UTF-8 replaced)."""
    if data is None:
        return None
    text = data.decode("utf-8", errors="replace")
    if serde == "JSON":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # kept as received rather than failing the whole batch
    return text


def items_of(ctx: RunContext, source: Any, property_path: str) -> list[Any]:
    """The values of a ``from`` property: a list, one map or value, or a storage URI.

    A URI names a file of items, one JSON value per line.
    """
    rendered = ctx.render(source, property_path)
    if isinstance(rendered, str) and is_storage_uri(rendered):
        return list(_lines(ctx.get_file(rendered), rendered))
    if isinstance(rendered, str):
        try:
            parsed = json.loads(rendered)
        except json.JSONDecodeError:
            return [rendered]
        return parsed if isinstance(parsed, list) else [parsed]
    return rendered if isinstance(rendered, list) else [rendered]


def _lines(data: bytes, uri: str) -> Iterator[Any]:
    for number, line in enumerate(data.decode().splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskFailedError(
                    f"{uri} line {number} is not JSON: {exc}", retryable=False
                ) from exc


def _write_lines(items: Iterable[Any], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, default=str))
            out.write("\n")
            count += 1
    return count


def store_items(ctx: RunContext, items: Iterable[Any], name: str = "messages.jsonl") -> str:
    """Write ``items`` as a file of the task run; return its ``kestrel://`` URI."""
    with ctx.working_directory() as folder:
        path = folder / name
        _write_lines(items, path)
        return ctx.put_file(path, name)


def trigger_storage() -> Storage:
    """The internal storage of the settings (polling triggers run without a task context)."""
    from orchestrator.settings import load_settings

    return LocalStorage.from_settings(load_settings().storage)


def store_trigger_items(ref: FlowRef, trigger_id: str, items: list[Any]) -> str:
    """Write a polling trigger's messages to the flow's ``triggers`` folder; return the URI."""
    relative = storage_path(
        f"{ref.namespace}/{ref.flow_id}/triggers/{trigger_id}/{uuid.uuid4().hex}/messages.jsonl"
    )
    with tempfile.TemporaryDirectory(prefix="kestrel-trigger-") as folder:
        path = Path(folder) / "messages.jsonl"
        _write_lines(items, path)
        with path.open("rb") as stream:
            return trigger_storage().put(relative.as_posix(), stream)


__all__ = [
    "MessagingError",
    "SerdeType",
    "deserialize",
    "failure",
    "items_of",
    "masked_url",
    "password_of",
    "serialize",
    "store_items",
    "store_trigger_items",
]
