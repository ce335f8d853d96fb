"""The public API for task plugins: what a task's ``run`` receives and may raise.

A runnable task implements ``run(self, ctx: RunContext) -> dict | None``: it renders its
properties through ``ctx.render``, logs through ``ctx.logger``, and returns its outputs.
A failure is raised as `TaskFailedError`; any other exception fails the task too, with its
type and message. Plugins import only from this module (and the task base classes).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestratorError
from orchestrator.masking import MASK  # re-exported: the plugin API
from orchestrator.models.execution import TaskRun
from orchestrator.models.log_level import LogLevel
from orchestrator.models.messages import LogEntry
from orchestrator.models.workdir import SharedDirectory
from orchestrator.storage import (
    LocalStorage,
    Storage,
    StorageError,
    StorageFileNotFoundError,
    StoragePathError,
    is_storage_uri,
    task_run_prefix,
)
from orchestrator.tasks.base import RunnableTask, Task
from orchestrator.templating import TemplateRenderer
from orchestrator.templating.truth import is_truthy  # re-exported: the plugin API

LogSink = Callable[[LogEntry], None]


class TaskFailedError(OrchestratorError):
    """A task run failed; ``retryable`` says whether a retry policy may run it again."""

    def __init__(self, message: str, *, retryable: bool = True, error_type: str | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.error_type = error_type or type(self).__name__


class TaskLogger:
    """Logs of one task run: masks revealed secrets and drops lines below ``logLevel``."""

    def __init__(self, context: RunContext, sink: LogSink, minimum: LogLevel | None) -> None:
        self._context = context
        self._sink = sink
        self._minimum = minimum

    def log(self, level: LogLevel, message: str) -> None:
        """Emit ``message`` at ``level`` (unless below the task's ``logLevel``)."""
        if self._minimum is not None and level.rank < self._minimum.rank:
            return
        run = self._context.task_run
        self._sink(
            LogEntry(
                execution_id=run.execution_id,
                namespace=run.namespace,
                flow_id=run.flow_id,
                task_id=run.task_id,
                task_run_id=run.id,
                attempt=self._context.attempt,
                level=level,
                message=self._context.mask(message),
                source=self._context.worker_id,
            )
        )

    def trace(self, message: str) -> None:
        """Log at TRACE."""
        self.log(LogLevel.TRACE, message)

    def debug(self, message: str) -> None:
        """Log at DEBUG."""
        self.log(LogLevel.DEBUG, message)

    def info(self, message: str) -> None:
        """Log at INFO."""
        self.log(LogLevel.INFO, message)

    def warn(self, message: str) -> None:
        """Log at WARN."""
        self.log(LogLevel.WARN, message)

    def error(self, message: str) -> None:
        """Log at ERROR."""
        self.log(LogLevel.ERROR, message)


class RunContext:
    """Everything a task run may use: its variables, rendering, logging and cancellation.

    Files: `working_directory` gives an attempt a fresh scratch folder, `put_file` stores a
    file in the internal storage and returns its ``kestrel://`` URI, `get_file` reads one.
    """

    def __init__(
        self,
        *,
        task: Task,
        task_run: TaskRun,
        attempt: int,
        variables: Mapping[str, Any],
        renderer: TemplateRenderer,
        log_sink: LogSink,
        worker_id: str | None = None,
        storage: Storage | None = None,
        working_dir: Path | str | None = None,
        shared_directory: SharedDirectory | None = None,
    ) -> None:
        """Create the context of one attempt of ``task_run``.

        ``storage`` defaults to a `LocalStorage` on the settings' ``storage.base_dir``, made
        on first use; ``working_dir`` is where scratch folders are made (the system's
        temporary directory if None). ``shared_directory`` is the WorkingDirectory the task
        runs in: `working_directory` then yields its shared folder.
        """
        self.task = task
        self.task_run = task_run
        self.attempt = attempt
        self.variables = variables
        self.worker_id = worker_id
        self.cancelled = threading.Event()
        self._renderer = renderer
        self._secrets: set[str] = set()
        self.logger = TaskLogger(self, log_sink, task.log_level)
        self.working_dir = None if working_dir is None else Path(working_dir)
        self.warning: str | None = None
        self._storage = storage
        self.shared_directory = shared_directory

    def render(self, value: Any, property_path: str, extra: Mapping[str, Any] | None = None) -> Any:
        """Render ``value`` (strings, and recursively dicts and lists) with the variables.

        ``extra`` adds variables for this call only (a task's ``workingDir``, for example).

        Raises:
            TemplateError: naming this task and ``property_path``.
        """
        return self._renderer.render_recursive(
            value,
            self.variables if not extra else {**self.variables, **extra},
            task_id=self.task_run.task_id,
            property_path=property_path,
            used_secrets=self._secrets,
        )

    def render_text(
        self, value: Any, property_path: str, extra: Mapping[str, Any] | None = None
    ) -> str:
        """Render ``value`` and return it as text."""
        rendered = self.render(value, property_path, extra)
        return rendered if isinstance(rendered, str) else str(rendered)

    def add_secrets(self, values: set[str]) -> None:
        """Treat ``values`` as secrets: they are masked in logs and outputs."""
        self._secrets.update(value for value in values if value)

    def mask(self, text: str) -> str:
        """Replace every secret value revealed while rendering by a mask."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, MASK)
        return text

    def mask_value(self, value: Any) -> Any:
        """Mask secrets in a structure of outputs (strings inside dicts and lists)."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {key: self.mask_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.mask_value(item) for item in value]
        return value

    def set_warning(self, reason: str) -> None:
        """Ask for the attempt to end WARNING instead of SUCCESS (if it does not fail)."""
        self.warning = reason

    @property
    def storage(self) -> Storage:
        """The internal storage this task run's files go to."""
        if self._storage is None:
            from orchestrator.settings import load_settings

            self._storage = LocalStorage.from_settings(load_settings().storage)
        return self._storage

    @contextmanager
    def working_directory(self) -> Iterator[Path]:
        """Yield a fresh, empty folder for this attempt and remove it (and its content) after.

        Inside a WorkingDirectory, yield instead the folder its tasks share (kept after).
        """
        if self.shared_directory is not None:
            from orchestrator.workdir import shared_working_directory

            with shared_working_directory(self, self.shared_directory) as folder:
                yield folder
            return
        if self.working_dir is not None:
            self.working_dir.mkdir(parents=True, exist_ok=True)
        prefix = f"kestrel-{self.task_run.task_id}-{self.attempt}-"
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=self.working_dir))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def put_file(self, path: Path | str, name: str | None = None) -> str:
        """Store a local file among this task run's files and return its ``kestrel://`` URI.

        Args:
            path: the file to store.
            name: its name in the storage, a relative path (default: the file's name).

        Raises:
            StorageError: the file could not be stored (StoragePathError for a bad name).
            OSError: the local file could not be read.
        """
        run = self.task_run
        prefix = task_run_prefix(run.namespace, run.flow_id, run.execution_id, run.task_id, run.id)
        with Path(path).open("rb") as stream:
            return self.storage.put(f"{prefix.as_posix()}/{name or Path(path).name}", stream)

    def get_file(self, uri: str) -> bytes:
        """Return the content of a file of the internal storage.

        Raises:
            StorageFileNotFoundError: nothing is stored at ``uri``.
        """
        return self.storage.get(uri)


__all__ = [
    "MASK",
    "LogLevel",
    "LogSink",
    "RunContext",
    "RunnableTask",
    "Storage",
    "StorageError",
    "StorageFileNotFoundError",
    "StoragePathError",
    "Task",
    "TaskFailedError",
    "TaskLogger",
    "is_storage_uri",
    "is_truthy",
]
