"""The internal last task of a WorkingDirectory with ``outputFiles`` or ``cache``.

Kestra runs a WorkingDirectory's children on one worker and, after them, stores the files
matching ``outputFiles`` and saves the ``cache``. Kestrel runs each child as its own worker
task in the shared folder, so a WorkingDirectory that has either property gets one more
child, ``<id>_end``, run last in the same folder. The engine gives its ``outputFiles`` to
the WorkingDirectory itself (``outputs.<id>.outputFiles``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.tasks.base import RunnableTask
from orchestrator.workdir_cache import WorkdirCache

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

END_SUFFIX = "_end"
"""The internal task's id is the WorkingDirectory's id followed by this."""


class WorkingDirectoryEnd(RunnableTask):
    """Internal task: store the shared folder's ``outputFiles``, save its ``cache``."""

    type_name: ClassVar[str] = "kestrel.core.flow.WorkingDirectoryEnd"

    working_directory_id: str
    """The WorkingDirectory's task id (names its cache)."""
    output_files: list[str] = Field(default_factory=list)
    """Globs of the files to store (rendered)."""
    cache: WorkdirCache | None = None
    """The files to keep for the next execution."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Store the output files, then save the cache when its files changed."""
        from orchestrator.globs import UnsafePathError, match_files
        from orchestrator.plugin import TaskFailedError
        from orchestrator.workdir import cache_restored_at
        from orchestrator.workdir_cache import cache_prefix, save_cache

        patterns = [str(each) for each in ctx.render(self.output_files, "outputFiles")]
        stored: dict[str, str] = {}
        with ctx.working_directory() as folder:
            try:
                matched = match_files(folder, patterns) if patterns else {}
            except UnsafePathError as exc:
                raise TaskFailedError(str(exc), retryable=False) from exc
            for relative, path in matched.items():
                stored[relative] = ctx.put_file(path, relative)
            if self.cache is not None and ctx.shared_directory is not None:
                run = ctx.task_run
                prefix = cache_prefix(run.namespace, run.flow_id, self.working_directory_id)
                restored = cache_restored_at(ctx, ctx.shared_directory)
                save_cache(ctx, prefix, self.cache.patterns, folder, restored)
        return {"outputFiles": stored} if self.output_files else None


__all__ = ["END_SUFFIX", "WorkingDirectoryEnd"]
