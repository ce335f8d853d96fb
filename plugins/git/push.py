"""``io.kestra.plugin.git.Push``: commit files to a branch and push it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from orchestrator.models.base import KestrelModel
from orchestrator.plugin import StorageError, is_storage_uri
from plugins.git.base import GitTask
from plugins.git.command import Git
from plugins.git.errors import GitTaskError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Author(KestrelModel):
    """Who the commit is by."""

    name: str | None = None
    """The author's name."""
    email: str | None = None
    """The author's e-mail address."""


class Push(GitTask):
    """Clone ``branch`` (made if missing), write ``inputFiles``, commit them and push.

    Outputs ``commitId`` (the new commit, or the branch's head if nothing changed) and
    ``changed``.

    Example:
        ```yaml
        - id: push
          type: io.kestra.plugin.git.Push
          url: https://github.com/me/reports
          branch: main
          username: me
          password: "{{ secret('GITHUB_TOKEN') }}"
          commitMessage: "daily report {{ trigger.date }}"
          inputFiles:
            reports/today.csv: "{{ outputs.export.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.git.Push"

    branch: str
    """The branch to push to."""
    commit_message: str
    """The commit's message."""
    directory: str | None = None
    """A folder of the working directory to clone into (default: a fresh one)."""
    input_files: dict[str, str] | None = None
    """Files to write first: path in the repository -> content (a ``kestrel://`` URI is
    copied from the internal storage)."""
    add_files_pattern: list[str] = ["."]
    """The paths ``git add`` is given."""
    author: Author | None = None
    """The commit's author."""
    namespace_files: dict[str, Any] | None = None
    """Accepted for Kestra's flows; Kestrel has no namespace file store yet."""
    flows: dict[str, Any] | None = None
    """Accepted for Kestra's flows; use PushFlows."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Commit and push.

        Raises:
            GitTaskError: git failed (credentials, a rejected push), or an input file
                cannot be read.
        """
        branch = ctx.render_text(self.branch, "branch")
        with ctx.working_directory() as folder, self.git(ctx) as git:
            repo = folder / (ctx.render_text(self.directory, "directory") if self.directory else "")
            if self.directory is None:
                repo = folder / ".kestrel-push"
            checkout(git, repo, branch)
            self._write_inputs(ctx, repo)
            git.run("add", "--", *self.add_files_pattern, cwd=repo, doing="adding files of")
            if not git.run("status", "--porcelain", cwd=repo, doing="reading the status of"):
                head = git.run("rev-parse", "HEAD", cwd=repo, doing="reading").strip()
                ctx.logger.info(f"nothing to commit to {git.shown_url} {branch}")
                return {"commitId": head, "changed": False}
            message = ctx.render_text(self.commit_message, "commitMessage")
            commit_id = commit_and_push(git, repo, branch, message, self._author(ctx))
            ctx.logger.info(f"pushed {commit_id} to {git.shown_url} {branch}")
            return {"commitId": commit_id, "changed": True}

    def _author(self, ctx: RunContext) -> list[str]:
        if self.author is None:
            return []
        rendered = Author.model_validate(ctx.render(self.author.to_json_dict(), "author"))
        return [f"--author={rendered.name or 'Kestrel'} <{rendered.email or 'kestrel@localhost'}>"]

    def _write_inputs(self, ctx: RunContext, repo: Path) -> None:
        for name, value in (self.input_files or {}).items():
            target = (repo / name).resolve()
            if not target.is_relative_to(repo.resolve()) or ".git" in target.parts:
                raise GitTaskError(f"{self.where(ctx)}: inputFiles {name!r} leaves the repository")
            target.parent.mkdir(parents=True, exist_ok=True)
            content = ctx.render_text(value, f"inputFiles.{name}")
            if is_storage_uri(content):
                try:
                    with ctx.storage.open(content) as source, target.open("wb") as out:
                        out.write(source.read())
                except StorageError as exc:
                    raise GitTaskError(f"{self.where(ctx)}: inputFiles {name}: {exc}") from exc
            else:
                target.write_text(content)


def checkout(git: Git, repo: Path, branch: str) -> None:
    """Clone the remote into ``repo`` on ``branch``, made from the default one if missing."""
    git.clone(repo, None, None, False)
    remote = git.run("ls-remote", "--heads", "origin", branch, cwd=repo, doing="listing")
    if remote.strip():
        git.run("checkout", "--quiet", branch, cwd=repo, doing="checking out")
    else:
        git.run("checkout", "--quiet", "-b", branch, cwd=repo, doing="branching")


def commit_and_push(git: Git, repo: Path, branch: str, message: str, author: list[str]) -> str:
    """Commit what is staged and push ``branch``; return the commit's id."""
    git.run("commit", "--quiet", "-m", message, *author, cwd=repo, doing="committing to")
    git.run("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=repo, doing="pushing to")
    return git.run("rev-parse", "HEAD", cwd=repo, doing="reading").strip()


__all__ = ["Author", "Push", "checkout", "commit_and_push"]
