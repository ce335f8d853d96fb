"""Kestra's ``io.kestra.plugin.compress`` tasks: archives (ZIP, TAR) and compressed files.

Every file is streamed in chunks between the internal storage and scratch files; an
archive's members are stored one by one.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from orchestrator.plugin import StorageError, StoragePathError, is_storage_uri
from orchestrator.tasks.base import RunnableTask
from plugins.compress.errors import CompressError
from plugins.compress.streams import DECODING_ERRORS, EXTENSIONS, Compression, reader, writer

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

Algorithm = Literal["AR", "ARJ", "CPIO", "DUMP", "JAR", "TAR", "ZIP", "SEVENZ"]
_SUPPORTED_ARCHIVES = ("ZIP", "JAR", "TAR")


class _CompressTask(RunnableTask):
    type_name: ClassVar[str]

    def where(self, ctx: RunContext) -> str:
        """The task's id and type, for error messages."""
        return f"task '{ctx.task_run.task_id}' ({self.type_name})"

    def uri(self, ctx: RunContext, value: str, name: str) -> str:
        """A rendered internal storage URI.

        Raises:
            CompressError: it is not one.
        """
        uri = ctx.render_text(value, name)
        if not is_storage_uri(uri):
            raise CompressError(
                f"{self.where(ctx)}: {name} must be an internal storage URI, got {uri!r}"
            )
        return uri

    @contextmanager
    def opened(self, ctx: RunContext, uri: str) -> Iterator[IO[bytes]]:
        """A stored file, open for reading.

        Raises:
            CompressError: nothing is stored there.
        """
        try:
            stream = ctx.storage.open(uri)
        except StorageError as exc:
            raise CompressError(f"{self.where(ctx)}: cannot read {uri}: {exc}") from exc
        with stream:
            yield stream

    def archive_kind(self, ctx: RunContext, algorithm: str) -> str:
        """``algorithm`` if Kestrel supports it.

        Raises:
            CompressError: it does not.
        """
        if algorithm not in _SUPPORTED_ARCHIVES:
            raise CompressError(
                f"{self.where(ctx)}: archive algorithm {algorithm} is not supported by Kestrel "
                f"(supported: {', '.join(_SUPPORTED_ARCHIVES)})"
            )
        return "TAR" if algorithm == "TAR" else "ZIP"


class ArchiveCompress(_CompressTask):
    """Put stored files into a new archive; output ``uri``.

    Example:
        ```yaml
        - id: archive
          type: io.kestra.plugin.compress.ArchiveCompress
          algorithm: TAR
          compression: GZIP
          from:
            orders.csv: "{{ outputs.orders.uri }}"
            data/products.csv: "{{ outputs.products.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.compress.ArchiveCompress"

    from_: dict[str, str] = Field(alias="from")
    """The files: each name in the archive mapped to a stored file's URI."""
    algorithm: Algorithm
    """The archive format: ZIP, JAR or TAR."""
    compression: Compression | None = None
    """A compression of the whole archive (``TAR`` with ``GZIP`` makes a .tar.gz)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Write the archive.

        Raises:
            CompressError: an unsupported format, or a source that is not stored.
        """
        kind = self.archive_kind(ctx, self.algorithm)
        files = {
            str(name): self.uri(ctx, str(uri), f"from.{name}")
            for name, uri in ctx.render(self.from_, "from").items()
        }
        extension = ".tar" if kind == "TAR" else f".{self.algorithm.lower()}"
        if self.compression is not None:
            extension += EXTENSIONS.get(self.compression, "")
        with ctx.working_directory() as folder:
            path = folder / f"archive{extension}"
            with path.open("wb") as raw:
                stream = (
                    raw
                    if self.compression is None
                    else writer(raw, self.compression, self.where(ctx))
                )
                try:
                    if kind == "ZIP":
                        self._zip(ctx, stream, files)
                    else:
                        self._tar(ctx, stream, files, folder)
                finally:
                    if stream is not raw:
                        stream.close()
            return {"uri": ctx.put_file(path)}

    def _zip(self, ctx: RunContext, stream: Any, files: dict[str, str]) -> None:
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, uri in files.items():
                with self.opened(ctx, uri) as source, archive.open(name, "w") as member:
                    shutil.copyfileobj(source, member)

    def _tar(self, ctx: RunContext, stream: Any, files: dict[str, str], folder: Path) -> None:
        with tarfile.open(fileobj=stream, mode="w|") as archive:
            for name, uri in files.items():
                local = folder / "member"
                with self.opened(ctx, uri) as source, local.open("wb") as copy:
                    shutil.copyfileobj(source, copy)
                archive.add(local, arcname=name)
                local.unlink()


