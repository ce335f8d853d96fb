"""``io.kestra.plugin.git.SyncFlows`` and ``SyncNamespaceFiles``: git as the source of truth.

SyncFlows deploys the flows of a repository's folder as ``kestrel flow deploy`` does (a new
revision of each changed flow, all or nothing) and, with ``delete``, deletes the flows of
the namespace that the folder no longer has. SyncNamespaceFiles copies a folder's files to
the namespace's folder of the internal storage, as Kestra keeps them
(``kestrel://<namespace>/_files/...``; Kestrel's tasks do not read them from there yet).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from plugins.git.base import GitTask
from plugins.git.errors import GitTaskError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_NAMESPACE_LINE = re.compile(r"^namespace:.*$", re.MULTILINE)


class _Sync(GitTask):
    branch: str = "main"
    """The branch to read."""
    dry_run: bool = False
    """Only tell what would change."""
    delete: bool = False
    """Remove what the folder no longer has."""

    def clone_folder(self, ctx: RunContext, folder: Path, git_directory: str) -> Path:
        """Clone the branch into ``folder`` and return its ``git_directory``.

        Raises:
            GitTaskError: git failed, or the folder is not in the branch.
        """
        branch = ctx.render_text(self.branch, "branch")
        with self.git(ctx) as git:
            git.clone(folder / "repo", branch, 1, self.clone_submodules)
        source = (folder / "repo" / git_directory).resolve()
        if not source.is_relative_to((folder / "repo").resolve()) or not source.is_dir():
            raise GitTaskError(
                f"{self.where(ctx)}: {git_directory!r} is not a folder of {git.shown_url} {branch}"
            )
        return source


class SyncFlows(_Sync):
    """Deploy the flows of ``gitDirectory`` into ``targetNamespace``.

    Each flow's namespace becomes ``targetNamespace`` (with ``includeChildNamespaces``, a
    sub-folder ``a/b`` gives ``targetNamespace.a.b``). Output ``flows``: each flow's
    ``namespace``, ``flowId``, ``revision`` and ``syncState`` (ADDED, UPDATED, UNCHANGED,
    DELETED).

    Example:
        ```yaml
        - id: sync
          type: io.kestra.plugin.git.SyncFlows
          url: https://github.com/me/flows
          branch: main
          gitDirectory: flows
          targetNamespace: company.team
          delete: true
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.git.SyncFlows"

    git_directory: str = "_flows"
    """The repository's folder of flows."""
    target_namespace: str
    """The namespace the flows are deployed to."""
    include_child_namespaces: bool = False
    """Sub-folders hold the flows of child namespaces."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Deploy the flows.

        Raises:
            GitTaskError: git failed, or a flow is not valid (nothing is deployed).
        """
        from orchestrator.control import (
            InvalidFlowError,
            TopicFlows,
            check_sources,
            delete_flow,
            flow_key,
            publish_flows,
        )
        from orchestrator.kafka import ensure_topics
        from orchestrator.settings import load_settings

        namespace = ctx.render_text(self.target_namespace, "targetNamespace")
        git_directory = ctx.render_text(self.git_directory, "gitDirectory")
        with ctx.working_directory() as folder:
            sources = self._sources(self.clone_folder(ctx, folder, git_directory), namespace)
        settings = load_settings()
        ensure_topics(settings)
        flows = TopicFlows(settings)
        records = flows.records()
        try:
            checked = check_sources(sources)
        except InvalidFlowError as exc:
            raise GitTaskError(f"{self.where(ctx)}: {exc}") from exc
        wanted = {flow_key(flow.namespace, flow.id): text for _, text, flow, _ in checked}
        results = [self._state(key, text, records.get(key)) for key, text in wanted.items()]
        if not self.dry_run:
            publish_flows(settings, flows, sources)
        if self.delete:
            own = flow_key(ctx.task_run.namespace, ctx.task_run.flow_id)
            for key, record in records.items():
                if record.deleted or key in wanted or key == own:
                    continue  # a flow does not delete itself while it runs
                if not self._in_scope(record.namespace, namespace):
                    continue
                if not self.dry_run:
                    delete_flow(settings, flows, record.namespace, record.id)
                results.append(
                    {
                        "namespace": record.namespace,
                        "flowId": record.id,
                        "revision": record.revision + 1,
                        "syncState": "DELETED",
                    }
                )
        return {"flows": results}

    def _in_scope(self, candidate: str, namespace: str) -> bool:
        if candidate == namespace:
            return True
        return self.include_child_namespaces and candidate.startswith(namespace + ".")

    def _sources(self, source: Path, namespace: str) -> list[tuple[str, str]]:
        pattern = "**/*" if self.include_child_namespaces else "*"
        found = []
        for path in sorted(source.glob(pattern)):
            if path.suffix not in (".yml", ".yaml") or not path.is_file():
                continue
            parts = path.relative_to(source).parent.parts
            target = ".".join((namespace, *parts))
            text = path.read_text()
            found.append((str(path.relative_to(source)), _with_namespace(text, target)))
        return found

    def _state(self, key: str, source: str, existing: Any) -> dict[str, Any]:
        namespace, flow_id = key.split("/", 1)
        if existing is None:
            state, revision = "ADDED", 1
        elif existing.source == source and not existing.deleted:
            state, revision = "UNCHANGED", existing.revision
        else:
            state = "ADDED" if existing.deleted else "UPDATED"
            revision = existing.revision + 1
        return {"namespace": namespace, "flowId": flow_id, "revision": revision, "syncState": state}


def _with_namespace(source: str, namespace: str) -> str:
    if _NAMESPACE_LINE.search(source):
        return _NAMESPACE_LINE.sub(f"namespace: {namespace}", source, count=1)
    return f"namespace: {namespace}\n{source}"


class SyncNamespaceFiles(_Sync):
    """Copy the files of ``gitDirectory`` to the namespace files of ``namespace``.

    Output ``files``: each file's path and ``syncState`` (ADDED, UPDATED, UNCHANGED,
    DELETED).

    Example:
        ```yaml
        - id: sync
          type: io.kestra.plugin.git.SyncNamespaceFiles
          url: https://github.com/me/scripts
          branch: main
          gitDirectory: scripts
          namespace: company.team
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.git.SyncNamespaceFiles"

    git_directory: str = "_files"
    """The repository's folder of files."""
    namespace: str
    """The namespace the files belong to."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Copy the files.

        Raises:
            GitTaskError: git failed.
        """
        namespace = ctx.render_text(self.namespace, "namespace")
        prefix = PurePosixPath(namespace, "_files")
        storage = ctx.storage
        existing = set(storage.list(prefix.as_posix()))
        results: list[dict[str, Any]] = []
        kept: set[str] = set()
        with ctx.working_directory() as folder:
            git_directory = ctx.render_text(self.git_directory, "gitDirectory")
            source = self.clone_folder(ctx, folder, git_directory)
            for path in sorted(source.rglob("*")):
                if not path.is_file() or ".git" in path.relative_to(source).parts:
                    continue
                relative = path.relative_to(source).as_posix()
                key = (prefix / relative).as_posix()
                data = path.read_bytes()
                uri = f"kestrel://{key}"
                kept.add(uri)
                if uri in existing:
                    state = "UNCHANGED" if storage.get(uri) == data else "UPDATED"
                else:
                    state = "ADDED"
                if state != "UNCHANGED" and not self.dry_run:
                    storage.put(key, data)
                results.append({"path": relative, "syncState": state})
        if self.delete:
            for uri in sorted(existing - kept):
                if not self.dry_run:
                    storage.delete(uri)
                relative = uri.removeprefix(f"kestrel://{prefix.as_posix()}/")
                results.append({"path": relative, "syncState": "DELETED"})
        return {"files": results}


__all__ = ["SyncFlows", "SyncNamespaceFiles"]
