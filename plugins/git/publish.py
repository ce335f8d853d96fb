"""``io.kestra.plugin.git.PushFlows`` and ``PushNamespaceFiles``: Kestrel's side to git.

PushFlows writes the deployed flows of a namespace (each ``<flowId>.yml``, child
namespaces in sub-folders) to ``gitDirectory`` of a branch, commits and pushes;
PushNamespaceFiles does the same with the namespace's files (``kestrel://<ns>/_files/``).
With ``dryRun`` nothing is pushed. Files of the folder that Kestrel no longer has are
removed, so git mirrors Kestrel.
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from plugins.git.base import GitTask
from plugins.git.push import checkout, commit_and_push

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class _Publish(GitTask):
    branch: str = "main"
    """The branch to push to (made from the default one if missing)."""
    commit_message: str = "Add files from Kestrel"
    """The commit's message."""
    dry_run: bool = False
    """Commit nothing: only tell what would change."""
    author_name: str | None = None
    """The commit's author name."""
    author_email: str | None = None
    """The commit's author e-mail address."""

    def publish(
        self, ctx: RunContext, git_directory: str, files: dict[str, bytes]
    ) -> dict[str, Any]:
        """Make ``git_directory`` of the branch hold exactly ``files``; commit and push.

        Returns:
            The outputs: ``commitId`` (None when nothing changed or dry run) and ``diff``
            (each changed path with ADDED, UPDATED or DELETED).
        """
        branch = ctx.render_text(self.branch, "branch")
        with ctx.working_directory() as folder, self.git(ctx) as git:
            repo = folder / ".kestrel-publish"
            checkout(git, repo, branch)
            target = repo / git_directory
            before = _tree(target)
            if target.exists():
                shutil.rmtree(target)
            for name, data in files.items():
                path = target / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            diff = _diff(before, files)
            if not diff or self.dry_run:
                return {"commitId": None, "diff": diff}
            git.run("add", "--all", "--", git_directory, cwd=repo, doing="adding files of")
            author = []
            if self.author_name or self.author_email:
                name = ctx.render_text(self.author_name or "Kestrel", "authorName")
                email = ctx.render_text(self.author_email or "kestrel@localhost", "authorEmail")
                author = [f"--author={name} <{email}>"]
            message = ctx.render_text(self.commit_message, "commitMessage")
            commit_id = commit_and_push(git, repo, branch, message, author)
            ctx.logger.info(f"pushed {len(diff)} change(s) to {git.shown_url} {branch}")
            return {"commitId": commit_id, "diff": diff}


def _tree(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def _diff(before: dict[str, bytes], after: dict[str, bytes]) -> list[dict[str, str]]:
    changes = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            changes.append({"path": name, "state": "ADDED"})
        elif name not in after:
            changes.append({"path": name, "state": "DELETED"})
        elif before[name] != after[name]:
            changes.append({"path": name, "state": "UPDATED"})
    return changes


def _patterns(value: str | list[str] | None) -> list[str]:
    if value is None:
        return ["*"]
    return [value] if isinstance(value, str) else value


class PushFlows(_Publish):
    """Commit the deployed flows of ``sourceNamespace`` to ``gitDirectory`` and push.

    Example:
        ```yaml
        - id: backup
          type: io.kestra.plugin.git.PushFlows
          url: https://github.com/me/flows
          branch: main
          gitDirectory: _flows
          sourceNamespace: company.team
          includeChildNamespaces: true
          username: me
          password: "{{ secret('GITHUB_TOKEN') }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.git.PushFlows"

    git_directory: str = "_flows"
    """The repository's folder of flows."""
    source_namespace: str | None = None
    """The namespace whose flows are pushed (default: this flow's)."""
    target_namespace: str | None = None
    """Accepted for Kestra's flows: sources are pushed as deployed."""
    include_child_namespaces: bool = False
    """Push the child namespaces' flows too, each in a sub-folder."""
    flows: str | list[str] | None = None
    """Globs of flow ids to push (default: all)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Push the flows.

        Raises:
            GitTaskError: git failed (credentials, a rejected push).
        """
        from orchestrator.control import TopicFlows
        from orchestrator.settings import load_settings

        namespace = ctx.render_text(
            self.source_namespace or ctx.task_run.namespace, "sourceNamespace"
        )
        patterns = [str(p) for p in ctx.render(_patterns(self.flows), "flows")]
        files: dict[str, bytes] = {}
        for record in TopicFlows(load_settings()).records().values():
            child = record.namespace.startswith(namespace + ".")
            if record.deleted or not (record.namespace == namespace or child):
                continue
            if child and not self.include_child_namespaces:
                continue
            if not any(fnmatch.fnmatchcase(record.id, pattern) for pattern in patterns):
                continue
            folder = PurePosixPath(*record.namespace[len(namespace) :].strip(".").split("."))
            files[(folder / f"{record.id}.yml").as_posix()] = record.source.encode()
        return self.publish(ctx, ctx.render_text(self.git_directory, "gitDirectory"), files)


class PushNamespaceFiles(_Publish):
    """Commit the files of ``namespace`` to ``gitDirectory`` and push.

    Example:
        ```yaml
        - id: push_files
          type: io.kestra.plugin.git.PushNamespaceFiles
          url: https://github.com/me/scripts
          namespace: company.team
          files: ["*.py"]
          gitDirectory: _files
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.git.PushNamespaceFiles"

    git_directory: str = "_files"
    """The repository's folder of files."""
    namespace: str | None = None
    """The namespace whose files are pushed (default: this flow's)."""
    files: str | list[str] | None = None
    """Globs of file paths to push (default: all)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Push the files.

        Raises:
            GitTaskError: git failed (credentials, a rejected push).
        """
        namespace = ctx.render_text(self.namespace or ctx.task_run.namespace, "namespace")
        patterns = [str(p) for p in ctx.render(_patterns(self.files), "files")]
        prefix = f"kestrel://{namespace}/_files/"
        files = {
            uri.removeprefix(prefix): ctx.storage.get(uri)
            for uri in ctx.storage.list(f"{namespace}/_files")
            if any(fnmatch.fnmatch(uri.removeprefix(prefix), p) for p in patterns)
        }
        return self.publish(ctx, ctx.render_text(self.git_directory, "gitDirectory"), files)


__all__ = ["PushFlows", "PushNamespaceFiles"]
