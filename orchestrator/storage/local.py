"""Internal storage on a local (or mounted) directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from orchestrator.storage.base import Storage
from orchestrator.storage.errors import StorageError, StorageFileNotFoundError, StoragePathError
from orchestrator.storage.uri import to_uri

if TYPE_CHECKING:
    from orchestrator.settings import StorageSettings


class LocalStorage(Storage):
    """Files under ``base_dir``, one file per URI, written atomically."""

    def __init__(self, base_dir: Path | str) -> None:
        """Use ``base_dir`` (created on first write) as the root of the storage."""
        self.base_dir = Path(base_dir).expanduser().resolve()

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> LocalStorage:
        """The storage the ``storage`` settings section describes."""
        return cls(settings.base_dir)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.base_dir)!r})"

    def _file(self, path: PurePosixPath) -> Path:
        target = self.base_dir.joinpath(*path.parts)
        # The path is validated already; resolving also refuses a symlink inside the storage
        # that points outside it.
        if not target.resolve().is_relative_to(self.base_dir):
            raise StoragePathError(path.as_posix(), "resolves outside the storage")
        return target

    def _put(self, path: PurePosixPath, stream: BinaryIO) -> None:
        target = self._file(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write a sibling temporary file then rename it: readers never see half a file.
            handle, temporary = tempfile.mkstemp(prefix=".kestrel-put-", dir=target.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    shutil.copyfileobj(stream, out)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(f"cannot store {to_uri(path)}: {exc}") from exc

    def _open(self, path: PurePosixPath) -> BinaryIO:
        target = self._file(path)
        try:
            return target.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageFileNotFoundError(to_uri(path)) from None
        except OSError as exc:
            raise StorageError(f"cannot read {to_uri(path)}: {exc}") from exc

    def _exists(self, path: PurePosixPath) -> bool:
        return self._file(path).is_file()

    def _delete(self, path: PurePosixPath) -> bool:
        target = self._file(path)
        try:
            target.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StorageError(f"cannot delete {to_uri(path)}: {exc}") from exc
        return True

    def _list(self, prefix: PurePosixPath | None) -> list[PurePosixPath]:
        folder = self.base_dir if prefix is None else self._file(prefix)
        if not folder.is_dir():
            return []
        found = []
        for root, _, names in os.walk(folder):
            for name in names:
                if name.startswith(".kestrel-put-"):
                    continue  # a write in progress
                relative = (Path(root) / name).relative_to(self.base_dir)
                found.append(PurePosixPath(relative.as_posix()))
        return found


__all__ = ["LocalStorage"]
