"""The shared folder of a WorkingDirectory, as a worker task carries it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from orchestrator.models.base import KestrelModel


class SharedDirectory(KestrelModel):
    """The WorkingDirectory a runnable task runs in: its children share one folder.

    The folder is kept on the worker between the children and saved to the internal
    storage after each one, so the next child finds it even on another worker.
    """

    task_run_id: str
    """The WorkingDirectory's task run: names the folder."""
    task_id: str
    """The WorkingDirectory's task id."""
    input_files: dict[str, Any] | str | None = None
    """The WorkingDirectory's ``inputFiles`` (unrendered), written when the folder is new."""
    namespace_files: dict[str, Any] | None = None
    """The WorkingDirectory's ``namespaceFiles``, copied in when the folder is new."""
    cache: dict[str, Any] | None = None
    """The WorkingDirectory's ``cache`` (``patterns``, ``ttl``), restored into a new folder."""
    ignored: list[str] = Field(default_factory=list)
    """No longer set (every property applies); kept so that older messages still parse."""


__all__ = ["SharedDirectory"]
