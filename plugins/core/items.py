"""Kestra's ``storage.FilterItems`` and ``storage.DeduplicateItems`` on files of items.

A file of items holds one value per line, in Ion text as Kestra writes it (JSON lines are
Ion too, and what Kestrel's own tasks write when the values allow). Lines that are JSON are
read without the Ion library; other Ion lines need the ``serdes`` extra (amazon.ion). Each
item's fields are template variables of the expression.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from orchestrator.plugin import TaskFailedError, is_storage_uri, is_truthy
from orchestrator.tasks.base import RunnableTask
from orchestrator.templating import TemplateError
from plugins.serdes.ion import dumps_row, read_rows

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


def _items(ctx: RunContext, uri: str, task_type: str) -> Iterator[tuple[int, Any]]:
    if not is_storage_uri(uri):
        raise TaskFailedError(f"from must be an internal storage URI, got {uri!r}")
    lines = ctx.get_file(uri).decode().splitlines()
    yield from enumerate(read_rows(lines, uri, task_type), start=1)


def _variables(item: Any) -> dict[str, Any]:
    fields = item if isinstance(item, dict) else {}
    return {**fields, "value": item}


def _store(ctx: RunContext, items: list[Any], task_type: str) -> str:
    with ctx.working_directory() as folder:
        path = folder / ".kestrel-items"
        path.write_text("".join(dumps_row(item, task_type) for item in items))
        return ctx.put_file(path, "items.ion")


class FilterItems(RunnableTask):
    """Keep (INCLUDE) or drop (EXCLUDE) the items for which ``filterCondition`` is true.

    Outputs ``uri`` (the new file), ``processedItemsTotal`` and ``droppedItemsTotal``.
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.FilterItems"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.FilterItems",)

    from_: str = Field(alias="from")
    """The file of items (rendered)."""
    filter_condition: str
    """A template rendered per item (its fields as variables, the item as ``value``)."""
    filter_type: Literal["INCLUDE", "EXCLUDE"] = "INCLUDE"
    """Keep the matching items, or drop them."""
    error_or_null_behavior: Literal["FAIL", "INCLUDE", "EXCLUDE"] = "FAIL"
    """What a condition that fails to render or renders null does."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Filter the items."""
        kept, total = [], 0
        for number, item in _items(ctx, ctx.render_text(self.from_, "from"), self.type):
            total += 1
            try:
                result = ctx.render(self.filter_condition, "filterCondition", _variables(item))
            except TemplateError as exc:
                if self.error_or_null_behavior == "FAIL":
                    raise TaskFailedError(f"item {number}: {exc}") from exc
                result = None
            if result is None or result == "":
                if self.error_or_null_behavior == "FAIL":
                    raise TaskFailedError(f"item {number}: filterCondition rendered null")
                keep = self.error_or_null_behavior == "INCLUDE"
            else:
                keep = is_truthy(result) == (self.filter_type == "INCLUDE")
            if keep:
                kept.append(item)
        return {
            "uri": _store(ctx, kept, self.type),
            "processedItemsTotal": total,
            "droppedItemsTotal": total - len(kept),
        }


class DeduplicateItems(RunnableTask):
    """Keep the last item of each key ``expr`` renders; output ``uri`` and the counts."""

    type_name: ClassVar[str] = "kestrel.plugins.core.storage.DeduplicateItems"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.storage.DeduplicateItems",)

    from_: str = Field(alias="from")
    """The file of items (rendered)."""
    expr: str
    """A template rendered per item (its fields as variables): the item's key."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Deduplicate, keeping each key's last item at the place of its first."""
        by_key: dict[str, Any] = {}
        total = 0
        for _, item in _items(ctx, ctx.render_text(self.from_, "from"), self.type):
            total += 1
            by_key[str(ctx.render(self.expr, "expr", _variables(item)))] = item
        items = list(by_key.values())
        return {
            "uri": _store(ctx, items, self.type),
            "processedItemsTotal": total,
            "droppedItemsTotal": total - len(items),
        }


__all__ = ["DeduplicateItems", "FilterItems"]
