"""Kestra's KV tasks: ``io.kestra.plugin.core.kv.Set``, ``Get``, ``GetKeys`` and ``Delete``.

Pairs live in the process's KV store (`orchestrator.kv.default_store`): the compacted
``kv`` topic on a cluster, memory under ``kestrel flow test``. ``namespace`` defaults to
the flow's.
"""

from __future__ import annotations

import fnmatch
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from orchestrator.kv import KvEntry, KvError, KvType, default_store
from orchestrator.models.duration import DurationOrTemplate, format_duration, parse_duration
from orchestrator.models.state import utcnow
from orchestrator.plugin import TaskFailedError
from orchestrator.tasks.base import RunnableTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class _KvTask(RunnableTask):
    namespace: str | None = None
    """The pairs' namespace (rendered; default: the flow's)."""

    def _namespace(self, ctx: RunContext) -> str:
        if self.namespace is None:
            return ctx.task_run.namespace
        return ctx.render_text(self.namespace, "namespace")


class Set(_KvTask):
    """Store ``value`` under ``key`` (optionally typed, with a ttl).

    Example:
        ```yaml
        - id: remember
          type: io.kestra.plugin.core.kv.Set
          key: last_run
          value: "{{ execution.startDate }}"
          kvType: DATETIME
          ttl: P30D
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.kv.Set"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.Set",)

    key: str
    """The key (rendered): letters, digits, '.', '-' and '_'."""
    value: Any
    """The value (rendered); typed by ``kvType``."""
    kv_type: KvType | None = None
    """STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION or JSON (default: from the value)."""
    overwrite: bool = True
    """Replace an existing pair; when false, an existing live pair fails the task."""
    ttl: DurationOrTemplate | None = None
    """How long the pair lives (an ISO 8601 duration, or a template rendering to one)."""
    description: str | None = None
    """A description kept with the pair."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Type and store the pair."""
        namespace, key = self._namespace(ctx), ctx.render_text(self.key, "key")
        kind, value = _typed(ctx.render(self.value, "value"), self.kv_type)
        store = default_store()
        try:
            if not self.overwrite and store.get(namespace, key) is not None:
                raise TaskFailedError(
                    f"Cannot set value for key '{key}'. Key already exists and `overwrite` "
                    "is set to `false`.",
                    retryable=False,
                )
            now = utcnow()
            ttl = self.ttl
            if isinstance(ttl, str):
                try:
                    ttl = parse_duration(ctx.render_text(ttl, "ttl"))
                except ValueError as exc:
                    raise TaskFailedError(f"ttl: {exc}", retryable=False) from exc
            store.put(
                KvEntry(
                    namespace=namespace,
                    key=key,
                    value=value,
                    kv_type=kind,
                    description=self.description,
                    expires=None if ttl is None else now + ttl,
                    updated=now,
                )
            )
        except KvError as exc:
            raise TaskFailedError(str(exc)) from exc
        ctx.logger.debug(f"set {namespace}/{key} ({kind.value})")
        return None


def _typed(value: Any, kind: KvType | None) -> tuple[KvType, Any]:
    """Check (or infer) the type of a value; return it in its stored JSON form."""
    try:
        if kind is None:
            return _inferred(value), value
        if kind is KvType.NUMBER:
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(value)
            return kind, int(number) if float(number).is_integer() else number
        if kind is KvType.BOOLEAN:
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return kind, value.lower() == "true"
            if not isinstance(value, bool):
                raise ValueError(value)
            return kind, value
        if kind is KvType.JSON:
            return kind, json.loads(value) if isinstance(value, str) else value
        if kind is KvType.DATETIME:
            return kind, datetime.fromisoformat(str(value).replace("Z", "+00:00")).isoformat()
        if kind is KvType.DATE:
            return kind, date.fromisoformat(str(value)).isoformat()
        if kind is KvType.DURATION:
            return kind, format_duration(parse_duration(value))
        return kind, value if isinstance(value, str) else json.dumps(value)
    except (ValueError, TypeError) as exc:
        raise TaskFailedError(f"value {value!r} is not a {kind}", retryable=False) from exc


def _inferred(value: Any) -> KvType:
    if isinstance(value, bool):
        return KvType.BOOLEAN
    if isinstance(value, int | float):
        return KvType.NUMBER
    if isinstance(value, dict | list):
        return KvType.JSON
    return KvType.STRING


