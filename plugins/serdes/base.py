"""What every serdes conversion shares: the source file, the charset, the stored result.

A conversion reads its source from the internal storage as a stream and writes its result
to a scratch file that is then stored, so neither file is ever held in memory whole.
"""

from __future__ import annotations

import codecs
import io
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar, TypeVar

from pydantic import Field

from orchestrator.plugin import StorageError, StorageFileNotFoundError, is_storage_uri
from orchestrator.tasks.base import RunnableTask
from plugins.serdes.errors import SerdesError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

T = TypeVar("T")


class Conversion(RunnableTask):
    """A task converting the file at ``from`` into a new file of the internal storage."""

    type_name: ClassVar[str]
    extra: ClassVar[str] = "serdes"

    from_: str = Field(alias="from")
    """The source file: a ``kestrel://`` (or ``kestra://``) URI of the internal storage."""

    def source(self, ctx: RunContext) -> str:
        """The rendered source URI.

        Raises:
            SerdesError: ``from`` is not an internal storage URI.
        """
        return self.checked_uri(ctx, ctx.render_text(self.from_, "from"))

    def checked_uri(self, ctx: RunContext, uri: str) -> str:
        """``uri`` if it is one of the internal storage.

        Raises:
            SerdesError: it is not.
        """
        if not is_storage_uri(uri):
            raise SerdesError(
                f"{self.where(ctx)}: from must be an internal storage URI, got {uri!r}"
            )
        return uri

    def where(self, ctx: RunContext) -> str:
        """The task's id and type, for error messages."""
        return f"task '{ctx.task_run.task_id}' ({self.type_name})"

    @contextmanager
    def open_binary(self, ctx: RunContext, uri: str) -> Iterator[IO[bytes]]:
        """Open a stored file for reading, as a stream.

        Raises:
            SerdesError: nothing is stored at ``uri``.
        """
        try:
            stream = ctx.storage.open(uri)
        except StorageFileNotFoundError as exc:
            raise SerdesError(f"{self.where(ctx)}: no file is stored at {uri}") from exc
        except StorageError as exc:
            raise SerdesError(f"{self.where(ctx)}: cannot read {uri}: {exc}") from exc
        with stream:
            yield stream

    @contextmanager
    def open_text(self, ctx: RunContext, uri: str, charset: str) -> Iterator[IO[str]]:
        """Open a stored file as text in ``charset``, line ends kept as they are (for CSV)."""
        encoding = checked_charset(charset, self.where(ctx))
        with self.open_binary(ctx, uri) as raw:
            yield io.TextIOWrapper(raw, encoding=encoding, newline="")

    @contextmanager
    def local_copy(
        self, ctx: RunContext, uri: str, folder: Path, suffix: str = ""
    ) -> Iterator[Path]:
        """Copy a stored file to ``folder`` chunk by chunk (for readers that must seek)."""
        path = folder / f"source{suffix}"
        with self.open_binary(ctx, uri) as raw, path.open("wb") as copy:
            shutil.copyfileobj(raw, copy)
        yield path

    def store(
        self, ctx: RunContext, name: str, write: Callable[[Path], T], folder: Path
    ) -> tuple[str, T]:
        """Let ``write`` fill a scratch file of ``folder``, then store it under ``name``.

        Returns:
            The stored file's URI and what ``write`` returned (a row count, say).
        """
        path = folder / f"result-{name}"
        written = write(path)
        return ctx.put_file(path, name), written

    def decoding_error(self, ctx: RunContext, uri: str, exc: Exception) -> SerdesError:
        """The error telling the source is not in the format the task reads."""
        return SerdesError(f"{self.where(ctx)}: cannot read {uri}: {exc}")


def checked_charset(charset: str, where: str) -> str:
    """The Python name of a charset Kestra names (``UTF-8``, ``ISO-8859-1``...).

    Raises:
        SerdesError: the charset is unknown.
    """
    try:
        return codecs.lookup(charset).name
    except LookupError as exc:
        raise SerdesError(f"{where}: unknown charset {charset!r}") from exc


def output_name(uri: str, extension: str) -> str:
    """The result's file name: the source's stem with the new extension."""
    stem = Path(uri.rsplit("/", 1)[-1]).stem or "result"
    return f"{stem}{extension}"


__all__ = ["Conversion", "checked_charset", "output_name"]