class ArchiveDecompress(_CompressTask):
    """Extract every file of an archive to the internal storage; output ``files`` by name.

    Example:
        ```yaml
        - id: unzip
          type: io.kestra.plugin.compress.ArchiveDecompress
          algorithm: ZIP
          from: "{{ outputs.download.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.compress.ArchiveDecompress"

    from_: str = Field(alias="from")
    """The archive's URI."""
    algorithm: Algorithm
    """The archive format: ZIP, JAR or TAR."""
    compression: Compression | None = None
    """The compression of the whole archive, if any."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Extract the files.

        Raises:
            CompressError: an unsupported format, a corrupt archive, or a member whose
                name leaves the archive's folder.
        """
        kind = self.archive_kind(ctx, self.algorithm)
        uri = self.uri(ctx, self.from_, "from")
        with ctx.working_directory() as folder, self.opened(ctx, uri) as raw:
            stream = (
                raw if self.compression is None else reader(raw, self.compression, self.where(ctx))
            )
            try:
                if kind == "ZIP":
                    local = folder / "archive.zip"
                    with local.open("wb") as copy:  # a zip's directory is at its end: seek
                        shutil.copyfileobj(stream, copy)
                    return {"files": self._unzip(ctx, local, folder)}
                return {"files": self._untar(ctx, stream, folder)}
            except (zipfile.BadZipFile, tarfile.TarError, *DECODING_ERRORS) as exc:
                raise CompressError(
                    f"{self.where(ctx)}: {uri} is not a {self.algorithm} archive"
                    + (f" compressed with {self.compression}" if self.compression else "")
                    + f": {exc}"
                ) from exc

    def _unzip(self, ctx: RunContext, local: Path, folder: Path) -> dict[str, str]:
        files: dict[str, str] = {}
        with zipfile.ZipFile(local) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                with archive.open(info) as member:
                    files[info.filename] = self._store(ctx, member, info.filename, folder)
        return files

    def _untar(self, ctx: RunContext, stream: Any, folder: Path) -> dict[str, str]:
        files: dict[str, str] = {}
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for info in archive:
                member = archive.extractfile(info) if info.isfile() else None
                if member is not None:
                    files[info.name] = self._store(ctx, member, info.name, folder)
        return files

    def _store(self, ctx: RunContext, member: IO[bytes], name: str, folder: Path) -> str:
        local = folder / "member"
        with local.open("wb") as copy:
            shutil.copyfileobj(member, copy)
        try:
            return ctx.put_file(local, PurePosixPath(name).as_posix())
        except StoragePathError as exc:
            raise CompressError(
                f"{self.where(ctx)}: the archive's member {name!r} has an unsafe name"
            ) from exc
        finally:
            local.unlink()


class FileCompress(_CompressTask):
    """Compress one stored file; output ``uri``.

    Example:
        ```yaml
        - id: gzip
          type: io.kestra.plugin.compress.FileCompress
          compression: GZIP
          from: "{{ outputs.export.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.compress.FileCompress"

    from_: str = Field(alias="from")
    """The file's URI."""
    compression: Compression
    """The compression."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Compress the file.

        Raises:
            CompressError: an unsupported compression or a missing file.
        """
        uri = self.uri(ctx, self.from_, "from")
        name = PurePosixPath(uri).name + EXTENSIONS.get(self.compression, "")
        with ctx.working_directory() as folder, self.opened(ctx, uri) as source:
            path = folder / name
            with path.open("wb") as raw:
                stream = writer(raw, self.compression, self.where(ctx))
                try:
                    shutil.copyfileobj(source, stream)
                finally:
                    stream.close()
            return {"uri": ctx.put_file(path)}


class FileDecompress(_CompressTask):
    """Decompress one stored file; output ``uri``.

    Example:
        ```yaml
        - id: gunzip
          type: io.kestra.plugin.compress.FileDecompress
          compression: GZIP
          from: "{{ outputs.download.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.compress.FileDecompress"

    from_: str = Field(alias="from")
    """The file's URI."""
    compression: Compression
    """The compression."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Decompress the file.

        Raises:
            CompressError: an unsupported compression, a missing or corrupt file.
        """
        uri = self.uri(ctx, self.from_, "from")
        stored = PurePosixPath(uri).name
        extension = EXTENSIONS.get(self.compression, "")
        name = stored[: -len(extension)] if extension and stored.endswith(extension) else stored
        with ctx.working_directory() as folder, self.opened(ctx, uri) as source:
            path = folder / (name or "file")
            stream = reader(source, self.compression, self.where(ctx))
            try:
                with path.open("wb") as out:
                    shutil.copyfileobj(stream, out)
            except DECODING_ERRORS as exc:
                raise CompressError(
                    f"{self.where(ctx)}: {uri} is not {self.compression} data: {exc}"
                ) from exc
            return {"uri": ctx.put_file(path)}


__all__ = ["ArchiveCompress", "ArchiveDecompress", "FileCompress", "FileDecompress"]