class Get(_KvTask):
    """Output the ``value`` stored under ``key`` (null when missing, unless ``errorOnMissing``)."""

    type_name: ClassVar[str] = "kestrel.plugins.core.kv.Get"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.Get",)

    key: str
    """The key (rendered)."""
    error_on_missing: bool = False
    """Fail when there is no live pair."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Read the pair."""
        namespace, key = self._namespace(ctx), ctx.render_text(self.key, "key")
        try:
            entry = default_store().get(namespace, key)
        except KvError as exc:
            raise TaskFailedError(str(exc)) from exc
        if entry is None and self.error_on_missing:
            raise TaskFailedError(f"No value found for key '{key}' in namespace '{namespace}'")
        return {"value": None if entry is None else entry.value}


class GetKeys(_KvTask):
    """Output the ``keys`` of the namespace's live pairs (starting with ``prefix``)."""

    type_name: ClassVar[str] = "kestrel.plugins.core.kv.GetKeys"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.GetKeys",)

    prefix: str = ""
    """Only keys that start with this (rendered)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """List the keys."""
        prefix = ctx.render_text(self.prefix, "prefix")
        try:
            entries = default_store().list(self._namespace(ctx), prefix)
        except KvError as exc:
            raise TaskFailedError(str(exc)) from exc
        return {"keys": [entry.key for entry in entries]}


class Delete(_KvTask):
    """Delete the pair under ``key``; output ``deleted``."""

    type_name: ClassVar[str] = "kestrel.plugins.core.kv.Delete"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.Delete",)

    key: str
    """The key (rendered)."""
    error_on_missing: bool = False
    """Fail when there is no live pair."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Delete the pair."""
        namespace, key = self._namespace(ctx), ctx.render_text(self.key, "key")
        try:
            deleted = default_store().delete(namespace, key)
        except KvError as exc:
            raise TaskFailedError(str(exc)) from exc
        if not deleted and self.error_on_missing:
            raise TaskFailedError(f"No value found for key '{key}' in namespace '{namespace}'")
        return {"deleted": deleted}


class PurgeKV(RunnableTask):
    """Delete KV pairs of some namespaces: the expired ones (default) or all; output ``size``.

    Example:
        ```yaml
        - id: purge
          type: io.kestra.plugin.core.kv.PurgeKV
          namespaces: [company]
          includeChildNamespaces: true
          expiredOnly: true
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.kv.PurgeKV"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.PurgeKV",)

    namespaces: list[str] | None = None
    """The namespaces to purge (rendered; default: every namespace, or ``namespacePattern``)."""
    namespace_pattern: str | None = None
    """A glob of namespaces to purge (``company.*``)."""
    include_child_namespaces: bool = True
    """Also purge the namespaces under the given ones."""
    key_pattern: str | None = None
    """Only keys matching this glob."""
    expired_only: bool = True
    """Only pairs whose ttl has run out."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Delete the matching pairs."""
        namespaces = [str(each) for each in ctx.render(self.namespaces or [], "namespaces")]
        pattern = self.namespace_pattern and ctx.render_text(
            self.namespace_pattern, "namespacePattern"
        )
        keys = self.key_pattern and ctx.render_text(self.key_pattern, "keyPattern")
        now = utcnow()
        store = default_store()
        deleted = 0
        try:
            for entry in store.entries():
                if not self._namespace_matches(entry.namespace, namespaces, pattern):
                    continue
                if keys and not fnmatch.fnmatchcase(entry.key, keys):
                    continue
                if self.expired_only and not entry.expired(now):
                    continue
                store.delete(entry.namespace, entry.key)
                deleted += 1
        except KvError as exc:
            raise TaskFailedError(str(exc)) from exc
        ctx.logger.info(f"purged {deleted} KV pair(s)")
        return {"size": deleted}

    def _namespace_matches(self, namespace: str, wanted: list[str], pattern: str | None) -> bool:
        if pattern and not fnmatch.fnmatchcase(namespace, pattern):
            return False
        if not wanted:
            return True
        return any(
            namespace == each
            or (self.include_child_namespaces and namespace.startswith(each + "."))
            for each in wanted
        )


__all__ = ["Delete", "Get", "GetKeys", "PurgeKV", "Set"]
