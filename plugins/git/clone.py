"""``io.kestra.plugin.git.Clone``: a repository into the task's working directory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from plugins.git.base import GitTask
from plugins.git.errors import GitTaskError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Clone(GitTask):
    """Clone ``url`` at ``branch``; output ``directory``, the clone's path.

    In a ``WorkingDirectory`` the clone stays for the next tasks, which find it in their
    working directory; alone, it is removed when the task ends (as in Kestra).

    Example:
        ```yaml
        - id: wdir
          type: io.kestra.plugin.core.flow.WorkingDirectory
          tasks:
            - id: clone
              type: io.kestra.plugin.git.Clone
              url: https://github.com/kestra-io/scripts
              branch: main
            - id: run
              type: io.kestra.plugin.scripts.python.Commands
              commands: [python etl/global_power_plant.py]
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.git.Clone"

    branch: str | None = None
    """The branch or tag (default: the remote's default branch)."""
    directory: str | None = None
    """A folder of the working directory to clone into (default: the working directory)."""
    depth: int | None = Field(default=1, ge=1)
    """How many commits of history to fetch."""
    trusted_hosts_config: dict[str, Any] | None = None
    """Accepted for Kestra's flows."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Clone the repository.

        Raises:
            GitTaskError: git failed (bad URL, credentials, branch), the directory leaves
                the working directory, or holds a file the repository has too.
        """
        with ctx.working_directory() as folder:
            target = folder
            if self.directory:
                target = (folder / ctx.render_text(self.directory, "directory")).resolve()
                if not target.is_relative_to(folder.resolve()):
                    raise GitTaskError(
                        f"{self.where(ctx)}: directory must stay inside the working directory"
                    )
            branch = None if self.branch is None else ctx.render_text(self.branch, "branch")
            occupied = target.exists() and any(target.iterdir())
            # git clones into an empty folder only: beside files already there (a
            # WorkingDirectory's inputFiles), clone aside and move the checkout in.
            destination = target / ".kestrel-clone" if occupied else target
            with self.git(ctx) as git:
                git.clone(destination, branch, self.depth, self.clone_submodules)
            if occupied:
                self._move_in(ctx, destination, target)
            ctx.logger.info(f"cloned {git.shown_url} into {target}")
            return {"directory": str(target)}

    def _move_in(self, ctx: RunContext, clone: Path, target: Path) -> None:
        clashes = sorted(entry.name for entry in clone.iterdir() if (target / entry.name).exists())
        if clashes:
            shutil.rmtree(clone)
            raise GitTaskError(
                f"{self.where(ctx)}: {target} already has {', '.join(clashes)}, which the "
                "repository has too: clone into another directory"
            )
        for entry in clone.iterdir():
            entry.rename(target / entry.name)
        clone.rmdir()


__all__ = ["Clone"]
