"""What every git task shares: the repository and its credentials."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from orchestrator.tasks.base import RunnableTask
from plugins.git.command import Git

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class GitTask(RunnableTask):
    """A task on a remote git repository."""

    type_name: ClassVar[str]

    url: str
    """The repository's URL (``https://``, ``ssh://``, ``git@host:path`` or ``file://``)."""
    username: str | None = None
    """The HTTP user name."""
    password: str | None = None
    """The HTTP password or token (a secret: masked in logs, outputs and errors)."""
    private_key: str | None = None
    """An SSH private key (PEM text) for ``ssh://`` and ``git@`` URLs."""
    passphrase: str | None = None
    """Accepted for Kestra's flows; the private key must have no passphrase."""
    clone_submodules: bool = False
    """Clone the submodules too."""

    def where(self, ctx: RunContext) -> str:
        """The task's id and type, for error messages."""
        return f"task '{ctx.task_run.task_id}' ({self.type_name})"

    @contextmanager
    def git(self, ctx: RunContext) -> Iterator[Git]:
        """The git command line on the rendered repository and credentials.

        A private key lives in a temporary folder of its own, removed after the block.
        """
        password = None if self.password is None else ctx.render_text(self.password, "password")
        key = None if self.private_key is None else ctx.render_text(self.private_key, "privateKey")
        url = ctx.render_text(self.url, "url")
        with tempfile.TemporaryDirectory(prefix="kestrel-git-") as keys:
            git = Git(
                self.where(ctx),
                url,
                username=None
                if self.username is None
                else ctx.render_text(self.username, "username"),
                password=password,
                private_key=key,
                key_folder=Path(keys),
            )
            ctx.add_secrets(git.secrets | ({key} if key else set()))
            yield git


__all__ = ["GitTask"]
